/** UI message tables and the lookup the element renders with. */
import { en, type MessageKey, type Messages } from './en.js';
import { he } from './he.js';
import { ja } from './ja.js';
import { pl } from './pl.js';
import { fillMessage, type Language } from './language.js';

export type { MessageKey, Messages };

export { LANGUAGE_CODES, isRtl, matchLanguage, type Language } from './language.js';

export const LANGUAGES = { en, ja, he, pl } as const satisfies Record<Language, Messages>;

export type Translate = (key: MessageKey, params?: Readonly<Record<string, string | number>>) => string;

/** A lookup bound to one language; `{name}` placeholders are filled from `params` (as text). */
export function translator(lang: Language): Translate {
  const table: Messages = LANGUAGES[lang];
  return (key, params) => fillMessage(table[key] ?? en[key], params);
}
