/**
 * The agent's login list: validation of what the provisioning server sends, and the one order the
 * list is always shown in, whatever order the server uses:
 *   1. the agent's personal extension,
 *   2. the agent's virtual extension (follow-me to the mobile), labelled `mobile <number>`,
 *   3. every other extension, in the server's order.
 * Pure: no DOM, no I/O.
 */
import { SoftPhoneError } from '../errors.js';
import { showValue } from './show-value.js';

export const ExtensionKind = {
  Personal: 'personal',
  Virtual: 'virtual',
  Shared: 'shared',
} as const;
export type ExtensionKind = (typeof ExtensionKind)[keyof typeof ExtensionKind];

/** One entry of `GET {url}/agents/{agent}/extensions`. */
export interface ExtensionEntry {
  number: string;
  kind: ExtensionKind;
  label: string;
  /** The mobile number a virtual extension follows. */
  mobile?: string;
}

/** What the host may know about the agent beyond the server's `kind` marks. */
export interface AgentExtensionInfo {
  /** The agent's personal extension number. */
  personal?: string;
  /** The agent's virtual extension number. */
  virtual?: string;
  /** The agent's mobile number (label of the virtual extension when the entry carries none). */
  mobile?: string;
  /** Label of the virtual extension; default `mobile <number>`. Lets the UI localize the word. */
  mobileLabel?: (mobile: string) => string;
}

const KINDS: readonly string[] = Object.values(ExtensionKind);
const NUMBER_RE = /^[0-9*#+]{1,32}$/;

const describe = (value: unknown): string => showValue(value, 'missing');

function bad(message: string): SoftPhoneError {
  return new SoftPhoneError('PROVISIONING_ERROR', `Provisioning server sent a bad extension list: ${message}`);
}

/**
 * Checks the server's answer and returns clean copies. Throws `PROVISIONING_ERROR` naming the first
 * bad item and field. Duplicate numbers keep their first occurrence.
 */
export function parseExtensionList(data: unknown): ExtensionEntry[] {
  if (!Array.isArray(data)) throw bad(`expected an array, got ${describe(data)}`);
  const out: ExtensionEntry[] = [];
  const seen = new Set<string>();
  data.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw bad(`item ${i} is ${describe(item)}, expected an object`);
    }
    const rec = item as Record<string, unknown>;
    const { number, kind, label, mobile } = rec;
    if (typeof number !== 'string' || !NUMBER_RE.test(number)) {
      throw bad(`item ${i} has number ${describe(number)}, expected digits`);
    }
    if (typeof kind !== 'string' || !KINDS.includes(kind)) {
      throw bad(`item ${i} (${number}) has kind ${describe(kind)}, expected personal, virtual or shared`);
    }
    if (typeof label !== 'string') throw bad(`item ${i} (${number}) has label ${describe(label)}, expected text`);
    if (mobile !== undefined && mobile !== null && (typeof mobile !== 'string' || !NUMBER_RE.test(mobile))) {
      throw bad(`item ${i} (${number}) has mobile ${describe(mobile)}, expected a phone number`);
    }
    if (seen.has(number)) return;
    seen.add(number);
    const entry: ExtensionEntry = { number, kind: kind as ExtensionKind, label };
    if (typeof mobile === 'string') entry.mobile = mobile;
    out.push(entry);
  });
  return out;
}

/**
 * Orders the list: personal, then virtual (relabelled `mobile <number>`), then the rest, each group in
 * the server's order. `info` marks the agent's own numbers when the server's `kind` does not. Returns
 * new objects; the input is not changed.
 */
export function orderExtensions(
  list: readonly ExtensionEntry[],
  info: AgentExtensionInfo = {},
): ExtensionEntry[] {
  const mobileLabel = info.mobileLabel ?? ((m: string) => `mobile ${m}`);
  const personal: ExtensionEntry[] = [];
  const virtual: ExtensionEntry[] = [];
  const others: ExtensionEntry[] = [];
  for (const entry of list) {
    const copy: ExtensionEntry = { ...entry };
    if (entry.number === info.personal || (entry.kind === 'personal' && info.personal === undefined)) {
      copy.kind = 'personal';
      personal.push(copy);
    } else if (entry.number === info.virtual || (entry.kind === 'virtual' && info.virtual === undefined)) {
      copy.kind = 'virtual';
      const mobile = entry.mobile ?? info.mobile;
      if (mobile !== undefined) {
        copy.mobile = mobile;
        copy.label = mobileLabel(mobile);
      }
      virtual.push(copy);
    } else {
      // The host named the agent's own numbers: a different number the server marked personal or
      // virtual belongs to someone else, so it is one of "the others".
      if (copy.kind !== 'shared') copy.kind = 'shared';
      others.push(copy);
    }
  }
  return [...personal, ...virtual, ...others];
}
