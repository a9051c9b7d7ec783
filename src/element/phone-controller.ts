/**
 * The engine's life in the element: one `PhoneState` per connection, the engine made on first need
 * (the one place the engine factory is called), configured from the properties once per task,
 * registered when auto-register allows it, disposed when the element leaves the document; and the
 * guards every call operation passes before it reaches the engine.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { assertCallOperation, assertTransferPair, type CallOperation } from '../core/call-policy.js';
import type { DialTarget, EngineFactory, PhoneEngine } from '../core/engine.js';
import { requireCall } from '../core/guards.js';
import { PhoneState, type PhoneChange } from '../core/phone-state.js';
import { CallState, isConnected, RegistrationState, type CallInfo, type ReconnectReason } from '../core/types.js';
import { SoftPhoneError, toSoftPhoneError, type ErrorCode } from '../errors.js';
import { logger } from '../logger.js';
import { configKey, type AudioChoice, type PasswordSlot, type PhoneConfig } from './config.js';

/** What a reconnecting call refuses: operations the far end must take part in. */
const NEEDS_FAR_END: ReadonlySet<CallOperation> = new Set(['hold', 'unhold', 'dtmf', 'blindTransfer', 'attendedTransfer', 'holdTransfer', 'park']);

export interface PhoneControllerOptions {
  config: PhoneConfig;
  /** The engine factory in force (read when the engine is made). */
  factory: () => EngineFactory | undefined;
  password: () => PasswordSlot;
  audio: () => AudioChoice;
  /** Whether auto-register may register now (the host's setting, and the agent session's). */
  mayAutoRegister: () => boolean;
  /** Runs first in every reconfiguration: the host reports configuration errors. */
  checkConfig: () => void;
  /** Every change of the current phone's state. */
  changed: (change: PhoneChange) => void;
  /** What a reconnecting call lost. */
  reconnectReason: (callId: string) => ReconnectReason | undefined;
  /** A failure of the engine's making during a reconfiguration. */
  report: (e: unknown, fallback: ErrorCode) => void;
}

export class PhoneController implements ReactiveController {
  readonly #host: ReactiveControllerHost & { readonly isConnected: boolean };
  readonly #o: PhoneControllerOptions;
  #phone = new PhoneState();
  #engine: PhoneEngine | undefined;
  #unsubscribe: (() => void) | undefined;
  #appliedKey = '';
  #applyQueued = false;
  /** `unregister()` was called: auto-register leaves the phone alone until `register()` or a new connection. */
  #userUnregistered = false;

  constructor(host: ReactiveControllerHost & { readonly isConnected: boolean }, options: PhoneControllerOptions) {
    this.#host = host;
    this.#o = options;
    host.addController(this);
  }

  get state(): PhoneState {
    return this.#phone;
  }

  get engine(): PhoneEngine | undefined {
    return this.#engine;
  }

  hostConnected(): void {
    // A fresh state per connection: nothing of a removed phone leaks into the re-added one.
    const phone = (this.#phone = new PhoneState());
    this.#appliedKey = '';
    // Adding the element again is a fresh start: it registers again even after an unregister().
    this.#userUnregistered = false;
    // A disposed engine's late changes belong to a phone that is gone.
    this.#unsubscribe = phone.subscribe((change) => phone === this.#phone && this.#o.changed(change));
  }

  hostDisconnected(): void {
    const engine = this.#engine;
    const unsubscribe = this.#unsubscribe;
    this.#engine = undefined;
    this.#unsubscribe = undefined;
    // Keep listening until the engine has wound down, so the host hears the final events.
    void (engine?.dispose() ?? Promise.resolve())
      .catch((e: unknown) => logger.warn('engine dispose failed', e))
      .finally(() => unsubscribe?.());
  }

  /** Coalesces any number of changes in one task into one reconfiguration. */
  scheduleApply(): void {
    if (this.#applyQueued) return;
    this.#applyQueued = true;
    queueMicrotask(() => {
      this.#applyQueued = false;
      if (this.#host.isConnected) this.#apply();
    });
  }

  #apply(): void {
    this.#o.checkConfig();
    const config = this.#o.config.engine(this.#o.password(), this.#o.audio());
    if (!config) {
      // The host cleared server, domain or extension (e.g. the agent signed out): stop registering.
      if (this.#appliedKey && this.#phone.registration !== 'unregistered') {
        this.#engine?.unregister().catch((e: unknown) => logger.info('unregister failed', e));
      }
      this.#appliedKey = '';
      return;
    }
    const key = configKey(config, this.#o.password());
    if (key === this.#appliedKey) return;
    this.#appliedKey = key;
    let engine: PhoneEngine;
    try {
      engine = this.#ensureEngine();
    } catch (e) {
      this.#o.report(e, 'INVALID_CONFIG');
      return;
    }
    engine.configure(config);
    if (this.#o.mayAutoRegister() && !this.#userUnregistered && this.#phone.registration === 'unregistered') {
      // The outcome arrives as registration events; a rejection here is already reported there.
      engine.register().catch((e: unknown) => logger.info('registration did not succeed', e));
    }
  }

  /** The one place the engine is made: the factory in force, given this connection's state. */
  #ensureEngine(): PhoneEngine {
    if (this.#engine) return this.#engine;
    const factory = this.#o.factory();
    if (!factory) throw new SoftPhoneError('INVALID_CONFIG', 'no SIP engine is available in this build');
    this.#engine = factory(this.#phone);
    return this.#engine;
  }

  /** The engine with the current configuration applied now (not a microtask later). */
  #configuredEngine(): PhoneEngine {
    if (!this.#host.isConnected) throw new SoftPhoneError('NOT_REGISTERED', 'the phone is not in the document');
    const config = this.#o.config.engine(this.#o.password(), this.#o.audio());
    if (!config) throw this.#o.config.missing();
    const engine = this.#ensureEngine();
    const key = configKey(config, this.#o.password());
    if (key !== this.#appliedKey) {
      this.#appliedKey = key;
      engine.configure(config);
    }
    return engine;
  }

  #registeredEngine(): PhoneEngine {
    const reg = this.#phone.registration;
    if (reg !== RegistrationState.Registered || !this.#engine) throw notRegistered(reg);
    return this.#engine;
  }

  register(): Promise<void> {
    this.#userUnregistered = false;
    return guard(() => this.#configuredEngine().register(), 'TRANSPORT_ERROR');
  }

  unregister(): Promise<void> {
    this.#userUnregistered = true;
    return guard(() => this.#engine?.unregister(), 'TRANSPORT_ERROR');
  }

  /** Places a call to a target the dial plan made; `dial` runs once the phone is known registered. */
  call(dial: () => DialTarget): Promise<CallInfo> {
    const engine = this.#registeredEngine();
    return guard(() => engine.call(dial()), 'CALL_FAILED');
  }

  /**
   * Runs an operation on one call (by id, else the current call for `op`) after the state and policy
   * checks. Ending a call (hang up, decline) works whatever the registration state.
   */
  async act<T>(
    callId: string | undefined,
    op: CallOperation,
    work: (engine: PhoneEngine, call: CallInfo) => Promise<T>,
    fallback: ErrorCode = 'CALL_FAILED',
  ): Promise<T> {
    const calls = this.#phone.calls;
    const reg = this.#phone.registration;
    let asked: CallInfo | undefined;
    try {
      asked = requireCall(calls, callId, op);
    } catch {
      // reported below, after the registration
    }
    if (asked?.reconnecting && NEEDS_FAR_END.has(op)) throw this.#reconnectingError(asked, `${op}`);
    const ending = (op === 'hangup' || op === 'decline') && calls.length > 0;
    // Muting is local: a call waiting for its connection can be muted too.
    const local = (op === 'mute' || op === 'unmute') && asked?.reconnecting === true;
    const engine = this.#engine;
    if (!engine || (reg !== RegistrationState.Registered && !ending && !local)) throw notRegistered(reg);
    const call = requireCall(calls, callId, op);
    assertCallOperation(call, op, this.#o.config.policy());
    return guard(() => work(engine, call), fallback);
  }

  /** Joins a held call with a second call (a '*' transfer's consult call, or a hold transfer). */
  completeTransfer(heldCallId?: string, consultCallId?: string): Promise<void> {
    const engine = this.#registeredEngine();
    const [held, consult] = this.transferPair(heldCallId, consultCallId);
    for (const c of [held, consult]) {
      if (c.reconnecting) throw this.#reconnectingError(c, 'transfer');
    }
    // a consult call the element placed for a '*' transfer had its policy checked then
    assertTransferPair(held, consult, consult.consultFor === held.id ? 'attendedTransfer' : 'holdTransfer', this.#o.config.policy());
    return guard(() => engine.completeTransfer(held.id, consult.id), 'TRANSFER_FAILED');
  }

  cancelTransfer(heldCallId?: string, consultCallId?: string): Promise<void> {
    const engine = this.#registeredEngine();
    const [held, consult] = this.transferPair(heldCallId, consultCallId);
    return guard(() => engine.cancelTransfer(held.id, consult.id), 'TRANSFER_FAILED');
  }

  /** The held call and the call to join it with; `NO_SUCH_CALL` when there is no such pair. */
  transferPair(heldId?: string, consultId?: string): [CallInfo, CallInfo] {
    const calls = this.#phone.calls;
    const given = consultId !== undefined ? requireCall(calls, consultId) : undefined;
    // A '*' transfer's consult call names its held call; otherwise: the held call and the newest other connected call.
    const consultOf = given ?? [...calls].reverse().find((c) => c.consultFor !== undefined && calls.some((h) => h.id === c.consultFor));
    const held =
      heldId !== undefined
        ? requireCall(calls, heldId)
        : calls.find((c) => c.id === consultOf?.consultFor) ?? calls.find((c) => c.state === CallState.Held && c.id !== given?.id);
    if (!held) throw new SoftPhoneError('NO_SUCH_CALL', 'no call is on hold');
    const consult = given ?? (consultOf?.consultFor === held.id ? consultOf : [...calls].reverse().find((c) => c.id !== held.id && isConnected(c)));
    if (!consult) throw new SoftPhoneError('NO_SUCH_CALL', 'there is no second call to join the held call with');
    return [held, consult];
  }

  #reconnectingError(call: CallInfo, what: string): SoftPhoneError {
    const reason = this.#o.reconnectReason(call.id) ?? 'signaling';
    return new SoftPhoneError('CALL_FAILED', `call ${call.id} is reconnecting (${reason} lost): cannot ${what} until it is back`);
  }
}

function notRegistered(reg: RegistrationState): SoftPhoneError {
  return new SoftPhoneError('NOT_REGISTERED', `the phone is not registered (registration state: ${reg})`);
}

/** Turns any engine failure (thrown or rejected) into a SoftPhoneError without a secret in it. */
async function guard<T>(work: () => Promise<T> | undefined, fallback: ErrorCode): Promise<T> {
  try {
    return (await work()) as T;
  } catch (e) {
    const error = toSoftPhoneError(e, fallback);
    throw new SoftPhoneError(error.code, logger.redact(error.message));
  }
}
