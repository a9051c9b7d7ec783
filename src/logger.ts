/**
 * The one logger of the package. Every line starts with `[soft-phone]` and passes through
 * `redact()`, which removes every secret registered with `addSecret()` (SIP passwords), so a
 * password can never reach the console even when an error message or a SIP trace contains it.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
const PREFIX = '[soft-phone]';
const MASK = '********';

const secrets = new Set<string>();
let level: LogLevel = 'warn';

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Removes every registered secret from `input`. */
export function redact(input: string): string {
  let out = input;
  // Longest first, so a secret that contains another one is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(MASK);
  }
  return out;
}

function write(at: Exclude<LogLevel, 'silent'>, args: unknown[]): void {
  if (ORDER[at] < ORDER[level]) return;
  const line = redact(args.map(text).join(' '));
  // The only console access in src/.
  // eslint-disable-next-line no-console
  console[at === 'debug' ? 'debug' : at](`${PREFIX} ${line}`);
}

export const logger = {
  get level(): LogLevel {
    return level;
  },
  setLevel(next: LogLevel): void {
    if (!(next in ORDER)) throw new TypeError(`unknown log level '${String(next)}'`);
    level = next;
  },
  /** Registers a secret that `redact()` (and so every log line) must never show. */
  addSecret(secret: string | undefined): void {
    if (secret) secrets.add(secret);
  },
  removeSecret(secret: string | undefined): void {
    if (secret) secrets.delete(secret);
  },
  redact,
  debug: (...args: unknown[]): void => write('debug', args),
  info: (...args: unknown[]): void => write('info', args),
  warn: (...args: unknown[]): void => write('warn', args),
  error: (...args: unknown[]): void => write('error', args),
};
