/**
 * A fake PhoneEngine for element tests: it moves the PhoneState the way the SIP engine does, and the
 * test plays the network (the far end answers, the server goes away...).
 */
import type { CallQuality, QualityWarning } from '../../src/core/call-quality.js';
import type { DialTarget, EngineConfig, PhoneEngine } from '../../src/core/engine.js';
import type { PhoneState } from '../../src/core/phone-state.js';
import type { CallInfo, ParkedCall, ReconnectReason, RemoteParty, TransferMode } from '../../src/core/types.js';
import { SoftPhoneError } from '../../src/errors.js';

export interface EngineCall {
  method: string;
  args: unknown[];
}

let nextId = 1;

export class FakeEngine implements PhoneEngine {
  /** Every engine ever created, in order. */
  static created: FakeEngine[] = [];
  static live(): FakeEngine[] {
    return FakeEngine.created.filter((e) => !e.disposed);
  }
  static reset(): void {
    FakeEngine.created = [];
    FakeEngine.behaviour = {};
  }
  /** How the next engines behave. */
  static behaviour: { holdRegistration?: boolean; rejectRegistration?: { code: number; reason: string } } = {};

  readonly state: PhoneState;
  config: EngineConfig | undefined;
  configs: EngineConfig[] = [];
  log: EngineCall[] = [];
  disposed = false;
  #pending: (() => void) | undefined;

  constructor(state: PhoneState) {
    this.state = state;
    FakeEngine.created.push(this);
  }

  calledWith(method: string): EngineCall[] {
    return this.log.filter((c) => c.method === method);
  }

  #record(method: string, ...args: unknown[]): void {
    if (this.disposed) throw new Error(`${method} on a disposed engine`);
    this.log.push({ method, args });
  }

  configure(config: EngineConfig): void {
    this.#record('configure', config);
    this.config = config;
    this.configs.push(config);
  }

  async register(): Promise<void> {
    this.#record('register');
    const server = this.config?.servers[0] ?? '';
    if (this.state.registration === 'registered') return;
    this.state.setRegistration('registering', { server });
    const { holdRegistration, rejectRegistration } = FakeEngine.behaviour;
    if (rejectRegistration) {
      this.state.notify({ type: 'registration-failed', ...rejectRegistration });
      this.state.setRegistration('unregistered', { reason: rejectRegistration.reason });
      throw new SoftPhoneError('AUTH_FAILED', `registration refused: ${rejectRegistration.code}`);
    }
    if (holdRegistration) {
      await new Promise<void>((resolve) => (this.#pending = resolve));
    }
    this.#registered(server);
  }

  /** Lets a held registration complete (the server answered 200). */
  completeRegistration(): void {
    this.#pending?.();
    this.#pending = undefined;
  }

  #registered(server: string): void {
    const c = this.config!;
    this.state.setRegistration('registered', { server, aor: `${c.extension}@${c.domain}`, expires: c.expires });
  }

  async unregister(): Promise<void> {
    this.#record('unregister');
    if (this.state.registration !== 'unregistered') this.state.setRegistration('unregistered', { reason: 'unregistered' });
  }

  async call(target: DialTarget): Promise<CallInfo> {
    this.#record('call', target);
    return this.state.addCall({ id: `out-${nextId++}`, direction: 'outbound', state: 'dialing', remote: target.remote });
  }

  async answer(callId: string): Promise<void> {
    this.#record('answer', callId);
    this.state.moveCall(callId, 'established');
  }

  async decline(callId: string): Promise<void> {
    this.#record('decline', callId);
    this.state.moveCall(callId, 'ended', { endCause: 'declined' });
  }

  async hangup(callId: string): Promise<void> {
    this.#record('hangup', callId);
    this.state.moveCall(callId, 'ended', { endCause: 'hangup' });
  }

  async hold(callId: string): Promise<void> {
    this.#record('hold', callId);
    this.state.moveCall(callId, 'held');
  }

  async unhold(callId: string): Promise<void> {
    this.#record('unhold', callId);
    this.state.moveCall(callId, 'established');
  }

  async setMuted(callId: string, muted: boolean): Promise<void> {
    this.#record('setMuted', callId, muted);
    this.state.patchCall(callId, { muted });
  }

  async sendDtmf(callId: string, digits: string): Promise<void> {
    this.#record('sendDtmf', callId, digits);
  }

  async transfer(callId: string, target: DialTarget, mode: TransferMode): Promise<CallInfo | void> {
    this.#record('transfer', callId, target, mode);
  }

  async completeTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    this.#record('completeTransfer', heldCallId, consultCallId);
  }

  async cancelTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    this.#record('cancelTransfer', heldCallId, consultCallId);
  }

  async park(callId: string, slots: readonly string[]): Promise<ParkedCall> {
    this.#record('park', callId, slots);
    const call = this.state.getCall(callId)!;
    return { slot: slots[0]!, remote: call.remote, parkedAt: Date.now() };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.log.push({ method: 'dispose', args: [] });
    for (const call of this.state.calls) this.state.moveCall(call.id, 'ended', { endCause: 'hangup' });
    if (this.state.registration !== 'unregistered') this.state.setRegistration('unregistered', { reason: 'disposed' });
    this.disposed = true;
  }

  // ---- The network's side --------------------------------------------------------------------

  /** A call arrives. */
  incoming(remote: Partial<RemoteParty> & { number: string }): CallInfo {
    return this.state.addCall({
      id: `in-${nextId++}`,
      direction: 'inbound',
      state: 'ringing',
      remote: { kind: 'internal', ...remote },
    });
  }

  /** The far end rings / answers / hangs up an outbound call. */
  remote(callId: string, to: 'ringing' | 'established' | 'ended'): CallInfo {
    return this.state.moveCall(callId, to, to === 'ended' ? { endCause: 'remote-hangup' } : {});
  }

  /** The quality sampler's reading of a call (figures and the warnings now active). */
  quality(callId: string, quality: CallQuality, warnings: QualityWarning[] = []): CallInfo | undefined {
    return this.state.setQuality(callId, quality, warnings);
  }

  loseConnection(): void {
    this.state.setRegistration('connection-lost', { reason: 'transport closed' });
  }

  /** A call loses its signaling connection or media path (the engine keeps it, reconnecting). */
  reconnecting(callId: string, reason: ReconnectReason): CallInfo {
    const call = this.state.patchCall(callId, { reconnecting: true });
    this.state.notify({ type: 'call-reconnecting', call, reason });
    return call;
  }

  /** A reconnecting call is back. */
  reconnected(callId: string): CallInfo {
    const call = this.state.patchCall(callId, { reconnecting: false });
    this.state.notify({ type: 'call-reconnected', call });
    return call;
  }

  restoreConnection(): void {
    this.state.notify({ type: 'registering', server: this.config?.servers[0] ?? '' });
    this.#registered(this.config?.servers[0] ?? '');
  }
}

export const fakeEngineFactory = (state: PhoneState): FakeEngine => new FakeEngine(state);
