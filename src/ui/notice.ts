/**
 * One notice renderer for the whole element: a failure is an `alert` (read out at once), anything
 * else a `status`; a notice the agent may close has a dismiss button, and may offer one action.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Translate } from '../i18n/index.js';
import { icons } from './icons.js';

export interface NoticeOptions {
  /** `alert` for failures, `status` (the default) for information. */
  role?: 'alert' | 'status';
  dismiss?: () => void;
  action?: TemplateResult;
  /** Shown as `data-code` (an error's code) or `data-warning` (a quality warning). */
  code?: string;
  warning?: string;
}

export function renderNotice(text: string, t: Translate, o: NoticeOptions = {}): TemplateResult {
  return html`<div part="notice" class="notice" role=${o.role ?? 'status'} data-code=${o.code ?? nothing} data-warning=${o.warning ?? nothing}>
    <span>${text}</span>${o.action ?? nothing}
    ${o.dismiss
      ? html`<button class="btn mini" aria-label=${t('dismiss')} title=${t('dismiss')} @click=${o.dismiss}>${icons.close()}</button>`
      : nothing}
  </div>`;
}
