/**
 * The phone's state: registration and calls, with every legal move in one table each.
 *
 * Registration:
 * ```
 *                 register()            registered
 *  unregistered ------------> registering -----------> registered
 *       ^   ^                   |    |                   |    |
 *       |   +---- failed -------+    +-- transport lost -+    | ws closed / refresh failed /
 *       |         (401/403)          v                        | keep-alive unanswered
 *       +--------- unregister() -- connection-lost <----------+
 *                                    |      ^
 *                                    +------+  reconnect attempts (state stays, the agent keeps
 *                                    |         seeing "lost connection")
 *                                    +-----> registered (connection restored)
 * ```
 *
 * Calls:
 * ```
 *  outbound: dialing -> ringing <-> early-media -> established
 *  inbound:             ringing ----------------> established
 *  replacing (INVITE with Replaces): starts established
 *  established <-> held;  established|held -> transferring -> ended | established | held
 *  any state but ended -> ended (with an end cause)
 * ```
 * A move that is not in a table throws `IllegalTransitionError`: the adapter has a bug, and the
 * snapshot the host sees never lies about a call.
 */
import {
  CallState,
  RegistrationState,
  type CallInfo,
  type EndCause,
  type ParkedCall,
  type ReconnectReason,
  type TransferMode,
} from './types.js';
import type { CallQuality, QualityWarning } from './call-quality.js';

export const REGISTRATION_TRANSITIONS: Readonly<Record<RegistrationState, readonly RegistrationState[]>> = {
  [RegistrationState.Unregistered]: [RegistrationState.Registering],
  [RegistrationState.Registering]: [
    RegistrationState.Registered,
    RegistrationState.Unregistered,
    RegistrationState.ConnectionLost,
  ],
  [RegistrationState.Registered]: [RegistrationState.Unregistered, RegistrationState.ConnectionLost],
  [RegistrationState.ConnectionLost]: [RegistrationState.Registered, RegistrationState.Unregistered],
};

export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  [CallState.Dialing]: [CallState.Ringing, CallState.EarlyMedia, CallState.Established, CallState.Ended],
  [CallState.Ringing]: [CallState.EarlyMedia, CallState.Established, CallState.Ended],
  [CallState.EarlyMedia]: [CallState.Ringing, CallState.Established, CallState.Ended],
  [CallState.Established]: [CallState.Held, CallState.Transferring, CallState.Ended],
  [CallState.Held]: [CallState.Established, CallState.Transferring, CallState.Ended],
  [CallState.Transferring]: [CallState.Established, CallState.Held, CallState.Ended],
  [CallState.Ended]: [],
};

export class IllegalTransitionError extends Error {
  constructor(what: string, from: string, to: string) {
    super(`illegal ${what} transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function canMoveRegistration(from: RegistrationState, to: RegistrationState): boolean {
  return REGISTRATION_TRANSITIONS[from].includes(to);
}

export function canMoveCall(from: CallState, to: CallState): boolean {
  return CALL_TRANSITIONS[from].includes(to);
}

/** Extra facts that travel with a registration change (for the DOM events). */
export interface RegistrationDetail {
  server?: string;
  aor?: string;
  expires?: number;
  code?: number;
  reason?: string;
}

/** Happenings that are not a state of their own but the host must hear of. */
export type PhoneNotice =
  | { type: 'registering'; server: string }
  | { type: 'registration-failed'; code: number; reason: string }
  | { type: 'transfer-completed'; call: CallInfo; mode: TransferMode; target: string }
  | { type: 'transfer-failed'; call: CallInfo; mode: TransferMode; target: string; code: string; reason: string }
  | { type: 'call-parked'; call: CallInfo; slot: string }
  | { type: 'parked-changed'; parked: readonly ParkedCall[] }
  | { type: 'call-reconnecting'; call: CallInfo; reason: ReconnectReason }
  | { type: 'call-reconnected'; call: CallInfo }
  /** The call's microphone went away (unplugged, ended): the default microphone took its place. */
  | { type: 'microphone-fallback'; call: CallInfo };

export type PhoneChange =
  | { kind: 'registration'; from: RegistrationState; to: RegistrationState; detail: RegistrationDetail }
  | { kind: 'call'; call: CallInfo; from: CallState | undefined; calls: readonly CallInfo[] }
  | { kind: 'notice'; notice: PhoneNotice }
  /** New quality figures; `started` / `ended` name the warnings that changed (often none). */
  | { kind: 'quality'; call: CallInfo; started: QualityWarning[]; ended: QualityWarning[] };

export type PhoneListener = (change: PhoneChange) => void;

/** Fields a call may change without changing its state. */
export type CallPatch = Partial<Pick<CallInfo, 'muted' | 'held' | 'remoteHeld' | 'remote' | 'transferredBy' | 'answeredAt' | 'consultFor' | 'reconnecting'>>;

export class PhoneState {
  #registration: RegistrationState = RegistrationState.Unregistered;
  #calls = new Map<string, CallInfo>();
  #parked: ParkedCall[] = [];
  #listeners = new Set<PhoneListener>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get registration(): RegistrationState {
    return this.#registration;
  }

  /** Live calls, oldest first (ended calls leave the list once their end was announced). */
  get calls(): readonly CallInfo[] {
    return [...this.#calls.values()];
  }

  get parked(): readonly ParkedCall[] {
    return this.#parked;
  }

  getCall(id: string): CallInfo | undefined {
    return this.#calls.get(id);
  }

  subscribe(listener: PhoneListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Moves registration; a move to the same state is a no-op. Throws on an illegal move. */
  setRegistration(to: RegistrationState, detail: RegistrationDetail = {}): void {
    const from = this.#registration;
    if (from === to) return;
    if (!canMoveRegistration(from, to)) throw new IllegalTransitionError('registration', from, to);
    this.#registration = to;
    this.#emit({ kind: 'registration', from, to, detail });
  }

  addCall(call: Omit<CallInfo, 'startedAt' | 'muted' | 'held' | 'warnings' | 'reconnecting' | 'local'> & Partial<Pick<CallInfo, 'startedAt'>>): CallInfo {
    if (this.#calls.has(call.id)) throw new Error(`call ${call.id} exists`);
    // A call that replaces another one (INVITE with Replaces) arrives answered.
    if (call.state !== CallState.Dialing && call.state !== CallState.Ringing && call.state !== CallState.Established) {
      throw new IllegalTransitionError('call', 'none', call.state);
    }
    const now = this.#now();
    const answered = call.state === CallState.Established ? { answeredAt: now } : {};
    const info: CallInfo = Object.freeze({ muted: false, held: false, warnings: [], reconnecting: false, local: true, startedAt: now, ...answered, ...call });
    this.#calls.set(info.id, info);
    this.#emit({ kind: 'call', call: info, from: undefined, calls: this.calls });
    return info;
  }

  /** Moves a call to another state (same state: only the patch applies). */
  moveCall(id: string, to: CallState, patch: CallPatch & { endCause?: EndCause } = {}): CallInfo {
    const current = this.#require(id);
    const from = current.state;
    if (from !== to && !canMoveCall(from, to)) throw new IllegalTransitionError('call', from, to);
    const now = this.#now();
    const next: CallInfo = Object.freeze({
      ...current,
      ...patch,
      state: to,
      held: to === CallState.Held ? true : to === CallState.Established ? false : (patch.held ?? current.held),
      ...(to === CallState.Established && current.answeredAt === undefined ? { answeredAt: now } : {}),
      ...(to === CallState.Ended ? { endedAt: now, endCause: patch.endCause ?? current.endCause ?? 'failed' } : {}),
    });
    if (to === CallState.Ended) this.#calls.delete(id);
    else this.#calls.set(id, next);
    this.#emit({ kind: 'call', call: next, from, calls: this.calls });
    return next;
  }

  /** Changes fields of a call without a state change (mute, remote identity...). */
  patchCall(id: string, patch: CallPatch): CallInfo {
    const current = this.#require(id);
    const next: CallInfo = Object.freeze({ ...current, ...patch });
    this.#calls.set(id, next);
    this.#emit({ kind: 'call', call: next, from: current.state, calls: this.calls });
    return next;
  }

  /**
   * New quality figures of a live call: the snapshot changes, but it is not a call change (no
   * `softphone-call-state`); the listener hears which warnings started and ended.
   */
  setQuality(id: string, quality: CallQuality, warnings: readonly QualityWarning[]): CallInfo | undefined {
    const current = this.#calls.get(id);
    if (!current) return undefined;
    const started = warnings.filter((w) => !current.warnings.includes(w));
    const ended = current.warnings.filter((w) => !warnings.includes(w));
    const next: CallInfo = Object.freeze({ ...current, quality: Object.freeze({ ...quality }), warnings: Object.freeze([...warnings]) as QualityWarning[] });
    this.#calls.set(id, next);
    this.#emit({ kind: 'quality', call: next, started, ended });
    return next;
  }

  setParked(parked: readonly ParkedCall[]): void {
    this.#parked = [...parked];
    this.notify({ type: 'parked-changed', parked: this.#parked });
  }

  /**
   * Takes over a change another phone state made (another tab's phone, which holds the SIP side):
   * the snapshots as given, without transition checks (that state checked them), and only what
   * differs from this state. Listeners hear it as if it happened here.
   */
  mirror(change: PhoneChange): void {
    if (change.kind === 'registration') {
      const from = this.#registration;
      if (from === change.to) return;
      this.#registration = change.to;
      this.#emit({ ...change, from });
      return;
    }
    if (change.kind === 'notice') {
      if (change.notice.type === 'parked-changed') {
        if (JSON.stringify(change.notice.parked) === JSON.stringify(this.#parked)) return;
        this.#parked = [...change.notice.parked];
      }
      this.#emit(change);
      return;
    }
    const current = this.#calls.get(change.call.id);
    const call: CallInfo = Object.freeze({ ...change.call });
    if (change.kind === 'quality') {
      if (!current) return;
      this.#calls.set(call.id, call);
      this.#emit({ ...change, call });
      return;
    }
    if (!current && call.state === CallState.Ended) return;
    if (current && JSON.stringify(current) === JSON.stringify(call)) return;
    if (call.state === CallState.Ended) this.#calls.delete(call.id);
    else this.#calls.set(call.id, call);
    this.#emit({ kind: 'call', call, from: current?.state, calls: this.calls });
  }

  notify(notice: PhoneNotice): void {
    this.#emit({ kind: 'notice', notice });
  }

  #require(id: string): CallInfo {
    const call = this.#calls.get(id);
    if (!call) throw new Error(`no call ${id}`);
    return call;
  }

  #emit(change: PhoneChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }
}
