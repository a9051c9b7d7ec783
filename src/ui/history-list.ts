/**
 * The call history list: the last calls newest first. Each entry shows the direction, the party (a
 * linked party as prefix + extension with its server's label), the time, and the talk time or why
 * the call was not answered. Choosing an entry puts its number in the dialpad (the agent checks it,
 * then calls); the phone button next to it calls at once.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { isMissed, talkSeconds, type CallRecord } from '../core/call-history.js';
import { formatRemote } from '../core/dial-plan.js';
import type { Translate } from '../i18n/index.js';
import { formatDuration } from './calls.js';
import type { HistoryHandlers } from './history.js';
import { icons } from './icons.js';

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
  const number = formatRemote(r.remote);
  const inbound = r.direction === 'inbound';
  const when = formatWhen(r.startedAt, lang);
  // Names and numbers come from the network: bound as text, never as HTML. The entry is named by
  // what it shows (the arrow says its direction in words), so its name holds all its visible text.
  return html`<li class=${isMissed(r) ? 'missed' : ''} data-record=${r.id} data-kind=${r.remote.kind}>
    <button class="entry" data-action="use" @click=${() => h.use(r.remote.number)}>
      <span class="arrow" role="img" aria-label=${t(inbound ? 'hist.in' : 'hist.out')}>${inbound ? '↙' : '↗'}</span>
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

export function renderHistoryList(list: readonly CallRecord[], lang: string, t: Translate, h: HistoryHandlers): TemplateResult {
  return list.length
    ? html`<ul>${list.map((r) => entry(r, lang, t, h))}</ul>
        <button class="btn mini text" data-action="clear-history" @click=${h.clear}>${t('clearHistory')}</button>`
    : html`<p class="hint">${t('historyEmpty')}</p>`;
}
