/** Tiny inline SVG icons (no icon font, no image files). They are decorative: buttons carry the label. */
import { svg, type SVGTemplateResult } from 'lit';

const icon = (body: SVGTemplateResult, cls = ''): SVGTemplateResult =>
  svg`<svg class="icon ${cls}" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">${body}</svg>`;

const PHONE =
  'M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1A17 17 0 0 1 3 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1z';

export const icons = {
  phone: () => icon(svg`<path fill="currentColor" d=${PHONE}/>`),
  hangup: () => icon(svg`<path fill="currentColor" d=${PHONE} transform="rotate(135 12 12)"/>`),
  mic: () =>
    icon(svg`<g fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/></g>`),
  micOff: () =>
    icon(svg`<g fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3M4 4l16 16"/></g>`),
  pause: () => icon(svg`<path fill="currentColor" d="M7 5h3v14H7zM14 5h3v14h-3z"/>`),
  play: () => icon(svg`<path fill="currentColor" d="M8 5v14l11-7z"/>`),
  keypad: () =>
    icon(svg`<g fill="currentColor"><circle cx="6" cy="5" r="2"/><circle cx="12" cy="5" r="2"/><circle cx="18" cy="5" r="2"/><circle cx="6" cy="11" r="2"/><circle cx="12" cy="11" r="2"/><circle cx="18" cy="11" r="2"/><circle cx="6" cy="17" r="2"/><circle cx="12" cy="17" r="2"/><circle cx="18" cy="17" r="2"/></g>`),
  settings: () =>
    icon(svg`<g fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1"/><circle cx="15" cy="6" r="2"/><circle cx="9" cy="12" r="2"/><circle cx="17" cy="18" r="2"/></g>`),
  backspace: () =>
    icon(svg`<g fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"><path d="M21 5H9l-6 7 6 7h12z"/><path d="M12 9l6 6M18 9l-6 6"/></g>`, 'flip'),
  close: () => icon(svg`<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/>`),
};
