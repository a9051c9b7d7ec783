/** Call forwarding of the agent's extension: always, busy, no answer after N seconds, unavailable. */
import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import type { ForwardingField, ForwardingPanel } from '../provisioning/forwarding-panel.js';
import { icons } from './icons.js';
import { errorNotice } from './login.js';

export interface ForwardingHandlers {
  edit(field: ForwardingField, value: string): void;
  save(): void;
  retry(): void;
  close(): void;
  dismiss(): void;
}

const FIELDS: readonly [ForwardingField, MessageKey][] = [
  ['always', 'fwd.always'],
  ['busy', 'fwd.busy'],
  ['noAnswer', 'fwd.noAnswer'],
  ['seconds', 'fwd.seconds'],
  ['unavailable', 'fwd.unavailable'],
];

/** Why a field was refused, in the agent's language (the check's own text is English). */
function problem(field: ForwardingField, message: string, t: Translate): string {
  if (field === 'seconds') return t('fwd.badSeconds');
  return message.includes('itself') ? t('fwd.self') : t('fwd.badTarget');
}

export function renderForwarding(p: ForwardingPanel, t: Translate, h: ForwardingHandlers): TemplateResult {
  const form = p.form;
  return html`<section role="group" part="forwarding" class="card forwarding" aria-label=${t('forwarding')} aria-busy=${p.busy}>
    <div class="top">
      <h2 class="label">${t('forwarding')}</h2>
      <button class="btn mini" aria-label=${t('closeForwarding')} title=${t('closeForwarding')} @click=${h.close}>${icons.close()}</button>
    </div>
    ${p.error
      ? errorNotice(p.error, t, h.dismiss, form ? undefined : html`<button class="btn mini text" data-action="retry" @click=${h.retry}>${t('retry')}</button>`)
      : nothing}
    ${!form && p.busy ? html`<p class="hint" role="status">${t('loading')}</p>` : nothing}
    ${form
      ? html`<form class="fwd" @submit=${(e: Event) => {
            e.preventDefault();
            h.save();
          }}>
          ${FIELDS.map(([field, key]) => {
            const bad = p.invalid?.field === field;
            return html`<label for="fwd-${field}">${t(key)}</label>
              <input id="fwd-${field}" name=${field} dir="ltr" autocomplete="off"
                inputmode=${field === 'seconds' ? 'numeric' : 'tel'} placeholder=${field === 'seconds' ? '' : t('fwdOff')}
                aria-invalid=${bad} aria-describedby=${bad ? 'fwd-problem' : nothing}
                .value=${live(form[field])} @input=${(e: Event) => h.edit(field, (e.target as HTMLInputElement).value)} />
              ${bad ? html`<small class="bad" id="fwd-problem" role="alert">${t(key)}: ${problem(field, p.invalid!.message, t)}</small>` : nothing}`;
          })}
          <div class="row">
            <button class="btn ok" type="submit" data-action="save-forwarding" ?disabled=${p.busy}>${t('save')}</button>
            ${p.saved ? html`<span class="saved" role="status">${t('saved')}</span>` : nothing}
          </div>
        </form>`
      : nothing}
  </section>`;
}
