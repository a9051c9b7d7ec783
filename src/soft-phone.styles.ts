import { css } from 'lit';
import { color, schemeStyles } from './ui/palette.js';

/**
 * Theme through `--soft-phone-*` custom properties on the host; main regions are exposed as parts.
 * Logical properties (inline-start/end) keep the layout right in right-to-left languages.
 */
export const styles = css`
  :host {--_bg: ${color('background')}; --_fg: ${color('color')}; --_muted: ${color('muted-color')}; --_border: ${color('border-color')}; --_field: ${color('field-border-color')}; --_surface: ${color('surface')}; --_ok: ${color('success')}; --_bad: ${color('danger')}; --_warn: ${color('warning')}; --_on: ${color('on-accent')}; --_r: var(--soft-phone-radius,8px); display: block; box-sizing: border-box; inline-size: var(--soft-phone-width,320px); max-inline-size: 100%; font: var(--soft-phone-font,14px/1.4 system-ui,sans-serif)}
  :host([hidden]) {display: none}
  ${schemeStyles}
  * {box-sizing: border-box}
  .base,.card,.dialpad,.who,.identity,.setting {display: flex; flex-direction: column; min-inline-size: 0}
  .base,.card {gap: 8px; padding: 10px; border: 1px solid var(--_border); border-radius: var(--_r); background: var(--_bg)}
  .card {background: var(--_surface)}
  .header,.notice,.row,.controls,.field,.list li {display: flex; align-items: center; gap: 6px}
  .identity,.list .name {flex: 1}
  .aor,.who .name,.list .name {font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap}
  [dir='rtl'] :is(.aor,.who,.list .name) {text-align: right}
  .reg,.meta,.label,.hint,.who .number,.via,.list .state {font-size: 12px; color: var(--_muted)}
  .dot {inline-size: 10px; block-size: 10px; border-radius: 50%; flex: none; background: ${color('idle')}}
  .dot[data-state='registered'] {background: var(--_ok)}
  .dot[data-state='registering'] {background: var(--_warn)}
  .dot[data-state='connection-lost'] {background: var(--_bad)}
  .banner {padding: 8px 10px; border-radius: var(--_r); background: var(--_bad); color: var(--_on); font-weight: 600}
  .banner small {display: block; font-weight: 400}
  .notice {padding: 6px 8px; border-radius: var(--_r); background: ${color('warning-background')}; color: ${color('warning-color')}; font-size: 13px; overflow-wrap: anywhere}
  .notice > span {flex: 1}
  .tabs {display: flex; align-items: center; gap: 6px; font-size: 12px; color: var(--_muted)}
  .tabs > span {flex: 1}
  .tabs > .btn {margin-inline-start: auto}
  .incoming {border-color: var(--_ok); border-inline-start-width: 4px}
  .label {margin: 0; font-weight: 600; text-transform: uppercase}
  .top {display: flex; justify-content: space-between; align-items: flex-start; gap: 8px}
  .who .name {font-size: 16px}
  .meta {display: flex; flex-direction: column; align-items: flex-end; flex: none}
  .timer {font-variant-numeric: tabular-nums; font-size: 14px; color: var(--_fg)}
  .badge {color: var(--_bad); font-weight: 600}
  .row > .btn,.controls > .btn {flex: 1 1 0; min-inline-size: 0}
  .btn,.key,input,select {font: inherit; color: var(--_fg); border: 1px solid var(--_border); border-radius: var(--_r); background: var(--_bg)}
  input,select {border-color: var(--_field)}
  .btn {display: inline-flex; align-items: center; justify-content: center; gap: 6px; min-block-size: 36px; padding: 6px 10px; cursor: pointer}
  .btn:disabled {opacity: 0.5; cursor: not-allowed}
  .btn.ok,.btn.bad,.btn[aria-pressed='true'] {--c: var(--_ok); background: var(--c); border-color: var(--c); color: var(--_on)}
  .btn.bad {--c: var(--_bad)}
  .btn[aria-pressed='true'] {--c: var(--_fg); color: var(--_bg)}
  .btn.tool {flex-direction: column; gap: 2px; font-size: 11px; padding: 4px 1px; line-height: 1.15; text-align: center; overflow-wrap: break-word}
  .btn.mini {min-block-size: 28px; min-inline-size: 28px; padding: 2px 6px; flex: none}
  .btn.text {font-size: 12px}
  .btn.wide {font-weight: 600}
  :focus-visible {outline: 3px solid ${color('focus-ring')}; outline-offset: 2px}
  .icon {flex: none}
  .icon.flip:dir(rtl) {transform: scaleX(-1)}
  .dialpad {gap: 6px}
  .field input {flex: 1; min-inline-size: 0; padding: 8px 10px; font-size: 18px}
  input::placeholder {font-size: 14px; color: var(--_muted)}
  .sent {min-block-size: 1.4em; text-align: center; font-size: 18px; letter-spacing: 0.1em}
  .keys {display: grid; grid-template-columns: repeat(3,1fr); gap: 6px}
  .key {display: flex; flex-direction: column; align-items: center; padding: 4px 0; background: var(--_surface); cursor: pointer}
  .key:active {background: var(--_border)}
  .digit {font-size: 18px; line-height: 1.2}
  .sub {font-size: 9px; letter-spacing: 0.1em; color: var(--_muted); min-block-size: 1.1em}
  .list ul {margin: 0; padding: 0; list-style: none; border: 1px solid var(--_border); border-radius: var(--_r)}
  .list li {padding: 4px 8px; font-size: 13px}
  .list li + li {border-block-start: 1px solid var(--_border)}
  .list li:not(.current) .name {font-weight: 400}
  .setting {gap: 2px; font-size: 13px}
  select {padding: 4px}
  .hint {margin: 0}
  .sr {position: absolute; inline-size: 1px; block-size: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap}
`;
