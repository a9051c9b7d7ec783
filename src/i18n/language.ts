/**
 * The supported UI languages and how a tag picks one: shared by every element of the package
 * without pulling in any message table (each element bundles only its own).
 */
export const LANGUAGE_CODES = ['en', 'ja', 'he', 'pl'] as const;
export type Language = (typeof LANGUAGE_CODES)[number];

const RTL: ReadonlySet<Language> = new Set(['he']);

/** Picks a supported language from a BCP 47 tag (`ja-JP` -> `ja`); unknown or empty tags give `undefined`. */
export function matchLanguage(tag: string | null | undefined): Language | undefined {
  const base = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  // `iw` is the old code for Hebrew that some systems still report.
  const code = base === 'iw' ? 'he' : base;
  return (LANGUAGE_CODES as readonly string[]).includes(code) ? (code as Language) : undefined;
}

export function isRtl(lang: Language): boolean {
  return RTL.has(lang);
}

/** Fills `{name}` placeholders of a message from `params` (as text); unknown names stay as they are. */
export function fillMessage(message: string, params?: Readonly<Record<string, string | number>>): string {
  return params ? message.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : message;
}
