import { css } from 'lit';

/**
 * Theme through `--soft-phone-*` custom properties on the host; main regions are exposed as parts.
 * Logical properties (inline-start/end) keep the layout right in right-to-left languages.
 */
export const styles = css`
  :host {
    --_bg: var(--soft-phone-background, #ffffff);
    --_fg: var(--soft-phone-color, #1f2328);
    --_muted: var(--soft-phone-muted-color, #59636e);
    --_border: var(--soft-phone-border-color, #d1d9e0);
    --_surface: var(--soft-phone-surface, #f6f8fa);
    --_accent: var(--soft-phone-accent, #0969da);
    --_ok: var(--soft-phone-success, #1a7f37);
    --_bad: var(--soft-phone-danger, #cf222e);
    --_warn-bg: var(--soft-phone-warning-background, #fff1e5);
    --_warn-fg: var(--soft-phone-warning-color, #953800);
    --_focus: var(--soft-phone-focus-ring, #0969da);
    --_radius: var(--soft-phone-radius, 8px);
    display: block;
    box-sizing: border-box;
    inline-size: var(--soft-phone-width, 320px);
    max-inline-size: 100%;
    font: var(--soft-phone-font, 14px/1.4 system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans Hebrew', 'Noto Sans JP', sans-serif);
    color: var(--_fg);
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .base {
    display: flex;
    flex-direction: column;
    gap: 8px;
    padding: 10px;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    min-inline-size: 0;
  }
  .header {
    display: flex;
    align-items: center;
    gap: 8px;
    min-inline-size: 0;
  }
  .identity {
    display: flex;
    flex-direction: column;
    flex: 1;
    min-inline-size: 0;
  }
  .aor {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .reg {
    font-size: 12px;
    color: var(--_muted);
  }
  .dot {
    inline-size: 10px;
    block-size: 10px;
    border-radius: 50%;
    flex: none;
    background: #8c959f;
  }
  .dot[data-state='registered'] {
    background: var(--_ok);
  }
  .dot[data-state='registering'] {
    background: #bf8700;
  }
  .dot[data-state='connection-lost'] {
    background: var(--_bad);
  }
  .banner {
    padding: 8px 10px;
    border-radius: var(--_radius);
    background: var(--_bad);
    color: #fff;
    font-weight: 600;
  }
  .banner small {
    display: block;
    font-weight: 400;
  }
  .notice {
    display: flex;
    align-items: center;
    gap: 6px;
    padding: 6px 8px;
    border-radius: var(--_radius);
    background: var(--_warn-bg);
    color: var(--_warn-fg);
    font-size: 13px;
    overflow-wrap: anywhere;
  }
  .notice > span {
    flex: 1;
  }
  .card {
    display: flex;
    flex-direction: column;
    gap: 8px;
    padding: 10px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .incoming {
    border-color: var(--_ok);
    box-shadow: inset 4px 0 0 var(--_ok);
  }
  .incoming:dir(rtl) {
    box-shadow: inset -4px 0 0 var(--_ok);
  }
  .label {
    margin: 0;
    font-size: 12px;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.03em;
    color: var(--_muted);
  }
  .top {
    display: flex;
    justify-content: space-between;
    align-items: flex-start;
    gap: 8px;
  }
  .who {
    display: flex;
    flex-direction: column;
    min-inline-size: 0;
  }
  .who .name {
    font-size: 16px;
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .who .number,
  .via {
    color: var(--_muted);
    font-size: 13px;
    overflow-wrap: anywhere;
  }
  .meta {
    display: flex;
    flex-direction: column;
    align-items: flex-end;
    font-size: 12px;
    color: var(--_muted);
    flex: none;
  }
  .timer {
    font-variant-numeric: tabular-nums;
    font-size: 14px;
    color: var(--_fg);
  }
  .badge {
    color: var(--_bad);
    font-weight: 600;
  }
  .row,
  .controls {
    display: flex;
    gap: 6px;
  }
  .row > .btn {
    flex: 1;
  }
  .controls > .btn {
    flex: 1 1 0;
    min-inline-size: 0;
  }
  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-block-size: 36px;
    padding: 6px 10px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_fg);
    font: inherit;
    cursor: pointer;
  }
  .btn:hover:not(:disabled) {
    border-color: var(--_muted);
  }
  .btn:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  .btn.ok {
    background: var(--_ok);
    border-color: var(--_ok);
    color: #fff;
  }
  .btn.bad {
    background: var(--_bad);
    border-color: var(--_bad);
    color: #fff;
  }
  .btn.tool {
    flex-direction: column;
    gap: 2px;
    font-size: 11px;
    padding: 4px 2px;
  }
  .btn.tool > span {
    max-inline-size: 100%;
    line-height: 1.15;
    text-align: center;
    overflow-wrap: anywhere;
  }
  .btn[aria-pressed='true'] {
    background: var(--_fg);
    border-color: var(--_fg);
    color: var(--_bg);
  }
  .btn.mini {
    min-block-size: 28px;
    min-inline-size: 28px;
    padding: 2px 6px;
    flex: none;
  }
  .btn.text {
    font-size: 12px;
  }
  .btn.wide {
    inline-size: 100%;
    font-weight: 600;
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  .icon {
    flex: none;
  }
  .icon.flip:dir(rtl) {
    transform: scaleX(-1);
  }
  .dialpad {
    display: flex;
    flex-direction: column;
    gap: 6px;
  }
  .field {
    display: flex;
    gap: 4px;
  }
  .field input {
    flex: 1;
    min-inline-size: 0;
    padding: 8px 10px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    font: inherit;
    font-size: 18px;
    color: var(--_fg);
    background: var(--_bg);
  }
  .field input::placeholder {
    font-size: 14px;
    color: var(--_muted);
  }
  .sent {
    min-block-size: 1.4em;
    text-align: center;
    font-size: 18px;
    letter-spacing: 0.1em;
  }
  .keys {
    display: grid;
    grid-template-columns: repeat(3, 1fr);
    gap: 6px;
  }
  .key {
    display: flex;
    flex-direction: column;
    align-items: center;
    padding: 4px 0;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_fg);
    font: inherit;
    cursor: pointer;
  }
  .key:active {
    background: var(--_border);
  }
  .digit {
    font-size: 18px;
    line-height: 1.2;
  }
  .sub {
    font-size: 9px;
    letter-spacing: 0.1em;
    color: var(--_muted);
    min-block-size: 1.1em;
  }
  .list ul {
    margin: 0;
    padding: 0;
    list-style: none;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .list li {
    display: flex;
    align-items: center;
    gap: 6px;
    padding: 4px 8px;
    font-size: 13px;
  }
  .list li + li {
    border-block-start: 1px solid var(--_border);
  }
  .list li.current {
    font-weight: 600;
  }
  .list .name {
    flex: 1;
    min-inline-size: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .list .state {
    color: var(--_muted);
    font-weight: 400;
  }
  .setting {
    display: flex;
    flex-direction: column;
    gap: 2px;
    font-size: 13px;
  }
  .setting select {
    font: inherit;
    padding: 4px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_fg);
  }
  .hint {
    margin: 0;
    font-size: 12px;
    color: var(--_muted);
  }
  .sr {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
