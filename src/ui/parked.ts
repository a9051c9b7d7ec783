/** The calls parked from this phone: slot, caller and time parked, each retrieved with one click. */
import { html, nothing, type TemplateResult } from 'lit';
import { formatRemote } from '../core/dial-plan.js';
import type { ParkedCall } from '../core/types.js';
import type { Translate } from '../i18n/index.js';

const clock = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function renderParked(parked: readonly ParkedCall[], t: Translate, retrieve: (slot: string) => void): TemplateResult {
  const count = t('parkedCount', { count: parked.length });
  return html`<section role="group" part="parked" class="list" aria-label=${count}>
    <div class="label">${count}</div>
    <ul>
      ${parked.map((p) => {
        const who = p.remote.displayName || p.remote.number;
        return html`<li data-slot=${p.slot}>
          <span class="state" dir="ltr">${p.slot}</span>
          <span class="name" dir="auto" title=${formatRemote(p.remote)}>${who}</span>
          ${p.remote.kind === 'linked' && p.remote.server ? html`<span class="via">${t('viaServer', { server: p.remote.server })}</span>` : nothing}
          <span class="state"><time datetime=${new Date(p.parkedAt).toISOString()}>${clock(p.parkedAt)}</time></span>
          <button class="btn mini" data-action="retrieve" aria-label=${t('retrieveSlot', { slot: p.slot, caller: who })}
            title=${t('retrieveSlot', { slot: p.slot, caller: who })} @click=${() => retrieve(p.slot)}>${t('retrieve')}</button>
        </li>`;
      })}
    </ul>
  </section>`;
}
