/**
 * Typed client for the provisioning API (API.md "Provisioning API"). Works with the browser's and
 * Node's fetch. Every failure rejects with a `SoftPhoneError`:
 * - 409 `{ code: 'NO_FREE_NUMBER' }` -> `NO_FREE_NUMBER`, "No free number or the number is invalid";
 * - any other 4xx/5xx, a timeout, a network failure, a body that is not the expected JSON ->
 *   `PROVISIONING_ERROR` with the method, URL and status (never the SIP password);
 * - bad arguments, checked before anything is sent -> `INVALID_NUMBER` / `INVALID_CONFIG` naming them.
 */
import { SoftPhoneError } from '../errors.js';
import { showValue as show } from '../core/show-value.js';
import { orderExtensions, parseExtensionList, type ExtensionEntry } from '../core/extension-list.js';
import { checkForwarding, type ForwardingSettings } from './forwarding.js';
import { checkProvisioningUrl, safeUrl } from './url.js';

export type { ExtensionEntry, ExtensionKind } from '../core/extension-list.js';
export type { ForwardingSettings } from './forwarding.js';

/** SIP settings of a softphone login. `password` is a secret: hand it to the phone only. */
export interface SipSettings {
  /** WebSocket URLs in failover order. */
  server: string[];
  domain: string;
  extension: string;
  authUser: string;
  password: string;
  displayName: string;
}

/** A login on a real extension: the phone registers with `sip`. */
export interface SoftphoneSession {
  sip: SipSettings;
  virtual?: undefined;
  status: string;
  statuses: string[];
}

/**
 * A login on the agent's virtual extension: nothing registers (calls follow the agent's mobile),
 * `sip` is null, status is the built-in `virtual`.
 */
export interface VirtualSession {
  sip: null;
  virtual: { extension: string; mobile: string };
  status: string;
  statuses: string[];
}

export type ProvisioningSession = SoftphoneSession | VirtualSession;

export interface ProvisioningClientOptions {
  /** Base URL of the API, e.g. `https://crm.example/provisioning`. */
  baseUrl: string;
  /** Agent id. */
  agent: string;
  /** Defaults to the global fetch (looked up at call time). */
  fetch?: typeof globalThis.fetch;
  /** Per request; default 8000 ms. */
  timeoutMs?: number;
  /** Extra request headers, e.g. the CRM's authorization token. */
  headers?: Record<string, string>;
  /** Default 'same-origin'; 'include' sends the CRM's cookies to another origin. */
  credentials?: RequestCredentials;
}

export interface ProvisioningClient {
  readonly baseUrl: string;
  readonly agent: string;
  /** Checked and in login order (personal, virtual as `mobile <number>`, the others). */
  listExtensions(): Promise<ExtensionEntry[]>;
  /**
   * Without an extension: automatic mode (the server picks a free account). `chosen` is the login
   * list's entry for the extension, when known (it tells a virtual login apart).
   */
  startSession(extension?: string, chosen?: ExtensionEntry): Promise<ProvisioningSession>;
  endSession(): Promise<void>;
  setStatus(status: string): Promise<string>;
  getForwarding(number: string): Promise<ForwardingSettings>;
  setForwarding(number: string, settings: ForwardingSettings): Promise<ForwardingSettings>;
}

export const NO_FREE_NUMBER_MESSAGE = 'No free number or the number is invalid';

/** Every softphone login starts in this status. */
export const AVAILABLE_STATUS = 'available';
/** The built-in status of a virtual login (not renamable). */
export const VIRTUAL_STATUS = 'virtual';
/**
 * Statuses the phone sets by itself while a call is up (not for the agent's menu). A softphone
 * session's `statuses` ends with them; a virtual session never offers them.
 */
export const AUTOMATIC_STATUSES: readonly string[] = ['incoming call', 'outgoing call'];
export const DEFAULT_TIMEOUT_MS = 8000;

const EXTENSION_RE = /^[0-9]{1,16}$/;

function provisioningError(message: string): SoftPhoneError {
  return new SoftPhoneError('PROVISIONING_ERROR', message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * A login is virtual when the chosen extension is `kind: 'virtual'` in the list (`chosen`) or the
 * answer's status is `virtual`, whatever the answer says about SIP: servers differ (some answer
 * `sip: null`, some still send SIP settings, which a virtual login then ignores, password included).
 */
function parseSession(data: unknown, where: string, chosen?: ExtensionEntry): ProvisioningSession {
  const fail = (what: string) => provisioningError(`${where} returned a bad session: ${what}`);
  if (!isRecord(data)) throw fail(`expected an object, got ${show(data)}`);
  const { sip, status, statuses } = data;
  if (typeof status !== 'string' || status === '') throw fail(`status is ${show(status)}`);
  if (!isStringArray(statuses)) throw fail(`statuses is ${show(statuses)}, expected a list of text`);
  if (chosen?.kind === 'virtual' || status === VIRTUAL_STATUS) {
    const v = isRecord(data.virtual) ? data.virtual : {};
    const extension = text(v.extension) ?? chosen?.number ?? (isRecord(sip) ? text(sip.extension) : undefined);
    if (!extension) throw fail('a virtual login names no extension (virtual.extension, or the chosen extension)');
    const mobile = text(v.mobile) ?? (chosen?.number === extension ? chosen.mobile : undefined) ?? '';
    return { sip: null, virtual: { extension, mobile }, status, statuses: [...statuses] };
  }
  if (sip === null || sip === undefined) {
    throw fail('sip is missing and it is not a virtual login (the chosen extension is not virtual, the status is not "virtual")');
  }
  if (!isRecord(sip)) throw fail('sip is not an object');
  // Names of bad fields only: the values may include the password.
  if (!isStringArray(sip.server) || sip.server.length === 0) throw fail('sip.server must be a non-empty list of URLs');
  for (const key of ['domain', 'extension', 'authUser', 'password'] as const) {
    if (typeof sip[key] !== 'string' || sip[key] === '') throw fail(`sip.${key} is missing or not text`);
  }
  if (sip.displayName !== undefined && typeof sip.displayName !== 'string') throw fail('sip.displayName is not text');
  return {
    sip: {
      server: [...sip.server],
      domain: sip.domain as string,
      extension: sip.extension as string,
      authUser: sip.authUser as string,
      password: sip.password as string,
      displayName: (sip.displayName as string | undefined) ?? '',
    },
    status,
    statuses: [...statuses],
  };
}

function parseForwardingAnswer(data: unknown, where: string): ForwardingSettings {
  const check = checkForwarding(data);
  if (!check.ok) throw provisioningError(`${where} returned bad forwarding settings: ${check.message}`);
  return check.value;
}

export function createProvisioningClient(options: ProvisioningClientOptions): ProvisioningClient {
  const { agent } = options;
  checkProvisioningUrl(options.baseUrl);
  if (typeof agent !== 'string' || agent.trim() === '') {
    throw new SoftPhoneError('INVALID_CONFIG', `agent ${show(agent)} must be a non-empty id`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new SoftPhoneError('INVALID_CONFIG', `timeoutMs ${show(timeoutMs)} must be a positive number`);
  }
  const baseText = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  function url(path: string): URL {
    return new URL(`${baseText}${path}`);
  }

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    const target = url(path);
    const where = `${method} ${safeUrl(target)}`;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      let response: Response;
      try {
        response = await doFetch(target.href, {
          method,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
          credentials: options.credentials ?? 'same-origin',
        });
      } catch (e) {
        if (timedOut) throw provisioningError(`Provisioning server did not answer ${where} within ${timeoutMs} ms`);
        const reason = e instanceof Error ? e.message : String(e);
        throw provisioningError(`Provisioning server unreachable (${where}): ${reason}`);
      }
      let text: string;
      try {
        text = await response.text();
      } catch {
        if (timedOut) throw provisioningError(`Provisioning server did not answer ${where} within ${timeoutMs} ms`);
        throw provisioningError(`Provisioning server broke off its answer to ${where} (status ${response.status})`);
      }
      let data: unknown = undefined;
      let parsed = false;
      if (text.trim() !== '') {
        try {
          data = JSON.parse(text);
          parsed = true;
        } catch {
          parsed = false;
        }
      }
      if (!response.ok) {
        const err = isRecord(data) ? data : {};
        if (response.status === 409 && err.code === 'NO_FREE_NUMBER') {
          throw new SoftPhoneError('NO_FREE_NUMBER', NO_FREE_NUMBER_MESSAGE);
        }
        const detail = typeof err.message === 'string' ? `: ${err.message.slice(0, 200)}` : '';
        const code = typeof err.code === 'string' ? ` ${err.code.slice(0, 40)}` : '';
        throw provisioningError(`Provisioning server answered ${response.status}${code} to ${where}${detail}`);
      }
      if (response.status === 204) return undefined;
      if (!parsed) {
        throw provisioningError(`Provisioning server sent malformed JSON in its answer to ${where} (status ${response.status})`);
      }
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  const agentPath = `/agents/${encodeURIComponent(agent)}`;

  function checkNumber(number: unknown, what: string): string {
    if (typeof number !== 'string' || !EXTENSION_RE.test(number)) {
      throw new SoftPhoneError('INVALID_NUMBER', `${what} ${show(number)} is not an extension number (digits only)`);
    }
    return number;
  }

  return {
    baseUrl: baseText,
    agent,

    async listExtensions() {
      const path = `${agentPath}/extensions`;
      const data = await request('GET', path);
      return orderExtensions(parseExtensionList(data));
    },

    async startSession(extension?: string, chosen?: ExtensionEntry) {
      if (extension !== undefined) checkNumber(extension, 'Extension');
      const path = `${agentPath}/session`;
      const data = await request('POST', path, extension === undefined ? {} : { extension });
      return parseSession(data, `POST ${safeUrl(url(path))}`, chosen?.number === extension ? chosen : undefined);
    },

    async endSession() {
      await request('DELETE', `${agentPath}/session`);
    },

    async setStatus(status: string) {
      if (typeof status !== 'string' || status.trim() === '') {
        throw new SoftPhoneError('INVALID_CONFIG', `status ${show(status)} must be a non-empty name`);
      }
      const path = `${agentPath}/status`;
      const data = await request('PUT', path, { status });
      if (!isRecord(data) || typeof data.status !== 'string') {
        throw provisioningError(`PUT ${safeUrl(url(path))} returned ${show(data)}, expected { status }`);
      }
      return data.status;
    },

    async getForwarding(number: string) {
      checkNumber(number, 'Extension');
      const path = `/extensions/${encodeURIComponent(number)}/forwarding`;
      const data = await request('GET', path);
      return parseForwardingAnswer(data, `GET ${safeUrl(url(path))}`);
    },

    async setForwarding(number: string, settings: ForwardingSettings) {
      checkNumber(number, 'Extension');
      const check = checkForwarding(settings, number);
      if (!check.ok) throw new SoftPhoneError('INVALID_CONFIG', `Forwarding: ${check.message}`);
      const path = `/extensions/${encodeURIComponent(number)}/forwarding`;
      const data = await request('PUT', path, check.value);
      return parseForwardingAnswer(data, `PUT ${safeUrl(url(path))}`);
    },
  };
}
