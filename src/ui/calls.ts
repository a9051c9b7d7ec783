/** Call cards: the ringing inbound call, the current call with its controls, and the call list. */
import { html, nothing, type TemplateResult } from 'lit';
import type { CallInfo } from '../core/types.js';
import type { Translate } from '../i18n/index.js';
import { icons } from './icons.js';
import { renderQualityIndicator } from './quality.js';

export type CallAction = 'answer' | 'decline' | 'hangup' | 'hold' | 'unhold' | 'mute' | 'unmute' | 'switch';

export interface CallHandlers {
  act(action: CallAction, callId: string): void;
  toggleKeypad(): void;
}

/** `m:ss`, or `h:mm:ss` past an hour. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** The words a person reads for the far end: the name when there is one, else the number. */
export function callerText(call: CallInfo): string {
  return call.remote.displayName || call.remote.number;
}

export function stateText(call: CallInfo, t: Translate): string {
  if (call.state === 'ringing' && call.direction === 'inbound') return t('incomingCall');
  return t(`call.${call.state}`);
}

// Names and numbers come from the network: they are bound as text (`${...}` in a text position),
// never as HTML. `dir="auto"` lets a Latin name in a Hebrew card (or the reverse) keep its own
// direction, so it is cut at its own end.
function remote(call: CallInfo, t: Translate): TemplateResult {
  const { displayName, number, kind, server } = call.remote;
  return html`<div class="who">
    <span class="name" dir="auto" title=${displayName || number}>${displayName || number}</span>
    ${displayName ? html`<span class="number" dir="auto">${number}</span>` : nothing}
    ${kind === 'linked' && server ? html`<span class="via">${t('viaServer', { server })}</span>` : nothing}
  </div>`;
}

export function renderIncoming(call: CallInfo, waiting: boolean, t: Translate, h: CallHandlers): TemplateResult {
  return html`<section role="group" part="incoming" class="card incoming" aria-label=${t(waiting ? 'waitingCall' : 'incomingCall')}>
    <div class="label">${t(waiting ? 'waitingCall' : 'incomingCall')}</div>
    ${remote(call, t)}
    <div class="row">
      <button class="btn ok" data-action="answer" @click=${() => h.act('answer', call.id)}>${icons.phone()}${t('answer')}</button>
      <button class="btn bad" data-action="decline" @click=${() => h.act('decline', call.id)}>${icons.hangup()}${t('decline')}</button>
    </div>
  </section>`;
}

export function renderCurrentCall(call: CallInfo, now: number, keypadOpen: boolean, t: Translate, h: CallHandlers): TemplateResult {
  const up = call.state === 'established' || call.state === 'held';
  const timer = call.answeredAt !== undefined && up ? formatDuration(now - call.answeredAt) : '';
  return html`<section role="group" part="call" class="card call" aria-label=${callerText(call)}>
    <div class="top">
      ${remote(call, t)}
      <div class="meta">
        <span class="state" data-state=${call.state}>${stateText(call, t)}</span>
        ${timer ? html`<span class="timer" role="timer">${timer}</span>` : nothing}
        ${up ? renderQualityIndicator(call, t) : nothing}
        ${call.muted ? html`<span class="badge">${t('muted')}</span>` : nothing}
        ${call.remoteHeld ? html`<span class="badge">${t('remoteHeld')}</span>` : nothing}
        ${call.reconnecting ? html`<span class="badge reconnecting" part="reconnecting" role="status">${t('reconnecting')}</span>` : nothing}
        ${call.transferredBy ? html`<span class="via">${t('transferredBy', { number: call.transferredBy })}</span>` : nothing}
      </div>
    </div>
    <div part="controls" class="controls">
      ${up
        ? html`<button class="btn tool" aria-pressed=${call.muted} data-action="mute"
              @click=${() => h.act(call.muted ? 'unmute' : 'mute', call.id)}>
              ${call.muted ? icons.micOff() : icons.mic()}<span>${t(call.muted ? 'unmute' : 'mute')}</span></button>
            <button class="btn tool" aria-pressed=${call.held} data-action="hold"
              @click=${() => h.act(call.held ? 'unhold' : 'hold', call.id)}>
              ${call.held ? icons.play() : icons.pause()}<span>${t(call.held ? 'resume' : 'hold')}</span></button>
            <button class="btn tool" aria-expanded=${keypadOpen} data-action="keypad" @click=${h.toggleKeypad}>
              ${icons.keypad()}<span>${t(keypadOpen ? 'hideKeypad' : 'keypad')}</span></button>`
        : nothing}
      <button class="btn bad tool" data-action="hangup" @click=${() => h.act('hangup', call.id)}>
        ${icons.hangup()}<span>${t('hangup')}</span></button>
    </div>
  </section>`;
}

/** Shown when two or more calls exist: every call with its state, switchable and endable. */
export function renderCallList(calls: readonly CallInfo[], currentId: string | undefined, t: Translate, h: CallHandlers): TemplateResult {
  return html`<section role="group" part="call-list" class="list" aria-label=${t('calls')}>
    <ul>
      ${calls.map(
        (c) => html`<li class=${c.id === currentId ? 'current' : ''} data-call=${c.id}>
          <span class="name" dir="auto">${callerText(c)}</span>
          ${c.remote.kind === 'linked' && c.remote.server ? html`<span class="via">${t('viaServer', { server: c.remote.server })}</span>` : nothing}
          <span class="state">${stateText(c, t)}</span>
          ${c.id !== currentId && c.state === 'held'
            ? html`<button class="btn mini" title=${t('switchTo')} aria-label=${`${t('switchTo')}: ${callerText(c)}`}
                @click=${() => h.act('switch', c.id)}>${icons.play()}</button>`
            : nothing}
          ${c.state === 'ringing' && c.direction === 'inbound'
            ? nothing
            : html`<button class="btn mini bad" aria-label=${`${t('hangup')}: ${callerText(c)}`}
                @click=${() => h.act('hangup', c.id)}>${icons.hangup()}</button>`}
        </li>`,
      )}
    </ul>
  </section>`;
}
