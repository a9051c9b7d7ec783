/**
 * Styles of the parts that load on first use (login, agent bar and forwarding, history list,
 * transfer panel): in the element's stylesheet from the start, so a part shows styled at once.
 */
import { css } from 'lit';

/** Styles of the login step, the agent bar and the forwarding panel. */
export const agentStyles = css`
  .choices,.scroll {display: flex; flex-direction: column; gap: 4px}
  .scroll {max-block-size: 264px; overflow: auto; padding: 2px; margin: -2px}
  .btn.choice {justify-content: flex-start; gap: 10px; text-align: start}
  .choice .num {flex: none; font-weight: 600; font-variant-numeric: tabular-nums; min-inline-size: 3em}
  .choice .what {flex: 0 1 auto; min-inline-size: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--_muted)}
  .choice.personal .what {color: var(--_fg)}
  .choice.auto {border-style: dashed; flex-wrap: wrap; row-gap: 0}
  .choice.auto .what {white-space: normal}
  .agent {display: flex; flex-direction: column; gap: 6px}
  .agent select {flex: 1; min-inline-size: 0; min-block-size: 30px}
  .mobile-info {margin: 0; display: flex; gap: 6px; align-items: center; padding: 8px; border-radius: var(--_r); background: var(--_surface); font-weight: 600}
  .fwd {display: grid; grid-template-columns: minmax(0,1fr) minmax(0,1.2fr); align-items: center; gap: 2px 8px; font-size: 13px}
  .fwd input {padding: 4px 6px; min-inline-size: 0}
  .fwd input[aria-invalid='true'] {border-color: var(--_bad)}
  .fwd .bad {grid-column: 1 / -1; color: var(--_bad); font-size: 12px}
  .fwd .row {grid-column: 1 / -1}
  .saved {color: var(--_ok); font-size: 12px}
`;

export const historyStyles = css`
  .history {display: flex; flex-direction: column; gap: 6px}
  .history ul {margin: 0; padding: 0; list-style: none; max-block-size: 240px; overflow-y: auto; border: 1px solid var(--_border); border-radius: var(--_r)}
  .history li {display: flex; align-items: center; padding-inline-end: 4px}
  .history li + li {border-block-start: 1px solid var(--_border)}
  .entry {display: flex; align-items: center; gap: 6px; flex: 1; min-inline-size: 0; padding: 4px 6px; font: inherit; font-size: 13px; color: inherit; text-align: start; background: none; border: 0; cursor: pointer}
  .entry .who {flex: 1}
  .entry .who .name {font-size: 13px}
  .when {display: flex; flex-direction: column; align-items: flex-end; font-size: 12px; color: var(--_muted)}
  .missed :is(.arrow,.name,.cause) {color: var(--_bad)}
`;

export const transferStyles = css`
  .xfer {display: flex; flex-direction: column; gap: 6px}
  .xfer .why {font-size: 11px; color: var(--_muted)}
  .xfer .keys .key {padding: 2px 0}
`;
