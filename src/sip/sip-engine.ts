/**
 * The real `PhoneEngine`: SIP.js 0.21.2 behind the engine contract. It turns SIP.js callbacks into
 * `PhoneState` moves and never lets a SIP.js object out.
 *
 * Choices worth knowing:
 * - Remote audio: each call plays through a detached `<audio>` element the engine owns (nothing
 *   for the element to wire). It is released when the call ends.
 * - Two calls: answering or placing a call first holds every other established call.
 * - Connection loss: an established call outlives its signaling connection. It shows
 *   `reconnecting: true` (reason 'signaling') while its audio goes on; once the phone is registered
 *   again on the same UserAgent (same server: see the connection), a re-INVITE over the new
 *   WebSocket gives the far end (through the server) our new route, and the call is `reconnected`.
 *   Calls not yet answered end with `connection-lost` at once. A call not recovered within
 *   `callRecovery` seconds ends with `connection-lost`; so does one whose dialog goes through a
 *   server the phone failed over from (the other server cannot reach its far end's dialog).
 * - Media loss: ICE `disconnected`/`failed`, or the browser going offline, shows the call
 *   `reconnecting` (reason 'media'); an ICE restart (re-INVITE, offer with iceRestart) goes out as
 *   soon as signaling allows (at once when the browser comes back online), and the call is
 *   `reconnected` when ICE is connected again.
 * - Inbound calls the caller cancels end as `remote-hangup`; ones the server gives up on as `no-answer`.
 *
 * This file composes the parts: the connection (`connection.ts`) and the calls (`call-*.ts`, each
 * file says what it holds).
 */
import { Invitation, Inviter, SessionState, UserAgent } from 'sip.js';
import type { DialTarget, EngineConfig, EngineFactory, PhoneEngine } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { RegistrationState, type CallInfo, type ParkedCall, type TransferMode } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
// The connection first: its code then sits next to SIP.js's in the engine chunk, which gzips smaller.
import { SipConnection } from './connection.js';
import { CallWatcher } from './call-watch.js';
import { CallRecovery } from './call-recovery.js';
import { CallControls } from './call-controls.js';
import { IncomingCalls } from './call-incoming.js';
import { CallDialer } from './call-outgoing.js';
import { CallTransfers } from './call-transfers.js';
import { MicrophoneFallback } from './call-microphone.js';
import { CallTable } from './call-table.js';
import { mediaOptions } from './call-record.js';
import { ALLOW_UPDATE } from './pbx-interop.js';

export { endCauseForStatus } from './call-record.js';

/**
 * The composition: the connection, the call table, and the parts that work on calls (setup both
 * ways, in-call controls, transfers and park, recovery, microphone fallback), each given only what
 * it needs. Starting a call the agent dials, hanging up, and the phone's own life (configure,
 * register, dispose) stay here.
 */
export class SipEngine implements PhoneEngine {
  readonly #state: PhoneState;
  readonly #connection: SipConnection;
  readonly #calls: CallTable;
  readonly #recovery: CallRecovery;
  readonly #controls: CallControls;
  readonly #microphone: MicrophoneFallback;
  readonly #dialer: CallDialer;
  readonly #incoming: IncomingCalls;
  readonly #transfers: CallTransfers;
  #disposed = false;
  #reconfigurePending = false;

  constructor(state: PhoneState) {
    this.#state = state;
    this.#calls = new CallTable(state, () => this.#noCallsLeft());
    this.#connection = new SipConnection(state, {
      onInvite: (invitation) => this.#incoming.incoming(invitation),
      onConnectionLost: () => this.#recovery.signalingLost(),
      onConnected: (ua) => this.#recovery.signalingBack(ua),
      callsWaiting: () => this.#recovery.callsWaiting(),
    });
    const config = (): EngineConfig | undefined => this.#connection.config;
    this.#recovery = new CallRecovery(this.#calls, state, this.#connection);
    this.#controls = new CallControls(this.#calls, state, config);
    this.#microphone = new MicrophoneFallback(this.#calls, state);
    const watcher = new CallWatcher(this.#calls, state, config, {
      watchMedia: (ctx, pc) => this.#recovery.watchMedia(ctx, pc),
      watchMicrophone: (ctx) => this.#microphone.watch(ctx),
      followRefer: (ctx, referral) => this.#transfers.followRefer(ctx, referral),
    });
    this.#dialer = new CallDialer(this.#calls, state, (ctx) => watcher.watch(ctx));
    this.#incoming = new IncomingCalls(this.#calls, state, config, this.#controls, watcher);
    this.#transfers = new CallTransfers(this.#calls, state, config, this.#controls, {
      call: (target) => this.call(target),
      hangup: (callId) => this.hangup(callId),
      dial: (inviter, what, call) => this.#dialer.dial(inviter, what, call),
      canDial: () => this.#registeredAgent() !== undefined,
    });
  }

  // --- the phone's life -----------------------------------------------------------------------

  configure(config: EngineConfig): void {
    if (this.#disposed) return;
    const changed = this.#connection.configure(config);
    if (!changed || !this.#connection.wanted) return;
    // A new connection would orphan the calls on the old one: re-register once they are over.
    if (this.#calls.size > 0) this.#reconfigurePending = true;
    else this.#reconnectWithNewConfig();
  }

  #noCallsLeft(): void {
    if (!this.#reconfigurePending) return;
    // After the current callback (which may be the connection's own loss handling) has run.
    setTimeout(() => {
      if (this.#reconfigurePending && this.#calls.size === 0 && !this.#disposed) this.#reconnectWithNewConfig();
    }, 0);
  }

  #reconnectWithNewConfig(): void {
    this.#reconfigurePending = false;
    void this.#connection
      .unregister('reconfigured')
      .then(() => this.#connection.register())
      .catch((error: unknown) => logger.warn('re-register after a configuration change failed:', error));
  }

  register(): Promise<void> {
    return this.#connection.register();
  }

  async unregister(): Promise<void> {
    this.#calls.endAll('hangup');
    await this.#connection.unregister();
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#microphone.dispose();
    this.#calls.endAll('hangup');
    this.#recovery.dispose();
    await this.#connection.dispose();
  }

  async resumeAudio(): Promise<void> {
    await Promise.all([...this.#calls.values()].map((ctx) => ctx.audio?.resume()));
  }

  // --- placing, taking and ending calls -------------------------------------------------------

  async call(target: DialTarget): Promise<CallInfo> {
    const ua = this.#registeredAgent();
    if (!ua) throw new SoftPhoneError('NOT_REGISTERED', 'the phone is not registered');
    const uri = UserAgent.makeURI(target.uri);
    if (!uri) throw new SoftPhoneError('INVALID_NUMBER', `not a callable address: ${target.uri}`);
    await this.#controls.holdOthers([]);
    const inviter = new Inviter(ua, uri, { earlyMedia: true, extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: mediaOptions(this.#connection.config) });
    return this.#dialer.dial(inviter, target.uri, { remote: target.remote });
  }

  answer(callId: string): Promise<void> {
    return this.#incoming.answer(callId);
  }

  decline(callId: string): Promise<void> {
    return this.#incoming.decline(callId);
  }

  async hangup(callId: string): Promise<void> {
    const ctx = this.#calls.require(callId);
    const session = ctx.session;
    if (session instanceof Invitation && session.state === SessionState.Initial) {
      await this.decline(callId);
      return;
    }
    ctx.endCause ??= 'hangup';
    // Over at once here when its signaling is lost; the far end hears the BYE when the connection is back.
    if (this.#recovery.hangUpWhileAway(ctx)) return;
    try {
      if (session.state === SessionState.Established) await session.bye();
      else if (session instanceof Inviter && (session.state === SessionState.Initial || session.state === SessionState.Establishing)) {
        await session.cancel();
      } else if (session.state !== SessionState.Terminated) {
        await session.dispose();
      }
    } catch (error) {
      logger.debug('hang-up request not sent:', error);
      // The far end may never hear it, but this phone is done with the call.
      this.#calls.finish(ctx);
    }
    // An established call ends once the BYE went out, not when (or if) the answer comes back.
    if (session.state === SessionState.Terminating || session.state === SessionState.Terminated) this.#calls.finish(ctx);
  }

  // --- in-call controls -----------------------------------------------------------------------

  async hold(callId: string): Promise<void> {
    await this.#controls.setHeld(this.#calls.require(callId), true);
  }

  async unhold(callId: string): Promise<void> {
    await this.#controls.setHeld(this.#calls.require(callId), false);
  }

  async setMuted(callId: string, muted: boolean): Promise<void> {
    this.#controls.setMuted(this.#calls.require(callId), muted);
    return Promise.resolve();
  }

  async sendDtmf(callId: string, digits: string): Promise<void> {
    this.#controls.sendDtmf(callId, digits);
    return Promise.resolve();
  }

  // --- transfers and park ----------------------------------------------------------------------

  transfer(callId: string, target: DialTarget, mode: TransferMode): Promise<CallInfo | void> {
    return this.#transfers.transfer(callId, target, mode);
  }

  completeTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    return this.#transfers.completeTransfer(heldCallId, consultCallId);
  }

  cancelTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    return this.#transfers.cancelTransfer(heldCallId, consultCallId);
  }

  park(callId: string, slots: readonly string[]): Promise<ParkedCall> {
    return this.#transfers.park(callId, slots);
  }

  /** The UserAgent calls go out on, while the phone is registered (and not disposed). */
  #registeredAgent(): UserAgent | undefined {
    const ua = this.#connection.userAgent;
    return this.#disposed || !ua || this.#state.registration !== RegistrationState.Registered ? undefined : ua;
  }
}

/** The default engine of `<soft-phone>`. */
export const createSipEngine: EngineFactory = (state: PhoneState) => new SipEngine(state);
