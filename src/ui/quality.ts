/** Call quality on the call card: signal-style bars with the figures in the tooltip, and a notice per warning. */
import { css, html, nothing, type TemplateResult } from 'lit';
import { qualityBars } from '../core/call-quality.js';
import type { CallInfo } from '../core/types.js';
import type { Translate } from '../i18n/index.js';
import { renderNotice } from './notice.js';

export function qualityFigures(call: CallInfo, t: Translate): string {
  const q = call.quality;
  if (!q) return '';
  return t('qualityFigures', { mos: q.mos.toFixed(1), rtt: q.rttMs, jitter: q.jitterMs, lossIn: q.lossPct, lossOut: q.lossPctOut });
}

export function renderQualityIndicator(call: CallInfo, t: Translate): TemplateResult | typeof nothing {
  const q = call.quality;
  if (!q) return nothing;
  const bars = qualityBars(q.mos);
  const text = `${t('quality')}: ${qualityFigures(call, t)}`;
  return html`<span class="quality" role="img" data-bars=${bars} title=${text} aria-label=${text}>
    ${[1, 2, 3, 4].map((i) => html`<i class=${i <= bars ? 'on' : ''} style=${`block-size:${i * 3 + 2}px`}></i>`)}
  </span>`;
}

/** One notice per active warning, with plain advice. */
export function renderQualityNotices(call: CallInfo | undefined, t: Translate): TemplateResult[] {
  return (call?.warnings ?? []).map((w) => renderNotice(t(`qw.${w}`), t, { warning: w }));
}

export const qualityStyles = css`
  .quality {display: inline-flex; align-items: flex-end; gap: 2px; block-size: 14px}
  .quality i {inline-size: 4px; background: var(--_border); border-radius: 1px}
  .quality i.on {background: var(--_ok)}
  .quality[data-bars='1'] i.on,.quality[data-bars='2'] i.on {background: var(--_bad)}
  .meter {block-size: 6px; border-radius: 3px; background: var(--_border); overflow: hidden}
  .meter > i {display: block; block-size: 100%; background: var(--_ok)}
`;
