/**
 * The element's language: its own `lang`, else the document's (followed as it changes), else
 * English; and the lookup it renders with.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isRtl, matchLanguage, translator, type Language, type Translate } from '../i18n/index.js';

export class LocalizeController implements ReactiveController {
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

  get t(): Translate {
    return translator(this.language);
  }
}
