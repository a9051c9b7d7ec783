/** The header: the registration name `<extension>@<domain>` and the registration state. */
import { html, nothing, type TemplateResult } from 'lit';
import type { RegistrationState } from '../core/types.js';
import type { Translate } from '../i18n/index.js';
import { icons } from './icons.js';

export interface HeaderHandlers {
  register(): void;
  toggleSettings(): void;
}

export function renderHeader(
  aor: string,
  state: RegistrationState,
  settingsOpen: boolean,
  t: Translate,
  h: HeaderHandlers,
): TemplateResult {
  return html`<header part="header" class="header">
    <span class="dot" data-state=${state} aria-hidden="true"></span>
    <div class="identity">
      <span class="aor" dir="auto" title=${aor}>${aor || t('notConfigured')}</span>
      <span class="reg" data-state=${state}>${t(`reg.${state}`)}</span>
    </div>
    ${state === 'unregistered' && aor
      ? html`<button class="btn mini text" data-action="register" @click=${h.register}>${t('register')}</button>`
      : nothing}
    <button class="btn mini" aria-label=${t('settings')} title=${t('settings')} aria-expanded=${settingsOpen}
      data-action="settings" @click=${h.toggleSettings}>${icons.settings()}</button>
  </header>`;
}
