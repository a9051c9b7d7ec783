/** UI message tables and the lookup the element renders with. */
import { en, type MessageKey, type Messages } from './en.js';
import { he } from './he.js';
import { ja } from './ja.js';
import { pl } from './pl.js';

export type { MessageKey, Messages };

export const LANGUAGES = { en, ja, he, pl } as const satisfies Record<string, Messages>;
export type Language = keyof typeof LANGUAGES;

const RTL: ReadonlySet<Language> = new Set(['he']);

/** Picks a supported language from a BCP 47 tag (`ja-JP` -> `ja`); unknown or empty tags give `undefined`. */
export function matchLanguage(tag: string | null | undefined): Language | undefined {
  const base = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  // `iw` is the old code for Hebrew that some systems still report.
  const code = base === 'iw' ? 'he' : base;
  return code in LANGUAGES ? (code as Language) : undefined;
}

export function isRtl(lang: Language): boolean {
  return RTL.has(lang);
}

export type Translate = (key: MessageKey, params?: Readonly<Record<string, string | number>>) => string;

/** A lookup bound to one language; `{name}` placeholders are filled from `params` (as text). */
export function translator(lang: Language): Translate {
  const table: Messages = LANGUAGES[lang];
  return (key, params) => {
    const message = table[key] ?? en[key];
    return params ? message.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : message;
  };
}
