/**
 * The real `PhoneEngine`: SIP.js 0.21.2 behind the engine contract. It turns SIP.js callbacks into
 * `PhoneState` moves and never lets a SIP.js object out.
 *
 * Choices worth knowing:
 * - Remote audio: each call plays through a detached `<audio>` element the engine owns (nothing
 *   for the element to wire). It is released when the call ends.
 * - Two calls: answering or placing a call first holds every other established call.
 * - Connection loss: a call cannot outlive its signaling connection. The server routes in-dialog
 *   requests (BYE, re-INVITE) over the WebSocket the call was set up on, so once that connection is
 *   gone nobody could end or change the call; calls in progress end with `connection-lost` the
 *   moment the loss is detected.
 * - Inbound calls the caller cancels end as `remote-hangup`; ones the server gives up on as `no-answer`.
 */
import {
  Invitation,
  Inviter,
  SessionState,
  UserAgent,
  type Session,
  type SessionDescriptionHandler,
  Web,
} from 'sip.js';
import type { DialTarget, EngineConfig, EngineFactory, PhoneEngine } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState, RegistrationState, type CallInfo, type EndCause, type ParkedCall, type RemoteParty } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { SipConnection } from './connection.js';
import { CallAudio } from './media.js';

const DTMF_DURATION_MS = 100;
const DTMF_GAP_MS = 70;
const VALID_DTMF = /^[0-9*#A-D]+$/i;
/** An outbound call nobody answers is given up after this long (end cause no-answer). */
const NO_ANSWER_TIMEOUT_MS = 60_000;

interface CallContext {
  id: string;
  session: Inviter | Invitation;
  audio?: CallAudio;
  /** Set by whoever knows first why the call ends (local action, final response, BYE). */
  endCause?: EndCause;
  ended: boolean;
  noAnswerTimer?: ReturnType<typeof setTimeout>;
}

/** The end cause a final response (>= 300) to our INVITE stands for. */
export function endCauseForStatus(code: number): EndCause {
  switch (code) {
    case 486:
    case 600:
      return 'busy';
    case 408:
    case 480:
      return 'no-answer';
    case 404:
    case 604:
      return 'not-found';
    case 603:
      return 'declined';
    case 487:
      return 'hangup';
    default:
      return 'failed';
  }
}

let counter = 0;
function newCallId(): string {
  const random =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : Math.random().toString(36).slice(2);
  return `call-${++counter}-${random.slice(0, 8)}`;
}

function peerConnectionOf(session: Session): RTCPeerConnection | undefined {
  const sdh = session.sessionDescriptionHandler;
  return sdh instanceof Web.SessionDescriptionHandler ? sdh.peerConnection : undefined;
}

function audioSenders(session: Session): RTCRtpSender[] {
  return (peerConnectionOf(session)?.getSenders() ?? []).filter((s) => s.track?.kind === 'audio' || s.dtmf);
}

function isMediaDenied(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NotAllowedError' || error.name === 'NotFoundError');
}

export class SipEngine implements PhoneEngine {
  readonly #state: PhoneState;
  readonly #connection: SipConnection;
  readonly #calls = new Map<string, CallContext>();
  #disposed = false;
  #reconfigurePending = false;

  constructor(state: PhoneState) {
    this.#state = state;
    this.#connection = new SipConnection(state, {
      onInvite: (invitation) => this.#incoming(invitation),
      onConnectionLost: () => this.#endAll('connection-lost'),
    });
  }

  configure(config: EngineConfig): void {
    if (this.#disposed) return;
    const changed = this.#connection.configure(config);
    if (!changed || !this.#connection.wanted) return;
    // A new connection would orphan the calls on the old one: re-register once they are over.
    if (this.#calls.size > 0) this.#reconfigurePending = true;
    else this.#reconnectWithNewConfig();
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
    this.#endAll('hangup');
    await this.#connection.unregister();
  }

  // --- placing and taking calls ---------------------------------------------------------------

  async call(target: DialTarget): Promise<CallInfo> {
    const ua = this.#requireRegistered();
    const uri = UserAgent.makeURI(target.uri);
    if (!uri) throw new SoftPhoneError('INVALID_NUMBER', `not a callable address: ${target.uri}`);
    await this.#holdOthers(undefined);
    const inviter = new Inviter(ua, uri, { earlyMedia: true, sessionDescriptionHandlerOptions: this.#mediaOptions() });
    const ctx: CallContext = { id: newCallId(), session: inviter, ended: false };
    this.#calls.set(ctx.id, ctx);
    this.#state.addCall({ id: ctx.id, direction: 'outbound', state: CallState.Dialing, remote: target.remote });
    this.#watch(ctx);
    ctx.noAnswerTimer = setTimeout(() => {
      if (inviter.state !== SessionState.Initial && inviter.state !== SessionState.Establishing) return;
      ctx.endCause ??= 'no-answer';
      inviter.cancel().catch(() => this.#finish(ctx));
    }, NO_ANSWER_TIMEOUT_MS);
    try {
      await inviter.invite({
        requestDelegate: {
          onProgress: (response) => {
            const code = response.message.statusCode ?? 0;
            if (code === 100) return;
            const early = Boolean(response.message.body) && code === 183;
            this.#move(ctx, early ? CallState.EarlyMedia : CallState.Ringing);
          },
          onReject: (response) => {
            ctx.endCause ??= endCauseForStatus(response.message.statusCode ?? 0);
          },
        },
      });
    } catch (error) {
      const denied = isMediaDenied(error);
      ctx.endCause ??= 'failed';
      this.#finish(ctx);
      throw new SoftPhoneError(
        denied ? 'MEDIA_DENIED' : 'CALL_FAILED',
        denied ? 'microphone access was denied' : `call to ${target.uri} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return this.#info(ctx);
  }

  #incoming(invitation: Invitation): void {
    const identity = invitation.remoteIdentity;
    const user = identity.uri.user ?? '';
    const displayName = identity.displayName || undefined;
    const classify = this.#connection.config?.classify;
    let remote: RemoteParty;
    try {
      remote = classify ? classify(user, displayName, identity.uri.host) : { number: user, kind: 'internal', ...(displayName ? { displayName } : {}) };
    } catch (error) {
      logger.warn('could not classify the caller:', error);
      remote = { number: user, kind: 'internal', ...(displayName ? { displayName } : {}) };
    }
    const ctx: CallContext = { id: newCallId(), session: invitation, ended: false };
    this.#calls.set(ctx.id, ctx);
    invitation.delegate = {
      ...invitation.delegate,
      onCancel: () => {
        ctx.endCause ??= 'remote-hangup';
      },
    };
    this.#watch(ctx);
    this.#state.addCall({ id: ctx.id, direction: 'inbound', state: CallState.Ringing, remote });
    // 180 so the caller hears ringback.
    invitation.progress().catch((error: unknown) => logger.debug('180 Ringing not sent:', error));
  }

  async answer(callId: string): Promise<void> {
    const ctx = this.#require(callId);
    if (!(ctx.session instanceof Invitation) || this.#info(ctx).state !== CallState.Ringing) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${callId} is not ringing here`);
    }
    await this.#holdOthers(ctx.id);
    try {
      await ctx.session.accept({ sessionDescriptionHandlerOptions: this.#mediaOptions() });
    } catch (error) {
      const denied = isMediaDenied(error);
      ctx.endCause ??= 'failed';
      if (ctx.session.state !== SessionState.Terminated) {
        await ctx.session.reject({ statusCode: denied ? 488 : 500 }).catch(() => undefined);
      }
      this.#finish(ctx);
      throw new SoftPhoneError(denied ? 'MEDIA_DENIED' : 'CALL_FAILED', denied ? 'microphone access was denied' : `answer failed: ${String(error)}`);
    }
  }

  async decline(callId: string): Promise<void> {
    const ctx = this.#require(callId);
    if (!(ctx.session instanceof Invitation) || ctx.session.state !== SessionState.Initial) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${callId} is not ringing here`);
    }
    ctx.endCause ??= 'declined';
    await ctx.session.reject({ statusCode: 603 }).catch((error: unknown) => logger.debug('603 not sent:', error));
    this.#finish(ctx);
  }

  async hangup(callId: string): Promise<void> {
    const ctx = this.#require(callId);
    const session = ctx.session;
    if (session instanceof Invitation && session.state === SessionState.Initial) {
      await this.decline(callId);
      return;
    }
    ctx.endCause ??= 'hangup';
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
      this.#finish(ctx);
    }
    // An established call ends once the BYE went out, not when (or if) the answer comes back.
    if (session.state === SessionState.Terminating || session.state === SessionState.Terminated) this.#finish(ctx);
  }

  // --- in-call controls -----------------------------------------------------------------------

  async hold(callId: string): Promise<void> {
    await this.#setHeld(this.#require(callId), true);
  }

  async unhold(callId: string): Promise<void> {
    await this.#setHeld(this.#require(callId), false);
  }

  async #setHeld(ctx: CallContext, held: boolean): Promise<void> {
    const current = this.#info(ctx);
    if (current.state === (held ? CallState.Held : CallState.Established)) return;
    if (current.state !== (held ? CallState.Established : CallState.Held)) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${ctx.id} is ${current.state}: cannot ${held ? 'hold' : 'resume'} it`);
    }
    const session = ctx.session;
    await new Promise<void>((resolve, reject) => {
      session
        .invite({
          sessionDescriptionHandlerOptions: { ...this.#mediaOptions(), hold: held } as SessionDescriptionHandlerOptions,
          requestDelegate: {
            onAccept: () => {
              this.#move(ctx, held ? CallState.Held : CallState.Established);
              this.#applyTrackState(ctx);
              resolve();
            },
            onReject: (response) => {
              reject(
                new SoftPhoneError('CALL_FAILED', `${held ? 'hold' : 'resume'} refused: ${response.message.statusCode ?? 0} ${response.message.reasonPhrase ?? ''}`),
              );
            },
          },
        })
        .catch((error: unknown) => reject(new SoftPhoneError('CALL_FAILED', `${held ? 'hold' : 'resume'} failed: ${String(error)}`)));
    });
  }

  async setMuted(callId: string, muted: boolean): Promise<void> {
    const ctx = this.#require(callId);
    this.#state.patchCall(ctx.id, { muted });
    this.#applyTrackState(ctx);
    return Promise.resolve();
  }

  /** The microphone is sent only on a call that is neither muted nor held. */
  #applyTrackState(ctx: CallContext): void {
    const info = this.#state.getCall(ctx.id);
    if (!info) return;
    for (const sender of audioSenders(ctx.session)) {
      if (sender.track) sender.track.enabled = !info.muted && !info.held;
    }
  }

  async sendDtmf(callId: string, digits: string): Promise<void> {
    if (typeof digits !== 'string' || !VALID_DTMF.test(digits)) {
      throw new SoftPhoneError('INVALID_NUMBER', `not DTMF digits (0-9 * # A-D): ${String(digits)}`);
    }
    const ctx = this.#require(callId);
    const state = this.#info(ctx).state;
    if (state !== CallState.Established && state !== CallState.EarlyMedia) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${callId} is ${state}: no media to send DTMF on`);
    }
    const dtmf = audioSenders(ctx.session).find((s) => s.dtmf)?.dtmf;
    if (!dtmf || !dtmf.canInsertDTMF) throw new SoftPhoneError('CALL_FAILED', `call ${callId} cannot send DTMF (no telephone-event)`);
    // RFC 4733 events in the RTP stream; queued after any digits still playing.
    dtmf.insertDTMF(dtmf.toneBuffer + digits.toUpperCase(), DTMF_DURATION_MS, DTMF_GAP_MS);
    return Promise.resolve();
  }

  // --- not built yet --------------------------------------------------------------------------
  // REFER (blind), REFER with Replaces (attended, completeTransfer) and park (REFER to a slot)
  // go through the same session objects; the UserAgent already supports Replaces.

  transfer(callId: string): Promise<CallInfo | void> {
    this.#require(callId);
    return Promise.reject(new SoftPhoneError('NOT_ALLOWED', 'transfer is not supported yet'));
  }

  completeTransfer(heldCallId: string): Promise<void> {
    this.#require(heldCallId);
    return Promise.reject(new SoftPhoneError('NOT_ALLOWED', 'transfer is not supported yet'));
  }

  cancelTransfer(heldCallId: string): Promise<void> {
    this.#require(heldCallId);
    return Promise.reject(new SoftPhoneError('NOT_ALLOWED', 'transfer is not supported yet'));
  }

  park(callId: string): Promise<ParkedCall> {
    this.#require(callId);
    return Promise.reject(new SoftPhoneError('NOT_ALLOWED', 'park is not supported yet'));
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#endAll('hangup');
    await this.#connection.dispose();
  }

  async resumeAudio(): Promise<void> {
    await Promise.all([...this.#calls.values()].map((ctx) => ctx.audio?.resume()));
  }

  // --- plumbing -------------------------------------------------------------------------------

  /** Audio only, from the chosen microphone. */
  #mediaOptions(): SessionDescriptionHandlerOptions {
    const microphone = this.#connection.config?.microphone;
    return { constraints: { audio: microphone ? { deviceId: { exact: microphone } } : true, video: false } };
  }

  #watch(ctx: CallContext): void {
    const session = ctx.session;
    session.delegate = {
      ...session.delegate,
      onBye: () => {
        ctx.endCause ??= 'remote-hangup';
      },
      onSessionDescriptionHandler: (sdh: SessionDescriptionHandler) => {
        if (ctx.audio || !(sdh instanceof Web.SessionDescriptionHandler)) return;
        ctx.audio = new CallAudio(sdh.remoteMediaStream, this.#connection.config?.speaker, (error) =>
          logger.warn('remote audio blocked until a user gesture:', error),
        );
      },
    };
    session.stateChange.addListener((next) => {
      if (next === SessionState.Established || next === SessionState.Terminated) clearTimeout(ctx.noAnswerTimer);
      if (next === SessionState.Established) this.#move(ctx, CallState.Established);
      // SIP.js terminates the session before it hands us the final response that says why.
      else if (next === SessionState.Terminated) queueMicrotask(() => this.#finish(ctx));
    });
  }

  async #holdOthers(exceptId: string | undefined): Promise<void> {
    for (const other of this.#calls.values()) {
      if (other.id === exceptId || other.ended) continue;
      if (this.#state.getCall(other.id)?.state === CallState.Established) {
        await this.#setHeld(other, true).catch((error: unknown) => logger.warn('could not hold the other call:', error));
      }
    }
  }

  #move(ctx: CallContext, to: CallState): void {
    if (ctx.ended) return;
    const current = this.#state.getCall(ctx.id);
    if (!current || current.state === to) return;
    try {
      this.#state.moveCall(ctx.id, to);
    } catch (error) {
      logger.debug(`ignored call move ${current.state} -> ${to}:`, error);
    }
  }

  /** Ends the call in the state (once), releases its audio. */
  #finish(ctx: CallContext): void {
    if (ctx.ended) return;
    ctx.ended = true;
    clearTimeout(ctx.noAnswerTimer);
    this.#calls.delete(ctx.id);
    ctx.audio?.stop();
    if (this.#state.getCall(ctx.id)) {
      const answered = this.#state.getCall(ctx.id)?.answeredAt !== undefined;
      const fallback: EndCause = ctx.session instanceof Invitation && !answered ? 'no-answer' : answered ? 'remote-hangup' : 'failed';
      this.#state.moveCall(ctx.id, CallState.Ended, { endCause: ctx.endCause ?? fallback });
    }
    if (this.#reconfigurePending && this.#calls.size === 0) {
      // After the current callback (which may be the connection's own loss handling) has run.
      setTimeout(() => {
        if (this.#reconfigurePending && this.#calls.size === 0 && !this.#disposed) this.#reconnectWithNewConfig();
      }, 0);
    }
  }

  /** Ends every call at once (connection lost, unregister, dispose). */
  #endAll(cause: EndCause): void {
    for (const ctx of [...this.#calls.values()]) {
      ctx.endCause ??= cause;
      const session = ctx.session;
      try {
        if (session instanceof Invitation && session.state === SessionState.Initial) {
          void session.reject({ statusCode: 480 }).catch(() => undefined);
        } else if (session.state !== SessionState.Terminated) {
          void session.dispose().catch(() => undefined);
        }
      } catch {
        // the transport may already be gone
      }
      this.#finish(ctx);
    }
  }

  #require(callId: string): CallContext {
    const ctx = this.#calls.get(callId);
    if (!ctx) throw new SoftPhoneError('NO_SUCH_CALL', `no call with id ${String(callId)}`);
    return ctx;
  }

  #info(ctx: CallContext): CallInfo {
    const info = this.#state.getCall(ctx.id);
    if (!info) throw new SoftPhoneError('NO_SUCH_CALL', `call ${ctx.id} has ended`);
    return info;
  }

  #requireRegistered(): UserAgent {
    const ua = this.#connection.userAgent;
    if (this.#disposed || !ua || this.#state.registration !== RegistrationState.Registered) {
      throw new SoftPhoneError('NOT_REGISTERED', 'the phone is not registered');
    }
    return ua;
  }
}

type SessionDescriptionHandlerOptions = Web.SessionDescriptionHandlerOptions;

/** The default engine of `<soft-phone>`. */
export const createSipEngine: EngineFactory = (state: PhoneState) => new SipEngine(state);
