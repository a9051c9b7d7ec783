/**
 * The transfer panel under the current call: '#' (blind) and '*' (attended) transfer to a number
 * typed or keyed in, completing or cancelling a transfer (also a hold transfer set up by hand), and
 * park. A button the call's state or the call policy refuses is disabled and says why.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { BlockReason } from '../core/call-policy.js';
import type { CallInfo } from '../core/types.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import { KEYS } from './dialpad.js';

export type TransferAction = 'blind' | 'attended' | 'complete' | 'cancel' | 'park';

export interface TransferView {
  call: CallInfo;
  open: boolean;
  target: string;
  /** Refusal per action (undefined = allowed). */
  blocked: Partial<Record<TransferAction, BlockReason | undefined>>;
  /** A held call and a second call that `complete` would join. */
  pair: boolean;
}

export interface TransferHandlers {
  toggle(): void;
  input(value: string): void;
  act(action: TransferAction): void;
}

const reasonKey = (r: BlockReason): MessageKey => `why.${r}` as MessageKey;

function button(action: TransferAction, label: string, v: TransferView, t: Translate, h: TransferHandlers, extra = false): TemplateResult {
  const reason = v.blocked[action];
  const disabled = Boolean(reason) || (extra && !v.target.trim());
  return html`<button class="btn" data-action=${`transfer-${action}`} ?disabled=${disabled}
    title=${reason ? t(reasonKey(reason)) : label} @click=${() => h.act(action)}>${label}</button>`;
}

export function renderTransfer(v: TransferView, t: Translate, h: TransferHandlers): TemplateResult {
  const reasons = [...new Set(Object.values(v.blocked).filter((r): r is BlockReason => Boolean(r)))];
  const parkReason = v.blocked.park;
  return html`<section role="group" part="transfer" class="card xfer" aria-label=${t('transfer')}>
    <div class="row">
      <button class="btn" data-action="transfer-toggle" aria-expanded=${v.open} @click=${h.toggle}>${t('transfer')}</button>
      <button class="btn" data-action="park" ?disabled=${Boolean(parkReason)}
        title=${parkReason ? t(reasonKey(parkReason)) : t('park')} @click=${() => h.act('park')}>${t('park')}</button>
    </div>
    ${v.pair
      ? html`<div class="row">${button('complete', t('completeTransfer'), v, t, h)}${button('cancel', t('cancelTransfer'), v, t, h)}</div>`
      : nothing}
    ${v.open
      ? html`<div class="field">
            <input type="tel" dir="ltr" autocomplete="off" aria-label=${t('transferTarget')} placeholder=${t('transferTarget')}
              .value=${v.target} @input=${(e: Event) => h.input((e.target as HTMLInputElement).value)}
              @keydown=${(e: KeyboardEvent) => {
                if (e.key === 'Enter' && v.target.trim() && !v.blocked.blind) h.act('blind');
              }} />
          </div>
          <div class="keys" dir="ltr">
            ${KEYS.map((k) => html`<button class="key" data-key=${k} @click=${() => h.input(v.target + k)}>${k}</button>`)}
          </div>
          <div class="row">${button('blind', t('blindTransfer'), v, t, h, true)}${button('attended', t('attendedTransfer'), v, t, h, true)}</div>`
      : nothing}
    ${reasons.map((r) => html`<div class="why" role="note">${t(reasonKey(r))}</div>`)}
  </section>`;
}
