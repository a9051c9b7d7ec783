/**
 * The call history view: a toggle, then the last calls newest first. Each entry shows the direction,
 * the party (a linked party as prefix + extension with its server's label), the time, and the talk
 * time or why the call was not answered. Choosing an entry puts its number in the dialpad (the agent
 * checks it, then calls); the phone button next to it calls at once.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { isMissed, talkSeconds, type CallRecord } from '../core/call-history.js';
import { formatRemote } from '../core/dial-plan.js';
import type { Translate } from '../i18n/index.js';
import { formatDuration } from './calls.js';
import { icons } from './icons.js';

export interface HistoryHandlers {
  toggle(): void;
  /** Puts the number in the dialpad. */
  use(number: string): void;
  call(number: string): void;
  clear(): void;
}

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

/** Date and time formatters per language: `Intl` formatters are costly to build. */
const formatters = new Map<string, [Intl.DateTimeFormat, Intl.DateTimeFormat]>();

/** The time of a call in `lang`: the time alone for today, the date too for earlier days. */
export function formatWhen(at: number, lang: string, now = Date.now()): string {
  let pair = formatters.get(lang);
  if (!pair) {
    const time = { hour: 'numeric', minute: '2-digit' } as const;
    pair = [new Intl.DateTimeFormat(lang, time), new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', ...time })];
    formatters.set(lang, pair);
  }
  const day = (t: number): string => new Date(t).toDateString();
  return pair[day(at) === day(now) ? 0 : 1].format(at);
}

/** Talk time for an answered call, else why it was not answered (missed, declined, busy...). */
export function outcomeText(r: CallRecord, t: Translate): string {
  if (r.answeredAt !== undefined) return formatDuration(talkSeconds(r) * 1000);
  return isMissed(r) ? t('hist.missed') : t(`end.${r.endCause}`);
}

function entry(r: CallRecord, lang: string, t: Translate, h: HistoryHandlers): TemplateResult {
  const missed = isMissed(r);
  const number = formatRemote(r.remote);
  const kind = t(missed ? 'hist.missed' : r.direction === 'inbound' ? 'hist.in' : 'hist.out');
  const when = formatWhen(r.startedAt, lang);
  // Names and numbers come from the network: bound as text, never as HTML.
  return html`<li class=${missed ? 'missed' : ''} data-record=${r.id} data-kind=${r.remote.kind}>
    <button class="entry" data-action="use" aria-label=${`${kind}: ${r.remote.displayName ? `${r.remote.displayName}, ` : ''}${number}, ${when}`}
      @click=${() => h.use(r.remote.number)}>
      <span class="arrow" aria-hidden="true">${r.direction === 'inbound' ? '↙' : '↗'}</span>
      <span class="who">
        <span class="name" dir="auto">${r.remote.displayName || number}</span>
        ${r.remote.displayName ? html`<span class="number" dir="auto">${number}</span>` : nothing}
      </span>
      <span class="when"><time datetime=${new Date(r.startedAt).toISOString()}>${when}</time>
        <span class="cause">${outcomeText(r, t)}</span></span>
    </button>
    <button class="btn mini" data-action="redial" aria-label=${t('callNumber', { number })} title=${t('callNumber', { number })}
      @click=${() => h.call(r.remote.number)}>${icons.phone()}</button>
  </li>`;
}

export function renderHistory(list: readonly CallRecord[], open: boolean, lang: string, t: Translate, h: HistoryHandlers): TemplateResult {
  return html`<section role="group" part="history" class="history" aria-label=${t('history')}>
    <button class="btn text" data-action="history" aria-expanded=${open} @click=${h.toggle}>
      ${t(open ? 'hideHistory' : 'history')}${list.length ? ` (${list.length})` : ''}</button>
    ${!open
      ? nothing
      : list.length
        ? html`<ul>${list.map((r) => entry(r, lang, t, h))}</ul>
            <button class="btn mini text" data-action="clear-history" @click=${h.clear}>${t('clearHistory')}</button>`
        : html`<p class="hint">${t('historyEmpty')}</p>`}
  </section>`;
}
