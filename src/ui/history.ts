/** The call history's toggle (the list itself is in history-list.ts, loaded when first opened). */
import { html, nothing, type TemplateResult } from 'lit';
import type { Translate } from '../i18n/index.js';

export interface HistoryHandlers {
  toggle(): void;
  /** Puts the number in the dialpad. */
  use(number: string): void;
  call(number: string): void;
  clear(): void;
}

/** The toggle; `list`: the open list (it loads on first use: see history-list.ts). */
export function renderHistory(count: number, open: boolean, t: Translate, h: HistoryHandlers, list?: TemplateResult): TemplateResult {
  return html`<section role="group" part="history" class="history" aria-label=${t('history')}>
    <button class="btn text" data-action="history" aria-expanded=${open} @click=${h.toggle}>
      ${t(open ? 'hideHistory' : 'history')}${count ? ` (${count})` : ''}</button>
    ${open && list ? list : nothing}
  </section>`;
}
