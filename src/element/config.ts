/**
 * The element's properties as the engine and the call operations use them: the engine
 * configuration, the dial plan, the call policy, the park slots, the quality thresholds, and one
 * `INVALID_CONFIG` error per bad value. Pure: no DOM, no Lit; derived on demand, so a method called
 * right after a property is set sees the new value.
 */
import { parseThresholds, type QualityThresholds } from '../core/call-quality.js';
import type { CallPolicy } from '../core/call-policy.js';
import { createDialPlan, parseParkSlots, type DialPlan } from '../core/dial-plan.js';
import type { EngineConfig } from '../core/engine.js';
import { checkServers, type CheckedServers } from '../core/servers.js';
import { isSeconds, SettingsCache, type Settings } from '../core/settings.js';
import type { IceServer, LinkedServer } from '../core/types.js';
import { SoftPhoneError, toSoftPhoneError } from '../errors.js';
import { checkTheme } from '../ui/palette.js';

/** Engine settings the public API does not cover (tests and the lab). */
export type EngineOptions = Partial<Pick<EngineConfig, 'keepAlive' | 'candidateFilter' | 'qualitySampling'>>;

/** The raw property values the configuration is derived from, as the host set them. */
export interface ConfigSource {
  server: string;
  domain: string;
  extension: string;
  authUser: string;
  displayName: string;
  expires: number;
  refresh: number;
  callRecovery: number;
  prefix: string;
  linkedServers: string | readonly LinkedServer[];
  parkSlots: string;
  iceServers: IceServer[];
  callPolicy: CallPolicy;
  qualityThresholds: Partial<QualityThresholds>;
  engineOptions: EngineOptions;
  theme: string;
}

/** The properties whose change reconfigures the phone. */
export const CONFIG_KEYS = [
  'server', 'domain', 'extension', 'authUser', 'displayName', 'expires', 'refresh', 'callRecovery', 'prefix',
  'linkedServers', 'parkSlots', 'iceServers', 'callPolicy', 'autoRegister', 'engineOptions',
  'provisioningUrl', 'agent', 'provisioningOptions', 'qualityThresholds', 'shortcuts', 'theme',
] as const;

/**
 * `auto-register` is true unless the attribute says otherwise: absent means the default (true), and
 * `"false"`, `"off"`, `"no"` and `"0"` (any case) turn it off. Any other value, including the empty
 * value of a bare `auto-register`, means true. (A plain HTML boolean attribute could never switch a
 * default-true option off.)
 */
export const autoRegisterConverter = switchConverter(true);

/** An on/off attribute: absent means `absent`; `"false"`, `"off"`, `"no"`, `"0"` (any case) mean off; anything else on. */
export function switchConverter(absent: boolean): { fromAttribute(value: string | null): boolean } {
  return { fromAttribute: (value) => (value === null ? absent : !/^(false|off|no|0)$/i.test(value.trim())) };
}

/** The secret and a counter that changes with it: configurations are compared by the counter. */
export interface PasswordSlot {
  readonly text: string;
  readonly version: number;
}

/** What the audio settings add to the engine configuration. */
export interface AudioChoice {
  microphone?: string;
  speaker?: string;
}

export class PhoneConfig {
  readonly #source: ConfigSource;
  readonly #cache = new SettingsCache();

  constructor(source: ConfigSource) {
    this.#source = source;
  }

  /** The settings as they are now, even when set in this same task (cached by input identity). */
  settings(): Settings {
    const { domain, prefix, linkedServers, callPolicy, parkSlots, expires, refresh, callRecovery } = this.#source;
    return this.#cache.get({ domain, prefix, linkedServers, callPolicy, parkSlots, expires, refresh, callRecovery });
  }

  /** The `server` URLs, checked: the usable ones, and an error for each one left out. */
  servers(): CheckedServers {
    return checkServers(this.#source.server.split(/\s+/).filter(Boolean), globalThis.location?.protocol);
  }

  /** The first configured server URL ('' when none). */
  firstServer(): string {
    return this.#source.server.split(/\s+/).find(Boolean) ?? '';
  }

  /** `<extension>@<domain>`, or '' while either is not set. */
  aor(): string {
    const extension = this.#source.extension.trim();
    const domain = this.#source.domain.trim();
    return extension && domain ? `${extension}@${domain}` : '';
  }

  policy(): CallPolicy {
    return this.settings().policy;
  }

  /** The dial plan in force; without a valid domain this throws the domain's `INVALID_CONFIG`. */
  plan(): DialPlan {
    return this.settings().plan ?? createDialPlan({ domain: this.#source.domain });
  }

  /** The park slots; a bad `park-slots` value throws its `INVALID_CONFIG`. */
  slots(): readonly string[] {
    const slots = this.settings().slots;
    return slots.length ? slots : parseParkSlots(this.#source.parkSlots);
  }

  /** The thresholds in force: the host's override, or the defaults while it is invalid. */
  thresholds(): QualityThresholds {
    try {
      return parseThresholds(this.#source.qualityThresholds);
    } catch {
      return parseThresholds(undefined);
    }
  }

  /** Every configuration error now: the settings, the servers, and each of `checks` that throws. */
  errors(checks: readonly (() => unknown)[] = []): SoftPhoneError[] {
    const errors = [...this.settings().errors, ...this.servers().errors];
    const theme = (): unknown => checkTheme(this.#source.theme);
    for (const check of [...checks, () => parseThresholds(this.#source.qualityThresholds), theme]) {
      try {
        check();
      } catch (e) {
        errors.push(toSoftPhoneError(e, 'INVALID_CONFIG'));
      }
    }
    return errors;
  }

  /** The engine configuration, or undefined while server, domain or extension is missing. */
  engine(password: PasswordSlot, audio: AudioChoice): EngineConfig | undefined {
    const s = this.#source;
    const servers = this.servers().usable;
    const domain = s.domain.trim();
    const extension = s.extension.trim();
    if (!servers.length || !domain || !extension) return undefined;
    const plan = this.settings().plan;
    const num = (v: number, fallback: number): number => (isSeconds(v) ? v : fallback);
    return {
      servers,
      domain,
      extension,
      authUser: s.authUser.trim() || extension,
      ...(password.text ? { password: password.text } : {}),
      ...(s.displayName ? { displayName: s.displayName } : {}),
      expires: num(s.expires, 30),
      refresh: num(s.refresh, 15),
      callRecovery: num(s.callRecovery, 30),
      iceServers: Array.isArray(s.iceServers) ? s.iceServers : [],
      // The plan in force when the call arrives: prefix and linked servers change without reconfiguring.
      ...(plan ? { classify: (user: string, name?: string, host?: string) => (this.settings().plan ?? plan).classifyIncoming(user, name, host) } : {}),
      microphone: audio.microphone,
      speaker: audio.speaker,
      qualityThresholds: this.thresholds(),
      ...s.engineOptions,
    };
  }

  /** Why there is no engine configuration: the first unusable server, else what is not set. */
  missing(): SoftPhoneError {
    const servers = this.servers();
    // a server set but none usable (e.g. ws:// on an https:// page): the reason, naming the URL
    if (!servers.usable.length && servers.errors[0]) return servers.errors[0];
    const missing = (['server', 'domain', 'extension'] as const).filter((k) => !this.#source[k].trim());
    return new SoftPhoneError('INVALID_CONFIG', `cannot register: ${missing.join(', ')} not set`);
  }
}

/** Equal for configurations that need no reconfiguring (the password by its version, never its text). */
export function configKey(config: EngineConfig, password: PasswordSlot): string {
  return JSON.stringify({ ...config, password: password.version, classify: undefined });
}

