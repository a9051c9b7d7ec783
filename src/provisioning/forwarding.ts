/**
 * Call forwarding settings of one extension, and the one set of rules that checks them (the client
 * checks before sending, the reference server checks what it receives).
 */
import { showValue } from '../core/show-value.js';

/** `GET/PUT {url}/extensions/{number}/forwarding`. An absent rule is off. */
export interface ForwardingSettings {
  /** Forward every call. */
  always?: string;
  /** Forward when the extension is busy. */
  busy?: string;
  /** Forward when nobody answers within `seconds`. */
  noAnswer?: { target: string; seconds: number };
  /** Forward when the phone is not registered. */
  unavailable?: string;
}

export const NO_ANSWER_MIN_SECONDS = 5;
export const NO_ANSWER_MAX_SECONDS = 120;

/** An extension or a phone number: digits, optionally a leading `+`. */
export const FORWARD_TARGET_RE = /^\+?[0-9]{2,20}$/;

export type ForwardingCheck =
  | { ok: true; value: ForwardingSettings }
  | { ok: false; field: string; message: string };

const SIMPLE_RULES = ['always', 'busy', 'unavailable'] as const;
const ALL_RULES: readonly string[] = [...SIMPLE_RULES, 'noAnswer'];

const show = (value: unknown): string => showValue(value, 'nothing');

function checkTarget(field: string, value: unknown, own?: string): string | null {
  if (typeof value !== 'string' || !FORWARD_TARGET_RE.test(value)) {
    return `${field} must be an extension or phone number (digits, optional leading +), got ${show(value)}`;
  }
  if (own !== undefined && value === own) return `${field} forwards extension ${own} to itself`;
  return null;
}

/**
 * Checks settings and returns a clean copy (rules set to null or omitted are off). `own` is the
 * extension the settings belong to: forwarding to itself is refused.
 */
export function checkForwarding(input: unknown, own?: string): ForwardingCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, field: 'settings', message: `forwarding settings must be an object, got ${show(input)}` };
  }
  const rec = input as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (!ALL_RULES.includes(key)) {
      return {
        ok: false,
        field: key,
        message: `unknown forwarding rule ${show(key)}; known: always, busy, noAnswer, unavailable`,
      };
    }
  }
  const value: ForwardingSettings = {};
  for (const rule of SIMPLE_RULES) {
    const v = rec[rule];
    if (v === undefined || v === null) continue;
    const problem = checkTarget(rule, v, own);
    if (problem) return { ok: false, field: rule, message: problem };
    value[rule] = v as string;
  }
  const na = rec.noAnswer;
  if (na !== undefined && na !== null) {
    if (typeof na !== 'object' || Array.isArray(na)) {
      return { ok: false, field: 'noAnswer', message: `noAnswer must be { target, seconds }, got ${show(na)}` };
    }
    const { target, seconds, ...rest } = na as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) {
      return { ok: false, field: `noAnswer.${extra}`, message: `unknown field noAnswer.${extra}` };
    }
    const problem = checkTarget('noAnswer.target', target, own);
    if (problem) return { ok: false, field: 'noAnswer.target', message: problem };
    if (
      typeof seconds !== 'number' ||
      !Number.isInteger(seconds) ||
      seconds < NO_ANSWER_MIN_SECONDS ||
      seconds > NO_ANSWER_MAX_SECONDS
    ) {
      return {
        ok: false,
        field: 'noAnswer.seconds',
        message: `noAnswer.seconds must be a whole number from ${NO_ANSWER_MIN_SECONDS} to ${NO_ANSWER_MAX_SECONDS}, got ${show(seconds)}`,
      };
    }
    value.noAnswer = { target: target as string, seconds };
  }
  return { ok: true, value };
}
