import { css } from 'lit';
import { color, schemeStyles } from '../ui/palette.js';

/**
 * Theme through `--soft-phone-monitor-*` custom properties on the host (falling back to the phone's
 * `--soft-phone-*` ones, so one theme dresses both); main regions are exposed as parts. Logical
 * properties keep the layout right in right-to-left languages.
 */
export const monitorStyles = css`
  :host {--_bg: var(--soft-phone-monitor-background,${color('background')}); --_fg: var(--soft-phone-monitor-color,${color('color')}); --_muted: var(--soft-phone-monitor-muted-color,${color('muted-color')}); --_border: var(--soft-phone-monitor-border-color,${color('border-color')}); --_field: var(--soft-phone-monitor-field-border-color,${color('field-border-color')}); --_surface: var(--soft-phone-monitor-surface,${color('surface')}); --_ok: var(--soft-phone-monitor-success,${color('success')}); --_bad: var(--soft-phone-monitor-danger,${color('danger')}); --_warn: var(--soft-phone-monitor-warning,${color('warning')}); --_r: var(--soft-phone-monitor-radius,var(--soft-phone-radius,8px)); display: block; box-sizing: border-box; font: var(--soft-phone-monitor-font,var(--soft-phone-font,14px/1.4 system-ui,sans-serif))}
  :host([hidden]) {display: none}
  ${schemeStyles}
  * {box-sizing: border-box}
  .base {display: flex; flex-direction: column; gap: 12px; padding: 12px; border: 1px solid var(--_border); border-radius: var(--_r); background: var(--_bg)}
  .header {display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap}
  h2 {margin: 0; font-size: 16px}
  .conn {display: inline-flex; align-items: center; gap: 6px; margin: 0; padding: 2px 10px; border-radius: 999px; background: var(--_surface); font-size: 13px; font-weight: 600}
  .dot {inline-size: 10px; block-size: 10px; border-radius: 50%; flex: none; background: var(--soft-phone-monitor-idle,${color('idle')})}
  [data-state='connected'] > .dot,.dot.on {background: var(--_ok)}
  [data-state='connecting'] > .dot,[data-state='reconnecting'] > .dot {background: var(--_warn)}
  [data-state='offline'] > .dot,.dot.down {background: var(--_bad)}
  .error {display: flex; align-items: center; gap: 8px; margin: 0; padding: 6px 8px; border-radius: var(--_r); background: var(--soft-phone-monitor-warning-background,${color('warning-background')}); color: var(--soft-phone-monitor-warning-color,${color('warning-color')}); overflow-wrap: anywhere}
  .error > span {flex: 1}
  .scroll {overflow-x: auto}
  table {inline-size: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums}
  caption {text-align: start; font-weight: 600; padding-block-end: 4px}
  th,td {padding: 4px 8px; text-align: start; vertical-align: top; border-block-end: 1px solid var(--_border); white-space: nowrap}
  thead th {background: var(--_surface); font-size: 12px; color: var(--_muted); font-weight: 600}
  tbody th {font-weight: 600}
  tbody tr:hover {background: var(--_surface)}
  .sort {display: inline-flex; align-items: center; gap: 4px; padding: 2px 0; border: 0; background: none; font: inherit; color: inherit; cursor: pointer}
  .arrow {inline-size: 1em; color: var(--_fg)}
  .line {display: block}
  .linked {color: var(--_muted); font-size: 12px}
  .ringing {color: var(--_warn); font-weight: 600}
  .muted {color: var(--_muted)}
  .filters {display: flex; align-items: center; flex-wrap: wrap; gap: 12px; font-size: 13px}
  .filters label {display: inline-flex; align-items: center; gap: 6px}
  select,button.btn {font: inherit; color: var(--_fg); border: 1px solid var(--_border); border-radius: var(--_r); background: var(--_bg); padding: 4px 8px}
  select {border-color: var(--_field)}
  button.btn {cursor: pointer}
  .count {margin-inline-start: auto; color: var(--_muted)}
  .full {color: var(--_bad); font-weight: 600}
  :focus-visible {outline: 3px solid var(--soft-phone-monitor-focus-ring,${color('focus-ring')}); outline-offset: 2px}
  .sr {position: absolute; inline-size: 1px; block-size: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap}
`;
