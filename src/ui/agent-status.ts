/**
 * The agent bar of a logged-in agent: the status menu, forwarding, logout; a virtual login's mobile
 * (isolated left-to-right, so a leading + stays in front in a Hebrew sentence).
 */
import { html, nothing, svg, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { Translate } from '../i18n/index.js';
import { AUTOMATIC_STATUSES, AVAILABLE_STATUS } from '../provisioning/client.js';
import type { AgentSession } from '../provisioning/agent-session.js';
import { errorNotice } from './login.js';

export interface AgentBarHandlers {
  setStatus(status: string): void;
  toggleForwarding(): void;
  logout(): void;
  dismiss(): void;
}

/** Built-in statuses in the UI language; the server's own names (and `virtual`) as they are. */
export function statusText(status: string, t: Translate): string {
  if (status === AVAILABLE_STATUS) return t('status.available');
  if (status === AUTOMATIC_STATUSES[0]) return t('status.incoming');
  if (status === AUTOMATIC_STATUSES[1]) return t('status.outgoing');
  return status;
}

const forwardIcon = svg`<svg class="icon flip" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M4 19v-4a5 5 0 0 1 5-5h11M15 5l5 5-5 5"/></svg>`;

export function renderAgentBar(a: AgentSession, onCall: boolean, t: Translate, h: AgentBarHandlers): TemplateResult {
  const session = a.session!;
  const status = a.status;
  const menu = a.menu;
  return html`<section role="group" part="agent" class="agent" aria-label=${t('agentStatus')}>
    ${session.virtual
      ? html`<p class="mobile-info" data-virtual>${t('virtualInfo', { mobile: `\u2066${session.virtual.mobile}\u2069` })}</p>`
      : nothing}
    <div class="row">
      <select data-status aria-label=${t('agentStatus')} title=${t('status', { status: statusText(status, t) })}
        @change=${(e: Event) => h.setStatus((e.target as HTMLSelectElement).value)}>
        ${menu.includes(status) ? nothing : html`<option value=${status} disabled .selected=${live(true)}>${statusText(status, t)}</option>`}
        ${menu.map((s) => html`<option value=${s} .selected=${live(s === status)}>${statusText(s, t)}</option>`)}
      </select>
      <button class="btn mini" data-action="forwarding" aria-label=${t('forwarding')} title=${t('forwarding')}
        aria-expanded=${a.forwarding.open} @click=${h.toggleForwarding}>${forwardIcon}</button>
      <button class="btn mini text" data-action="logout" ?disabled=${onCall} @click=${h.logout}>${t('logout')}</button>
    </div>
    ${a.error ? errorNotice(a.error, t, h.dismiss) : nothing}
  </section>`;
}
