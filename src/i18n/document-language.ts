/**
 * A Lit controller for an element whose language follows the page: its own `lang`, else the
 * document's (followed as it changes: the host re-renders), else English. It holds no message
 * table, so each element bundles only its own.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isRtl, matchLanguage, type Language } from './language.js';

export class DocumentLanguage implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #lang: () => string;
  #observer: MutationObserver | undefined;

  constructor(host: ReactiveControllerHost, lang: () => string) {
    this.#host = host;
    this.#lang = lang;
    host.addController(this);
  }

  hostConnected(): void {
    if (typeof MutationObserver === 'undefined') return;
    this.#observer = new MutationObserver(() => this.#host.requestUpdate());
    this.#observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
  }

  get language(): Language {
    return matchLanguage(this.#lang()) ?? matchLanguage(globalThis.document?.documentElement.lang) ?? 'en';
  }

  get dir(): 'rtl' | 'ltr' {
    return isRtl(this.language) ? 'rtl' : 'ltr';
  }
}
