/**
 * What tabs that share one phone say to each other over their BroadcastChannel. Pure: no DOM.
 *
 * The leader tab holds the SIP side; it sends every change of its phone state (`change`) and, to a
 * tab that joins or when it takes the lead, the whole state at once (`snapshot`). A follower sends
 * the engine method it was asked for (`command`) and gets one `reply`. Nothing here ever carries the
 * password: a command names a method of the engine that is not `configure`, and its arguments are
 * call ids, dial targets and park slots.
 */
import type { PhoneChange, PhoneState, RegistrationDetail } from '../core/phone-state.js';
import { CallState, RegistrationState, type CallInfo, type ParkedCall } from '../core/types.js';
import { toSoftPhoneError, type ErrorCode } from '../errors.js';

export type TabRole = 'leader' | 'follower' | 'alone';

/** The part of the Web Locks API this uses (`navigator.locks`). */
export interface TabLocks {
  request(
    name: string,
    options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown>;
}

/** The part of BroadcastChannel this uses. */
export interface TabChannel {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
}


/** The engine methods a follower may ask the leader to run. */
export const COMMANDS = [
  'register', 'unregister', 'call', 'answer', 'decline', 'hangup', 'hold', 'unhold', 'setMuted', 'sendDtmf',
  'transfer', 'completeTransfer', 'cancelTransfer', 'park', 'resumeAudio',
] as const;
export type Command = (typeof COMMANDS)[number];

export interface Snapshot {
  registration: RegistrationState;
  detail: RegistrationDetail;
  calls: readonly CallInfo[];
  parked: readonly ParkedCall[];
}

export type TabMessage =
  /** A tab joined (or lost its leader) and wants the state. */
  | { type: 'hello'; from: string }
  | { type: 'snapshot'; from: string; snapshot: Snapshot }
  | { type: 'change'; from: string; change: PhoneChange }
  | { type: 'command'; from: string; id: number; method: Command; args: unknown[] }
  | { type: 'reply'; from: string; to: string; id: number; ok: true; value: unknown }
  | { type: 'reply'; from: string; to: string; id: number; ok: false; code: ErrorCode; message: string }
  /** A window opened by `popOut()` asks the leader to hand over the phone. */
  | { type: 'claim'; from: string }
  /** The leader has no phone any more: the claimant takes the lock now. */
  | { type: 'yield'; from: string; to: string };

/** The name of the lock and of the channel: one group per `<extension>@<domain>` (or agent). */
export function groupKey(parts: { extension?: string; domain?: string; agent?: string; provisioningUrl?: string }): string | undefined {
  const extension = parts.extension?.trim();
  const domain = parts.domain?.trim();
  if (extension && domain) return `soft-phone:${extension}@${domain}`;
  const agent = parts.agent?.trim();
  if (agent && parts.provisioningUrl?.trim()) return `soft-phone:agent:${agent}@${parts.provisioningUrl.trim()}`;
  return undefined;
}

export function isCommand(value: unknown): value is Command {
  return typeof value === 'string' && (COMMANDS as readonly string[]).includes(value);
}

/** A call as this tab sees it: `local` says whether its media is in this tab. */
export function withLocal(call: CallInfo, local: boolean): CallInfo {
  return call.local === local ? call : { ...call, local };
}

/** A change as a follower tab sees it: no call in it has its media here. */
export function asFollowerChange(change: PhoneChange): PhoneChange {
  if (change.kind === 'registration') return change;
  if (change.kind === 'notice') {
    const notice = change.notice;
    return 'call' in notice ? { kind: 'notice', notice: { ...notice, call: withLocal(notice.call, false) } as typeof notice } : change;
  }
  if (change.kind === 'call') return { ...change, call: withLocal(change.call, false), calls: change.calls.map((c) => withLocal(c, false)) };
  return { ...change, call: withLocal(change.call, false) };
}

export function snapshotOf(state: PhoneState, detail: RegistrationDetail): Snapshot {
  return { registration: state.registration, detail, calls: state.calls, parked: state.parked };
}

/**
 * Makes `state` show `snapshot` (the leader's state, seen from a follower). A call this tab shows
 * that the leader no longer has ended with the tab that held it: `connection-lost`.
 */
export function applySnapshot(state: PhoneState, snapshot: Snapshot, now: number = Date.now()): void {
  const live = new Set(snapshot.calls.map((c) => c.id));
  for (const call of state.calls) {
    if (!live.has(call.id)) state.mirror({ kind: 'call', call: endedWithTab(call, now), from: call.state, calls: [] });
  }
  state.mirror({ kind: 'registration', from: state.registration, to: snapshot.registration, detail: snapshot.detail });
  for (const call of snapshot.calls) state.mirror({ kind: 'call', call: withLocal(call, false), from: undefined, calls: [] });
  state.mirror({ kind: 'notice', notice: { type: 'parked-changed', parked: snapshot.parked } });
}

/** The calls and registration a tab showed for a leader that is gone: ended, unregistered. */
export function forgetLeader(state: PhoneState, now: number = Date.now()): void {
  applySnapshot(state, { registration: RegistrationState.Unregistered, detail: { reason: 'the tab that held the phone was closed' }, calls: [], parked: state.parked }, now);
}

function endedWithTab(call: CallInfo, now: number): CallInfo {
  return { ...call, state: CallState.Ended, endedAt: now, endCause: 'connection-lost', reconnecting: false };
}

/** The error fields a reply carries (a SoftPhoneError's code and message; never a stack or a secret). */
export function errorFields(error: unknown): { code: ErrorCode; message: string } {
  const e = toSoftPhoneError(error, 'CALL_FAILED');
  return { code: e.code, message: e.message };
}
