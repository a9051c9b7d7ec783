/**
 * The dial plan: this server's prefix, the linked servers, and what a dialed or incoming number is.
 *
 * Linked servers are separate PBX servers that reach each other's extensions by prefix: from the
 * server with prefix 11, dialing `12` + `2099` rings extension 2099 on the server with prefix 12, and
 * the callee sees the caller as `11` + `3999`. The phone dials such a number at its OWN domain
 * (`sip:122099@server1.test`); its server does the routing.
 *
 * ## Prefixes
 * A whole number 1-98 except 7, 8 and 9 (those start outside-line and feature codes), written in
 * plain digits: no sign, no leading zero. Surrounding whitespace is ignored. No prefix of the set
 * (own and linked) may be a prefix of another (`1` and `12`), and none may repeat.
 *
 * ## What can be dialed
 * Input is first NFKC-normalized (full-width digits, `＋`, `－`, `（）` and the ideographic space
 * become ASCII) and Unicode dashes (`‐ – — −` and the katakana `ー`) count as `-`; it is then
 * trimmed. Then it is one of:
 * - a number: an optional leading `+`, then digits and the separators whitespace, `-`, `.` and one or
 *   more non-nested pairs of parentheses around digits (`(03) 1234-5678`). It must start with a
 *   digit or `(` and end with a digit. Separators carry no meaning and are dropped. After `+`, a
 *   `(0)` group is the national trunk digit and is dropped (`+81 (0)3 1234 5678`).
 * - a SIP address: `sip:user@host`, `sips:user@host` (optional `:port` and `;params`, no headers),
 *   or a bare `user@host` (taken as `sip:`).
 *
 * The digits of a number (D) are classified, first rule that matches:
 * 1. `+` then 3-15 digits, the first not 0: external (E.164). `number` keeps the `+`.
 * 2. `0` then 2-19 more digits: external (a national or international call).
 * 3. D starts with a linked server's prefix and the rest is an extension: linked. `number` is D
 *    (prefix + extension), `prefix` and `server` (its label) are set.
 * 4. D starts with OUR prefix and the rest is a plain extension (one that does not itself start with
 *    a prefix, linked or ours, + extension): internal, dialed and shown without our prefix, so a
 *    number copied from another server's display (`113999`) reaches our own 3999.
 * 5. D is an extension: internal.
 * 6. D is 7-20 digits (first not 0): external.
 * Anything else is `INVALID_NUMBER`.
 *
 * An EXTENSION is 3-6 digits, the first not 0 (the lab has 3999, 4000, 2099, park slots 701-720 and
 * provisioning numbers 100-999). A linked prefix wins over an extension of our own that happens to
 * start with it, exactly as the server's routing does (`12<anything>` goes to server 12), so a server's
 * own extensions should not start with a linked prefix.
 *
 * A SIP address at OUR domain whose user part is a number is dialed like that number; with another
 * user part (`sip:alice@server1.test`) it is internal and shown as `alice@server1.test`. A SIP address
 * at any other domain is external, shown as `user@host`, and dialed as written (linked servers are
 * known by prefix only, not by domain).
 *
 * ## Incoming callers
 * `classifyIncoming(user, displayName, host)` uses the same rules, so what the phone shows for a call
 * it placed and for a call it received from the same party agree. A caller whose user part is a
 * number is classified by its digits WHATEVER its host: a linked server's caller arrives with that
 * server's host (`113999@server1.test` at server2) and is still linked. A caller with a name for a
 * user part is internal at our domain, external elsewhere (or when no host is given), and shown as
 * `user@host`. A `user` that
 * contains `@` is taken as an address as shown in a `RemoteParty` (`alice@example.com`) and
 * classifies exactly as dialing it would: so `classifyIncoming(toTarget(x).remote.number)` always
 * gives back `toTarget(x).remote`. Pass the network's user and host separately, not a whole URI.
 * Anything else (anonymous, garbage) is external, carried as text. The display name is plain text:
 * control characters are dropped, the rest is carried as is.
 */
import { SoftPhoneError } from '../errors.js';
import type { DialTarget } from './engine.js';
import type { LinkedServer, RemoteParty } from './types.js';
import { isExtension, matchLinkedServer } from './extensions.js';

export type { DialTarget } from './engine.js';
export { isExtension, matchLinkedServer } from './extensions.js';
export type { LinkedServer, RemoteParty } from './types.js';

export interface DialPlanConfig {
  /** SIP domain the phone registers at; numbers are dialed as `sip:<digits>@<domain>`. */
  domain: string;
  /** This server's own prefix among linked servers (already parsed, or raw). */
  prefix?: string;
  linkedServers?: readonly LinkedServer[];
}

export interface DialPlan {
  readonly domain: string;
  readonly prefix: string | undefined;
  readonly linkedServers: readonly LinkedServer[];
  /** What to call for what the agent typed. Throws `INVALID_NUMBER` naming the input. */
  toTarget(input: string): DialTarget;
  /**
   * How to show an incoming caller (see "Incoming callers" above). Never throws: the input comes
   * from the network.
   */
  classifyIncoming(user: string, displayName?: string, host?: string): RemoteParty;
  /** True when `value` is an extension in the sense of this plan (3-6 digits, not starting with 0). */
  isExtension(value: string): boolean;
}

/** A display name or number longer than this is refused (input) or cut (network). */
const MAX_INPUT = 256;

/** A quoted, shortened copy of a bad value for an error message. */
export function describeValue(value: unknown): string {
  const cut = (text: string) => (text.length > 64 ? `${text.slice(0, 63)}…` : text);
  if (typeof value === 'string') return JSON.stringify(cut(value));
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return cut(text);
}

function configError(message: string): SoftPhoneError {
  return new SoftPhoneError('INVALID_CONFIG', message);
}

/**
 * Parses a prefix attribute/property. Empty, `null` and `undefined` mean "no prefix". Integers are
 * accepted from a property (`el.prefix = 11`).
 */
export function parsePrefix(value: unknown, what = 'prefix'): string | undefined {
  if (value === undefined || value === null) return undefined;
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isInteger(value)) text = String(value);
  else throw configError(`${what} ${describeValue(value)} is not a prefix: use a whole number 1-98 except 7, 8 and 9`);
  if (text === '') return undefined;
  if (!/^[1-9][0-9]?$/.test(text)) {
    throw configError(`${what} ${describeValue(value)} is not a prefix: use a whole number 1-98 except 7, 8 and 9`);
  }
  if (text === '7' || text === '8' || text === '9' || text === '99') {
    throw configError(
      `${what} ${describeValue(value)} is not allowed: prefixes are 1-98 except 7, 8 and 9 (outside line and feature codes)`,
    );
  }
  return text;
}

/**
 * Parses `linked-servers`: a JSON string (attribute) or an array (property) of `{ prefix, label }`.
 * Empty, `null` and `undefined` mean "no linked servers". The prefixes must not clash with each other.
 */
export function parseLinkedServers(value: unknown): LinkedServer[] {
  if (value === undefined || value === null) return [];
  let list: unknown = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return [];
    try {
      list = JSON.parse(value);
    } catch {
      throw configError(`linked-servers ${describeValue(value)} is not valid JSON: expected [{"prefix": "12", "label": "Osaka"}]`);
    }
  }
  if (!Array.isArray(list)) {
    throw configError(`linked-servers ${describeValue(value)} is not an array of {prefix, label}`);
  }
  const servers = list.map((entry: unknown, i): LinkedServer => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw configError(`linked-servers[${i}] ${describeValue(entry)} is not an object {prefix, label}`);
    }
    for (const key of Object.keys(entry)) {
      if (key !== 'prefix' && key !== 'label') {
        throw configError(`linked-servers[${i}] has an unknown key ${describeValue(key)}: only "prefix" and "label" are allowed`);
      }
    }
    const { prefix, label } = entry as { prefix?: unknown; label?: unknown };
    const parsed = parsePrefix(prefix, `linked-servers[${i}].prefix`);
    if (parsed === undefined) throw configError(`linked-servers[${i}] has no prefix`);
    if (typeof label !== 'string' || label.trim() === '') {
      throw configError(`linked-servers[${i}] (prefix ${parsed}) has no label: got ${describeValue(label)}`);
    }
    return { prefix: parsed, label: label.trim() };
  });
  checkPrefixSet(servers.map((s) => s.prefix));
  return servers;
}

/** Throws `INVALID_CONFIG` naming both values when prefixes repeat or one is a prefix of another. */
export function checkPrefixSet(prefixes: readonly string[]): void {
  for (let i = 0; i < prefixes.length; i++) {
    for (let j = i + 1; j < prefixes.length; j++) {
      const a = prefixes[i]!;
      const b = prefixes[j]!;
      if (a === b) throw configError(`prefix ${a} is used twice`);
      if (b.startsWith(a) || a.startsWith(b)) {
        const [short, long] = a.length < b.length ? [a, b] : [b, a];
        throw configError(`prefixes ${short} and ${long} clash: ${short} is a prefix of ${long}`);
      }
    }
  }
}

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])$/i;
const PORT = /^(?:[1-9][0-9]{0,4})$/;

function isHostPort(value: string): boolean {
  const m = /^(.*?)(?::([0-9]+))?$/.exec(value);
  if (!m || !HOST.test(m[1]!)) return false;
  return m[2] === undefined || (PORT.test(m[2]) && Number(m[2]) <= 65535);
}

/** Unicode dashes and the katakana prolonged sound mark, often typed for a hyphen in Japanese. */
const DASHES = /[\u2010-\u2015\u2212\u30fc\uff70]/g;

function normalizeInput(value: string): string {
  return value.normalize('NFKC').replace(DASHES, '-').trim();
}

/**
 * The digits of a number as typed (see the module comment), with `+` kept, or undefined when it is
 * not written like a number.
 */
export function numberDigits(text: string): string | undefined {
  if (!/^\+?[0-9\s.()-]+$/.test(text)) return undefined;
  const plus = text.startsWith('+');
  let rest = plus ? text.slice(1).trim() : text;
  if (!/^[0-9(]/.test(rest) || !/[0-9]$/.test(rest)) return undefined;
  // parenthesized groups: digits (and spaces) only, not nested, not empty
  const groups = /\(([^()]*)\)/g;
  let m: RegExpExecArray | null;
  while ((m = groups.exec(rest))) {
    if (!/^\s*[0-9][0-9\s]*$/.test(m[1]!)) return undefined;
  }
  if (/[()]/.test(rest.replace(groups, ''))) return undefined;
  if (plus) rest = rest.replace(/^\(\s*0\s*\)/, '').replace(/([0-9\s.-])\(\s*0\s*\)/, '$1');
  const digits = rest.replace(/[^0-9]/g, '');
  if (digits === '') return undefined;
  return plus ? `+${digits}` : digits;
}

interface SipAddress {
  scheme: 'sip' | 'sips';
  user: string;
  /** Host as written, lowercased, without port. */
  host: string;
  /** `host[:port][;params]` as written (host lowercased). */
  rest: string;
}

const SIP_USER = /^(?:[A-Za-z0-9\-_.!~*'&=+$,]|%[0-9A-Fa-f]{2})+$/;
const SIP_PARAM = /^[A-Za-z0-9\-_.!~*'%]+(?:=[A-Za-z0-9\-_.!~*'%[\]:]+)?$/;

function parseSipAddress(text: string): SipAddress | undefined {
  const m = /^(?:(sips?):)?([^@]+)@(.+)$/i.exec(text);
  if (!m) return undefined;
  const scheme = (m[1] ?? 'sip').toLowerCase() as 'sip' | 'sips';
  const user = m[2]!;
  if (!SIP_USER.test(user)) return undefined;
  const [hostPort = '', ...params] = m[3]!.split(';');
  if (!isHostPort(hostPort) || !params.every((p) => SIP_PARAM.test(p))) return undefined;
  const host = hostPort.replace(/:[0-9]+$/, '').toLowerCase();
  const rest = [hostPort.toLowerCase(), ...params].join(';');
  return { scheme, user, host, rest };
}

/** Builds the dial plan; throws `INVALID_CONFIG` naming the bad value. */
export function createDialPlan(config: DialPlanConfig): DialPlan {
  const domain = typeof config.domain === 'string' ? config.domain.trim().toLowerCase() : '';
  if (!isHostPort(domain)) throw configError(`domain ${describeValue(config.domain)} is not a SIP domain`);
  const prefix = parsePrefix(config.prefix);
  const linked = parseLinkedServers(config.linkedServers ?? []);
  checkPrefixSet([...(prefix === undefined ? [] : [prefix]), ...linked.map((s) => s.prefix)]);
  const linkedServers = Object.freeze(linked.map((s) => Object.freeze({ ...s })));

  const ownHost = domain.replace(/:[0-9]+$/, '');
  const linkedMatch = (digits: string): LinkedServer | undefined => matchLinkedServer(digits, linkedServers);
  /** An extension that no prefix rule would reinterpret. */
  const isPlainExtension = (digits: string): boolean =>
    isExtension(digits) &&
    !linkedMatch(digits) &&
    !(prefix !== undefined && digits.startsWith(prefix) && isExtension(digits.slice(prefix.length)));

  /** The rules 1-6 of the module comment; undefined for a number that cannot be dialed. */
  const classifyDigits = (digits: string): RemoteParty | undefined => {
    if (digits.startsWith('+')) return /^\+[1-9][0-9]{2,14}$/.test(digits) ? { number: digits, kind: 'external' } : undefined;
    if (digits.startsWith('0')) return /^0[0-9]{2,19}$/.test(digits) ? { number: digits, kind: 'external' } : undefined;
    const server = linkedMatch(digits);
    if (server) return { number: digits, kind: 'linked', prefix: server.prefix, server: server.label };
    if (prefix !== undefined && digits.startsWith(prefix) && isPlainExtension(digits.slice(prefix.length))) {
      return { number: digits.slice(prefix.length), kind: 'internal' };
    }
    if (isExtension(digits)) return { number: digits, kind: 'internal' };
    if (/^[1-9][0-9]{6,19}$/.test(digits)) return { number: digits, kind: 'external' };
    return undefined;
  };

  /** A SIP address: numbers at our domain as dialed, names at our domain internal, the rest external. */
  const classifyAddress = (user: string, host: string): { remote: RemoteParty; byNumber: boolean } => {
    if (host === ownHost) {
      const digits = numberDigits(user);
      const remote = digits === undefined ? undefined : classifyDigits(digits);
      if (remote) return { remote, byNumber: true };
      return { remote: { number: `${user}@${host}`, kind: 'internal' }, byNumber: false };
    }
    return { remote: { number: `${user}@${host}`, kind: 'external' }, byNumber: false };
  };

  const invalid = (input: unknown, why: string): SoftPhoneError =>
    new SoftPhoneError('INVALID_NUMBER', `${describeValue(input)} ${why}`);

  const toTarget = (input: string): DialTarget => {
    if (typeof input !== 'string') throw invalid(input, 'is not a number or SIP address');
    const text = normalizeInput(input);
    if (text === '') throw invalid(input, 'is empty: enter an extension, a number or a SIP address');
    if (text.length > MAX_INPUT) throw invalid(input, `is longer than ${MAX_INPUT} characters`);
    const digits = numberDigits(text);
    if (digits !== undefined) {
      const remote = classifyDigits(digits);
      if (!remote) {
        throw invalid(
          input,
          'is not a number that can be dialed: an extension has 3-6 digits, a linked number is prefix + extension, an outside number starts with 0 or +',
        );
      }
      return { uri: `sip:${remote.number}@${domain}`, remote };
    }
    if (/^sips?:/i.test(text) || text.includes('@')) {
      const address = parseSipAddress(text);
      if (!address) throw invalid(input, 'is not a valid SIP address (sip:user@host)');
      const { remote, byNumber } = classifyAddress(address.user, address.host);
      return { uri: byNumber ? `sip:${remote.number}@${domain}` : `${address.scheme}:${address.user}@${address.rest}`, remote };
    }
    throw invalid(input, 'is not a number or SIP address');
  };

  const classifyIncoming = (user: string, displayName?: string, host?: string): RemoteParty => {
    let text = typeof user === 'string' ? normalizeInput(user).replace(/^sips?:/i, '') : '';
    let from = typeof host === 'string' && host.trim() !== '' ? host.trim().toLowerCase().replace(/:[0-9]+$/, '') : undefined;
    const at = text.lastIndexOf('@');
    if (at > 0) {
      // an address as shown in a RemoteParty, or a whole URI: classified exactly like dialing it
      from = text.slice(at + 1).replace(/[;?].*$/, '').replace(/:[0-9]+$/, '').toLowerCase();
      text = text.slice(0, at);
    }
    if (text.length > MAX_INPUT) text = text.slice(0, MAX_INPUT);
    if (from !== undefined && from.length > MAX_INPUT) from = from.slice(0, MAX_INPUT);
    let remote: RemoteParty;
    const digits = numberDigits(text);
    const byNumber = digits === undefined ? undefined : classifyDigits(digits);
    if (at > 0 && text !== '' && from) remote = classifyAddress(text, from).remote;
    // a number is classified by its digits whatever the host: a linked server's caller arrives
    // with that server's host (`113999@server1.test` at server2)
    else if (byNumber) remote = byNumber;
    else if (text !== '' && from) remote = classifyAddress(text, from).remote;
    else remote = { number: text, kind: 'external' };
    const name = typeof displayName === 'string' ? displayName.replace(/\p{Cc}/gu, '').trim().slice(0, MAX_INPUT) : '';
    return name === '' ? remote : { ...remote, displayName: name };
  };

  return Object.freeze({
    domain,
    prefix,
    linkedServers,
    toTarget,
    classifyIncoming,
    isExtension,
  });
}

/**
 * A remote party for display: the number, then ` · ` and the server label for a linked party
 * (`113999 · Tokyo`). Plain text: render it as text, never as HTML. The UI adds labels and names.
 */
export function formatRemote(remote: RemoteParty): string {
  const number = remote.number || remote.displayName || '';
  return remote.kind === 'linked' && remote.server ? `${number} · ${remote.server}` : number;
}

/**
 * Parses `park-slots`: extensions and ranges separated by spaces or commas, e.g. `701-720` or
 * `701-705, 710`. Returns the slots in order, without repeats; at most 1000.
 */
export function parseParkSlots(value: unknown): string[] {
  const bad = (why: string) => configError(`park-slots ${describeValue(value)} ${why}`);
  if (typeof value !== 'string' || value.trim() === '') throw bad('is empty: use e.g. 701-720');
  const slots: string[] = [];
  for (const part of value.trim().split(/[\s,]+/)) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!m || !isExtension(m[1]!) || (m[2] !== undefined && !isExtension(m[2]))) {
      throw bad(`has ${describeValue(part)}, which is not an extension or a range of extensions`);
    }
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw bad(`has the backwards range ${describeValue(part)}`);
    if (slots.length + (to - from + 1) > 1000) throw bad('has more than 1000 slots');
    for (let n = from; n <= to; n++) if (!slots.includes(String(n))) slots.push(String(n));
  }
  return slots;
}
