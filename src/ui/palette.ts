/**
 * The default colors of the phone and the monitor, one light and one dark value each, as CSS
 * `light-dark()` pairs: the root of each element sets `color-scheme` from its `theme` (`auto`
 * follows the system's `prefers-color-scheme`), and every color below follows it. A host's own
 * `--soft-phone-*` value replaces both defaults (it may itself be a `light-dark()` pair).
 * Both sets meet WCAG AA contrast for the text drawn with them, and 3:1 for the outline of a field.
 */
import { css, unsafeCSS, type CSSResult } from 'lit';
import { SoftPhoneError } from '../errors.js';

const PALETTE = {
  background: ['#ffffff', '#0d1117'],
  color: ['#1f2328', '#e6edf3'],
  'muted-color': ['#59636e', '#9198a1'],
  'border-color': ['#d1d9e0', '#3d444d'],
  // Text fields and menus: a boundary of 3:1 at least against the background (WCAG 1.4.11).
  'field-border-color': ['#818b98', '#656c76'],
  surface: ['#f6f8fa', '#151b23'],
  success: ['#1a7f37', '#3fb950'],
  danger: ['#cf222e', '#f85149'],
  warning: ['#9a6700', '#d29922'],
  idle: ['#8c959f', '#6e7681'],
  'on-accent': ['#ffffff', '#0d1117'],
  'warning-background': ['#fff1e5', '#2d1b0e'],
  'warning-color': ['#953800', '#f0883e'],
  'focus-ring': ['#0969da', '#4493f8'],
} as const;

export type PaletteColor = keyof typeof PALETTE;

/** The themes the `theme` attribute accepts. */
export const THEMES = ['auto', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

/** `--soft-phone-<name>`, else its light/dark default. */
export function color(name: PaletteColor): CSSResult {
  const [light, dark] = PALETTE[name];
  return unsafeCSS(`var(--soft-phone-${name},light-dark(${light},${dark}))`);
}

/** `color-scheme` of the element's root from its `theme` (`data-theme`); `auto` and unknown values follow the system. */
export const schemeStyles = css`
  .base {color-scheme: light dark; color: var(--_fg)}
  .base[data-theme='light'] {color-scheme: light}
  .base[data-theme='dark'] {color-scheme: dark}
`;

/** A `theme` is `light`, `dark` or `auto`; anything else is an `INVALID_CONFIG` error naming it. */
export function checkTheme(theme: unknown): Theme {
  if ((THEMES as readonly unknown[]).includes(theme)) return theme as Theme;
  throw new SoftPhoneError('INVALID_CONFIG', `theme ${JSON.stringify(theme)} must be one of ${THEMES.join(', ')}`);
}
