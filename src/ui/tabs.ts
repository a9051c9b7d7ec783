/** The line that says another tab holds the phone, with the button that pops the phone out. */
import { html, nothing, type TemplateResult } from 'lit';
import type { Translate } from '../i18n/index.js';
import type { TabRole } from '../tabs/protocol.js';

export function renderTabBar(role: TabRole, canPopOut: boolean, t: Translate, popOut: () => void): TemplateResult | typeof nothing {
  if (role !== 'follower' && !canPopOut) return nothing;
  return html`<div part="tabs" class="tabs" data-role=${role}>
    ${role === 'follower' ? html`<span>${t('tabFollower')}</span>` : nothing}
    ${canPopOut
      ? html`<button class="btn mini text" data-action="pop-out" title=${t('popOutHint')} @click=${popOut}>${t('popOut')}</button>`
      : nothing}
  </div>`;
}
