/** The agent login step: the agent's extensions in login order, and the automatic choice. */
import { html, nothing, type TemplateResult } from 'lit';
import type { ExtensionEntry } from '../core/extension-list.js';
import type { SoftPhoneError } from '../errors.js';
import type { Translate } from '../i18n/index.js';
import type { AgentSession } from '../provisioning/agent-session.js';
import { renderNotice } from './notice.js';

export interface LoginHandlers {
  /** Without a number: automatic mode. */
  login(number?: string): void;
  retry(): void;
  dismiss(): void;
}

/** A provisioning failure in the agent's words: "no free number" is its own message. */
export function provisioningErrorText(e: SoftPhoneError, t: Translate): string {
  return e.code === 'NO_FREE_NUMBER' ? t('noFreeNumber') : t('provisioningError', { message: e.message });
}

export function errorNotice(e: SoftPhoneError, t: Translate, dismiss: () => void, action?: TemplateResult): TemplateResult {
  return renderNotice(provisioningErrorText(e, t), t, { role: 'alert', code: e.code, dismiss, ...(action ? { action } : {}) });
}

function label(e: ExtensionEntry, t: Translate): string {
  return e.kind === 'virtual' && e.mobile ? t('mobileLabel', { mobile: e.mobile }) : e.label;
}

/** Up/Down move between the choices (Tab works too; Enter and Space choose). */
function arrows(e: KeyboardEvent): void {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const list = [...(e.currentTarget as HTMLElement).querySelectorAll('button')];
  const next = list[list.indexOf(e.target as HTMLButtonElement) + (e.key === 'ArrowDown' ? 1 : -1)];
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

export function renderLogin(a: AgentSession, t: Translate, h: LoginHandlers): TemplateResult {
  const starting = a.phase === 'starting';
  const ready = a.phase === 'choosing' || starting;
  const choice = (number: string | undefined, main: string, sub: string, cls = ''): TemplateResult =>
    html`<button class="btn choice ${cls}" data-number=${number ?? 'automatic'} ?disabled=${starting} @click=${() => h.login(number)}>
      <span class="num" dir="auto">${main}</span><span class="what" dir="auto" title=${sub}>${sub}</span></button>`;
  return html`<section role="group" part="login" class="card login" aria-label=${t('loginTitle')} aria-busy=${a.phase === 'loading' || starting}>
    <h2 class="label">${t('loginTitle')}</h2>
    ${a.error
      ? errorNotice(a.error, t, h.dismiss, a.listFailed
          ? html`<button class="btn mini text" data-action="retry" @click=${h.retry}>${t('retry')}</button>`
          : undefined)
      : nothing}
    ${a.phase === 'loading' ? html`<p class="hint" role="status">${t('loadingExtensions')}</p>` : nothing}
    ${ready
      ? html`<div class="choices" role="group" aria-label=${t('loginTitle')} @keydown=${arrows}>
          <div class="scroll">${a.extensions.map((e) => choice(e.number, e.number, label(e, t), e.kind))}</div>
          ${choice(undefined, t('automatic'), t('automaticHint'), 'auto')}
        </div>`
      : nothing}
    ${starting ? html`<p class="hint" role="status">${t('loggingIn')}</p>` : nothing}
  </section>`;
}

