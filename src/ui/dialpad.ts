/** The dialpad: a number field that takes typing and paste, twelve keys, and the call button. */
import { html, nothing, type TemplateResult } from 'lit';
import type { Translate } from '../i18n/index.js';
import { icons } from './icons.js';

export const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;
const SUB: Readonly<Record<string, string>> = {
  '2': 'ABC', '3': 'DEF', '4': 'GHI', '5': 'JKL', '6': 'MNO', '7': 'PQRS', '8': 'TUV', '9': 'WXYZ', '0': '+',
};

export interface DialpadHandlers {
  /** A key pressed (button or keyboard while the keypad has focus). */
  key(k: string): void;
  input(value: string): void;
  call(): void;
  backspace(): void;
}

/**
 * What a pasted text becomes in the number field: a SIP address stays as it is (trimmed); anything
 * else keeps only what can be dialed, so `+1 (555) 010-9999` or `Tel: 3999` paste cleanly.
 */
export function cleanPaste(text: string): string {
  const s = text.trim();
  if (/^sips?:/i.test(s) || s.includes('@')) return s;
  const plus = /^\s*\+/.test(s) ? '+' : '';
  return plus + s.replace(/[^0-9*#]/g, '');
}

function onKeydown(e: KeyboardEvent, h: DialpadHandlers): void {
  // Typing on the keys (not in the field, which handles its own input) presses them.
  if ((e.target as HTMLElement).localName === 'input' || e.ctrlKey || e.metaKey || e.altKey) return;
  if (/^[0-9*#]$/.test(e.key)) {
    e.preventDefault();
    h.key(e.key);
  } else if (e.key === 'Backspace') {
    e.preventDefault();
    h.backspace();
  }
}

/**
 * `mode: 'dial'` shows the number field and the call button; `'dtmf'` (in a call) only the keys,
 * each sending its tone.
 */
export function renderDialpad(
  mode: 'dial' | 'dtmf',
  value: string,
  canCall: boolean,
  t: Translate,
  h: DialpadHandlers,
): TemplateResult {
  const paste = (e: ClipboardEvent): void => {
    const text = e.clipboardData?.getData('text') ?? '';
    e.preventDefault();
    const input = e.target as HTMLInputElement;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    h.input(input.value.slice(0, start) + cleanPaste(text) + input.value.slice(end));
  };
  return html`<section part="dialpad" class="dialpad" @keydown=${(e: KeyboardEvent) => onKeydown(e, h)}>
    ${mode === 'dial'
      ? html`<div class="field">
          <input
            type="tel"
            dir=${value ? 'ltr' : nothing}
            autocomplete="off"
            spellcheck="false"
            aria-label=${t('numberLabel')}
            placeholder=${t('numberPlaceholder')}
            .value=${value}
            @input=${(e: Event) => h.input((e.target as HTMLInputElement).value)}
            @paste=${paste}
            @keydown=${(e: KeyboardEvent) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                h.call();
              }
            }}
          />
          ${value
            ? html`<button class="btn mini" aria-label=${t('backspace')} title=${t('backspace')} @click=${h.backspace}>
                ${icons.backspace()}</button>`
            : nothing}
        </div>`
      : html`<output class="sent" dir="ltr" aria-live="polite">${value}</output>`}
    <div class="keys" dir="ltr">
      ${KEYS.map(
        (k) => html`<button class="key" data-key=${k} @click=${() => h.key(k)}>
          <span class="digit">${k}</span><span class="sub" aria-hidden="true">${SUB[k] ?? ''}</span>
        </button>`,
      )}
    </div>
    ${mode === 'dial'
      ? html`<button class="btn ok wide" data-action="call" ?disabled=${!canCall || !value.trim()} @click=${h.call}>
          ${icons.phone()}${t('call')}</button>`
      : nothing}
  </section>`;
}
