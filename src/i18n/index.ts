/** UI message tables and the lookup the element renders with. */
import { en, type MessageKey, type Messages } from './en.js';
import { fillMessage, LANGUAGE_CODES, type Language } from './language.js';

export type { MessageKey, Messages };

export { LANGUAGE_CODES, isRtl, matchLanguage, type Language } from './language.js';

/** English is built in; the other tables load on first use, each a chunk of its own. */
const LOADERS = {
  en: async () => en,
  ja: async () => (await import('./ja.js')).ja,
  he: async () => (await import('./he.js')).he,
  pl: async () => (await import('./pl.js')).pl,
} as const satisfies Record<Language, () => Promise<Messages>>;
export const LANGUAGES: readonly Language[] = LANGUAGE_CODES;

const loaded = new Map<Language, Messages>([['en', en]]);
const loading = new Map<Language, Promise<void>>();

/**
 * Loads a language's table (once); resolves when `translator(lang)` speaks it. A table that cannot
 * be loaded leaves English in its place.
 */
export function loadLanguage(lang: Language): Promise<void> {
  if (loaded.has(lang)) return Promise.resolve();
  let pending = loading.get(lang);
  if (!pending) {
    pending = LOADERS[lang]().then(
      (table) => void loaded.set(lang, table),
      () => undefined,
    );
    loading.set(lang, pending);
  }
  return pending;
}

/** Whether `translator(lang)` already speaks `lang` (else it speaks English until it is loaded). */
export const isLanguageLoaded = (lang: Language): boolean => loaded.has(lang);

export type Translate = (key: MessageKey, params?: Readonly<Record<string, string | number>>) => string;

/** A lookup bound to one language; `{name}` placeholders are filled from `params` (as text). */
export function translator(lang: Language): Translate {
  const table: Messages = loaded.get(lang) ?? en;
  return (key, params) => fillMessage(table[key] ?? en[key], params);
}
