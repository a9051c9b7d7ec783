/**
 * The element's settings as the call operations use them: the dial plan, the call policy and the
 * park slots, derived from the raw property values, with one `INVALID_CONFIG` error per bad value.
 *
 * Derived on demand rather than in a later microtask, so a method called right after a property is
 * set (`el.callPolicy = {...}; el.park()`) sees the new value. `SettingsCache` recomputes only when an
 * input changed (by identity), so asking for the settings on every call costs nothing.
 */
import { SoftPhoneError, toSoftPhoneError } from '../errors.js';
import { parseCallPolicy, type CallPolicy } from './call-policy.js';
import { createDialPlan, parseLinkedServers, parseParkSlots, parsePrefix, type DialPlan } from './dial-plan.js';
import type { LinkedServer } from './types.js';

/** The raw values, as the host set them. */
export interface SettingsInput {
  domain: string;
  prefix: string;
  linkedServers: string | readonly LinkedServer[];
  callPolicy: unknown;
  parkSlots: string;
  expires: number;
  refresh: number;
  callRecovery: number;
}

export interface Settings {
  /** Undefined while the domain is not set. With a bad prefix or linked-servers: the plain plan of the domain. */
  readonly plan: DialPlan | undefined;
  /** `{}` (the defaults) when the value is bad. */
  readonly policy: CallPolicy;
  /** Empty when the value is bad. */
  readonly slots: readonly string[];
  /** One error per bad value, in the order of the inputs. */
  readonly errors: readonly SoftPhoneError[];
}

/** A positive whole number of seconds (expires, refresh, call-recovery). */
export const isSeconds = (v: number): boolean => Number.isInteger(v) && v >= 1;

export function deriveSettings(input: SettingsInput): Settings {
  const errors: SoftPhoneError[] = [];
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (e) {
      errors.push(toSoftPhoneError(e, 'INVALID_CONFIG'));
      return fallback;
    }
  };
  // Each bad value is reported on its own; everything else keeps working.
  const prefix = attempt(() => parsePrefix(input.prefix), undefined);
  const linkedServers = attempt(() => parseLinkedServers(input.linkedServers), []);
  const policy = attempt(() => parseCallPolicy(input.callPolicy), {});
  const slots = attempt(() => parseParkSlots(input.parkSlots), []);
  for (const [name, value] of [['expires', input.expires], ['refresh', input.refresh], ['call-recovery', input.callRecovery]] as const) {
    if (!isSeconds(value)) {
      errors.push(new SoftPhoneError('INVALID_CONFIG', `${name} ${JSON.stringify(String(value))} is not a whole number of seconds`));
    }
  }
  const domain = typeof input.domain === 'string' ? input.domain.trim() : '';
  let plan: DialPlan | undefined;
  if (domain) {
    plan =
      attempt(() => createDialPlan({ domain, prefix, linkedServers }), undefined) ??
      attempt(() => createDialPlan({ domain }), undefined);
  }
  return { plan, policy, slots, errors };
}

/** `deriveSettings` again only when one of the inputs is not the same value as last time. */
export class SettingsCache {
  #input: SettingsInput | undefined;
  #settings: Settings | undefined;

  get(input: SettingsInput): Settings {
    const last = this.#input;
    const same = last !== undefined && (Object.keys(input) as (keyof SettingsInput)[]).every((k) => Object.is(input[k], last[k]));
    if (!same || !this.#settings) {
      this.#input = { ...input };
      this.#settings = deriveSettings(input);
    }
    return this.#settings;
  }
}
