/**
 * A Lit controller for an element whose language follows the page: it re-renders the host when the
 * document's `lang` changes, and picks the language from the host's own `lang` first.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { matchLanguage, type Language } from './language.js';

export class DocumentLanguage implements ReactiveController {
  #observer: MutationObserver | undefined;

  constructor(private readonly host: ReactiveControllerHost & { lang: string }) {
    host.addController(this);
  }

  hostConnected(): void {
    if (typeof MutationObserver === 'undefined') return;
    this.#observer = new MutationObserver(() => this.host.requestUpdate());
    this.#observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
  }

  /** The host's `lang`, else the document's, else English. */
  get value(): Language {
    return matchLanguage(this.host.lang) ?? matchLanguage(globalThis.document?.documentElement.lang) ?? 'en';
  }
}
