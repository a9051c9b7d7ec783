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
 */
import {
  Invitation,
  Inviter,
  SessionState,
  UserAgent,
  type Referral,
  type Session,
  type SessionDescriptionHandler,
  type URI,
  Web,
} from 'sip.js';
import type { IncomingReferRequest } from 'sip.js/lib/core/index.js';
import type { DialTarget, EngineConfig, EngineFactory, PhoneEngine } from '../core/engine.js';
import { parseDtmf } from '../core/guards.js';
import type { PhoneState } from '../core/phone-state.js';
import {
  CallState,
  RegistrationState,
  type CallInfo,
  type EndCause,
  type ParkedCall,
  type ReconnectReason,
  type RemoteParty,
  type TransferMode,
} from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { SipConnection } from './connection.js';
import { CallAudio } from './media.js';
import { QualitySampler } from './quality-sampler.js';
import { DEFAULT_THRESHOLDS } from '../core/call-quality.js';
import { refuseFlood, refuseOffer } from './offer-check.js';
import { ALLOW_UPDATE, notifyReferrerProperly } from './pbx-interop.js';
import { isEarlyMediaProgress } from './session-timer.js';
import { isBusyStatus, referredByUser, remoteHoldIn, sipfragStatus, transferFailure, type ReferOutcome } from './transfer.js';

const DTMF_DURATION_MS = 100;
const DTMF_GAP_MS = 70;
/** An outbound call nobody answers is given up after this long (end cause no-answer). */
const NO_ANSWER_TIMEOUT_MS = 60_000;
/** A transfer whose final NOTIFY never comes fails after this long (longer than a target may ring). */
const REFER_TIMEOUT_MS = 90_000;
/** How long a request in a call we answered waits for the caller's ACK before it goes anyway. */
const ACK_WAIT_MS = 2_000;
const DEFAULT_CALL_RECOVERY_S = 30;
/** A refresh re-INVITE that failed (or crossed the far end's: 491) is tried again after this long. */
const REFRESH_RETRY_MS = 600;
/**
 * Both ends of a call usually lose the connection (or the path) together and both refresh. Crossing
 * re-INVITEs are trouble (SIP.js makes our offer while it applies theirs, and the media can end up
 * broken), so the end that answered the call lets the caller go first: it refreshes once the
 * caller's re-INVITE is done, or after this long.
 */
const ANSWERER_REFRESH_DELAY_MS = 2500;
/** How often the media watchdog looks at a call's incoming packets. */
const MEDIA_CHECK_MS = 1000;
/** No incoming audio packet for this many checks on a call that should have audio: the path is lost. */
const MEDIA_STALL_CHECKS = 3;

interface CallContext {
  id: string;
  session: Inviter | Invitation;
  audio?: CallAudio;
  /** Reads the call's quality once a second while it is up. */
  sampler?: QualitySampler;
  /** A replacement microphone is being opened. */
  fallingBack?: boolean;
  /** Set by whoever knows first why the call ends (local action, final response, BYE). */
  endCause?: EndCause;
  ended: boolean;
  noAnswerTimer?: ReturnType<typeof setTimeout>;
  /** While a REFER of this call is under way: how the call ends if the far end leaves meanwhile. */
  referring?: 'transferred' | 'parked';
  /** A consult call placed by an attended transfer: the held call it belongs to. */
  consultFor?: string;
  /** The call we placed because the far end referred us: once it is answered, a BYE here means transferred. */
  following?: Inviter;
  /** The call's last snapshot, once it has ended. */
  final?: CallInfo;
  /** The UserAgent the call's dialog lives on. */
  ua?: UserAgent;
  /** What the call lost, while it is being recovered. */
  reconnecting?: ReconnectReason;
  recoveryTimer?: ReturnType<typeof setTimeout>;
  retryTimer?: ReturnType<typeof setTimeout>;
  /** The answering end waits for the caller's refresh: this sends ours at once. */
  farEndRefreshed?: () => void;
  /** A re-INVITE refreshing the dialog (and maybe restarting ICE) is under way. */
  refreshing?: boolean;
  /** The re-INVITE of a media recovery was answered: the call is back once audio arrives again. */
  iceRestarted?: boolean;
  /**
   * The path was checked and works (ICE connected again after a restart) while the far end sends no
   * audio: it is quiet (silence suppression, a one-way announcement), not lost. No more restarts for
   * that until its audio flows again.
   */
  quietFarEnd?: boolean;
  mediaTimer?: ReturnType<typeof setInterval>;
  /** Incoming audio packets at the last check, and how many checks saw none arrive. */
  packets?: number;
  stalled?: number;
  /**
   * A call we answered: settles when the caller's ACK arrives (or the call ends). Until then the
   * caller may still be applying our answer, and SIP.js, for one, silently drops a REFER or
   * re-INVITE that arrives meanwhile: the request would end in 408 after the server's timer.
   */
  confirmed?: Promise<void>;
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
/** Unique in the page by the counter; the random part tells phones (and page loads) apart in logs. */
function newCallId(): string {
  return `call-${++counter}-${Math.random().toString(36).slice(2, 10)}`;
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
  /** Calls hung up while their signaling was lost: the BYE goes out once the connection is back. */
  readonly #pendingByes = new Set<Session>();
  #disposed = false;
  #reconfigurePending = false;
  #deviceWatch: (() => void) | undefined;

  constructor(state: PhoneState) {
    this.#state = state;
    this.#connection = new SipConnection(state, {
      onInvite: (invitation) => this.#incoming(invitation),
      onConnectionLost: () => this.#signalingLost(),
      onConnected: (ua) => this.#signalingBack(ua),
      callsWaiting: () => [...this.#calls.values()].some((c) => c.reconnecting !== undefined),
    });
    if (typeof window !== 'undefined') {
      window.addEventListener('offline', this.#onOffline);
      window.addEventListener('online', this.#onOnline);
    }
  }

  // --- calls through network trouble ----------------------------------------------------------

  readonly #onOffline = (): void => {
    for (const ctx of this.#calls.values()) if (this.#isUp(ctx)) this.#startReconnecting(ctx, 'media');
  };

  /** Back online (maybe on another network): every call restarts ICE now rather than on ICE's timers. */
  readonly #onOnline = (): void => {
    for (const ctx of this.#calls.values()) {
      if (!this.#isUp(ctx)) continue;
      this.#startReconnecting(ctx, ctx.reconnecting ?? 'media');
      this.#refreshDialog(ctx);
    }
  };

  /** The call has a confirmed dialog (it can be refreshed rather than ended). */
  #isUp(ctx: CallContext): boolean {
    return !ctx.ended && ctx.session.state === SessionState.Established;
  }

  #signalingLost(): void {
    for (const ctx of [...this.#calls.values()]) {
      if (this.#isUp(ctx)) this.#startReconnecting(ctx, 'signaling');
      else this.#endOne(ctx, 'connection-lost');
    }
  }

  #signalingBack(ua: UserAgent): void {
    for (const session of [...this.#pendingByes]) {
      this.#pendingByes.delete(session);
      const bye = session.userAgent === ua && session.state === SessionState.Established ? session.bye() : session.dispose();
      bye.catch((error: unknown) => logger.debug('late BYE not sent:', error));
    }
    for (const ctx of [...this.#calls.values()]) {
      if (ctx.ua && ctx.ua !== ua) {
        // Failed over to another server: the dialog's route goes through the one we left.
        this.#endOne(ctx, 'connection-lost');
      } else if (ctx.reconnecting || this.#iceBroken(ctx)) {
        this.#startReconnecting(ctx, ctx.reconnecting ?? 'media');
        this.#refreshDialog(ctx);
      }
    }
  }

  #iceBroken(ctx: CallContext): boolean {
    const ice = peerConnectionOf(ctx.session)?.iceConnectionState;
    return ice === 'disconnected' || ice === 'failed';
  }

  #signalingUp(ctx: CallContext): boolean {
    return this.#state.registration === RegistrationState.Registered && this.#connection.userAgent === ctx.ua;
  }

  #startReconnecting(ctx: CallContext, reason: ReconnectReason): void {
    if (ctx.ended) return;
    if (ctx.reconnecting) {
      // Lost signaling too: it is what the call waits for now.
      if (reason === 'signaling') ctx.reconnecting = reason;
      return;
    }
    ctx.reconnecting = reason;
    ctx.iceRestarted = false;
    const seconds = this.#connection.config?.callRecovery ?? DEFAULT_CALL_RECOVERY_S;
    ctx.recoveryTimer = setTimeout(() => {
      logger.warn(`call ${ctx.id} not recovered within ${seconds} s`);
      this.#endOne(ctx, 'connection-lost');
    }, seconds * 1000);
    logger.info(`call ${ctx.id} reconnecting (${reason} lost)`);
    const call = this.#state.patchCall(ctx.id, { reconnecting: true });
    this.#state.notify({ type: 'call-reconnecting', call, reason });
  }

  #recovered(ctx: CallContext): void {
    if (ctx.ended || !ctx.reconnecting) return;
    clearTimeout(ctx.recoveryTimer);
    clearTimeout(ctx.retryTimer);
    logger.info(`call ${ctx.id} reconnected`);
    delete ctx.reconnecting;
    ctx.iceRestarted = false;
    const call = this.#state.patchCall(ctx.id, { reconnecting: false });
    this.#state.notify({ type: 'call-reconnected', call });
  }

  /**
   * A re-INVITE over the current connection: the far end learns our new route (through the server),
   * and, when the media path is in doubt, ICE restarts. Retried until the call is back or given up.
   */
  #refreshDialog(ctx: CallContext, now = false): void {
    if (ctx.ended || ctx.refreshing || !ctx.reconnecting || !this.#signalingUp(ctx)) return;
    if (!now && ctx.session instanceof Invitation) {
      clearTimeout(ctx.retryTimer);
      ctx.retryTimer = setTimeout(() => this.#refreshDialog(ctx, true), ANSWERER_REFRESH_DELAY_MS);
      ctx.farEndRefreshed = () => {
        delete ctx.farEndRefreshed;
        this.#refreshDialog(ctx, true);
      };
      return;
    }
    delete ctx.farEndRefreshed;
    const session = ctx.session;
    // An offer/answer exchange the far end started is still under way (SIP.js would make our offer
    // while it applies theirs, and the media can end up broken): ours waits until it is over.
    const busy = session as unknown as { pendingReinviteAck?: boolean; dialog?: { signalingState?: string } };
    if (busy.pendingReinviteAck || (busy.dialog?.signalingState !== undefined && busy.dialog.signalingState !== 'Stable')) {
      clearTimeout(ctx.retryTimer);
      ctx.retryTimer = setTimeout(() => this.#refreshDialog(ctx, true), 300);
      return;
    }
    const held = this.#state.getCall(ctx.id)?.held ?? false;
    const iceRestart = ctx.reconnecting === 'media' || this.#iceBroken(ctx);
    if (iceRestart) ctx.reconnecting = 'media';
    ctx.refreshing = true;
    clearTimeout(ctx.retryTimer);
    const retry = (): void => {
      ctx.refreshing = false;
      if (ctx.ended) return;
      ctx.retryTimer = setTimeout(() => this.#refreshDialog(ctx, true), REFRESH_RETRY_MS * (0.5 + Math.random()));
    };
    const options = { ...this.#mediaOptions(), hold: held, ...(iceRestart ? { offerOptions: { iceRestart: true } } : {}) };
    try {
      session
        .invite({
          sessionDescriptionHandlerOptions: options as SessionDescriptionHandlerOptions,
          requestDelegate: {
            onAccept: () => {
              ctx.refreshing = false;
              this.#applyTrackState(ctx);
              // After an ICE restart on a broken path, the call is back once audio arrives again.
              if (iceRestart && (this.#iceBroken(ctx) || (ctx.stalled ?? 0) > 0)) ctx.iceRestarted = true;
              else this.#recovered(ctx);
            },
            onReject: (response) => {
              const code = response.message.statusCode ?? 0;
              if (code === 481) {
                // The far end has no such call any more: it hung up while we were away.
                ctx.refreshing = false;
                this.#endOne(ctx, 'remote-hangup');
                return;
              }
              logger.info(`call ${ctx.id}: refresh answered ${code}, trying again`);
              retry();
            },
          },
        })
        .catch((error: unknown) => {
          logger.info(`call ${ctx.id}: refresh not sent:`, error);
          retry();
        });
    } catch (error) {
      logger.info(`call ${ctx.id}: refresh not sent:`, error);
      retry();
    }
  }

  /**
   * Watches the call's media path: ICE `disconnected`/`failed`, or no incoming audio packet for a few
   * seconds on a call that should have audio (ICE notices a dead path only after about 8 s), starts a
   * media recovery; audio arriving after the ICE restart ends it.
   */
  #watchMedia(ctx: CallContext, pc: RTCPeerConnection): void {
    pc.addEventListener('iceconnectionstatechange', () => {
      const ice = pc.iceConnectionState;
      if ((ice === 'disconnected' || ice === 'failed') && this.#isUp(ctx)) this.#mediaLost(ctx);
      // ICE connected again after the restart: the path works, whether or not the far end sends audio.
      else if ((ice === 'connected' || ice === 'completed') && ctx.reconnecting === 'media' && ctx.iceRestarted) {
        ctx.quietFarEnd = (ctx.stalled ?? 0) > 0;
        this.#recovered(ctx);
      }
    });
    ctx.mediaTimer = setInterval(() => {
      if (ctx.ended || pc.signalingState === 'closed') {
        clearInterval(ctx.mediaTimer);
        return;
      }
      void pc.getStats().then((stats) => {
        let packets = 0;
        stats.forEach((s: { type?: string; kind?: string; packetsReceived?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived ?? 0;
        });
        const flowing = packets > (ctx.packets ?? 0);
        ctx.packets = packets;
        ctx.stalled = flowing ? 0 : (ctx.stalled ?? 0) + 1;
        if (flowing) ctx.quietFarEnd = false;
        if (flowing && ctx.reconnecting === 'media' && ctx.iceRestarted) this.#recovered(ctx);
        const info = this.#state.getCall(ctx.id);
        const expectsAudio = info?.state === CallState.Established && !info.remoteHeld && packets > 0;
        if (!flowing && expectsAudio && !ctx.reconnecting && !ctx.quietFarEnd && (ctx.stalled ?? 0) >= MEDIA_STALL_CHECKS && this.#isUp(ctx)) this.#mediaLost(ctx);
      }, () => undefined);
    }, MEDIA_CHECK_MS);
  }

  #mediaLost(ctx: CallContext): void {
    this.#startReconnecting(ctx, 'media');
    this.#refreshDialog(ctx);
  }

  /** Ends one call now: a dialog we cannot use any more is dropped without waiting on the network. */
  #endOne(ctx: CallContext, cause: EndCause): void {
    if (ctx.ended) return;
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
    await this.#holdOthers([]);
    const inviter = new Inviter(ua, uri, { earlyMedia: true, extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: this.#mediaOptions() });
    return this.#dial(inviter, target.uri, { remote: target.remote });
  }

  /** Places the call `inviter` stands for; resolves once the INVITE is out (the call shows dialing). */
  async #dial(inviter: Inviter, what: string, call: Pick<CallInfo, 'remote' | 'transferredBy'>): Promise<CallInfo> {
    const ctx: CallContext = { id: newCallId(), session: inviter, ended: false };
    this.#calls.set(ctx.id, ctx);
    this.#state.addCall({ id: ctx.id, direction: 'outbound', state: CallState.Dialing, ...call });
    this.#watch(ctx);
    ctx.noAnswerTimer = setTimeout(() => {
      if (inviter.state !== SessionState.Initial && inviter.state !== SessionState.Establishing) return;
      ctx.endCause ??= 'no-answer';
      inviter.cancel().catch(() => this.#finish(ctx));
    }, NO_ANSWER_TIMEOUT_MS);
    // A 1xx with SDP means the far end plays its own audio (SIP.js applies that answer, as
    // earlyMedia is on, and the call's audio element already plays the remote stream); a 180 after
    // it keeps the call in early-media, so our ringback never plays over the far end's audio.
    let early = false;
    try {
      await inviter.invite({
        requestDelegate: {
          onProgress: (response) => {
            const code = response.message.statusCode ?? 0;
            if (code === 100) return;
            early = isEarlyMediaProgress(code, Boolean(response.message.body), early);
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
        denied ? 'microphone access was denied' : `call to ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return this.#info(ctx);
  }

  #classify(user: string, displayName?: string, host?: string): RemoteParty {
    const classify = this.#connection.config?.classify;
    const plain: RemoteParty = { number: user, kind: 'internal', ...(displayName ? { displayName } : {}) };
    try {
      return classify ? classify(user, displayName, host) : plain;
    } catch (error) {
      logger.warn('could not classify the caller:', error);
      return plain;
    }
  }

  #incoming(invitation: Invitation): void {
    // An offer we could never answer, or one call too many, is refused before anything rings.
    const request = invitation.request;
    const refusal = refuseOffer(request.body || undefined, request.getHeader('Content-Type')) ?? refuseFlood(this.#calls.size);
    if (refusal) {
      logger.warn(`refused an incoming call with ${refusal.statusCode}: ${refusal.why}`);
      invitation.reject({ statusCode: refusal.statusCode, reasonPhrase: refusal.reasonPhrase }).catch((error: unknown) => logger.debug('refusal not sent:', error));
      return;
    }
    // 180 so the caller hears ringback, first thing. The only one: SIP.js's automatic 180 is off
    // (see the connection), as SIP.js skips it when the caller requires 100rel.
    invitation.progress().catch((error: unknown) => logger.debug('180 Ringing not sent:', error));
    const identity = invitation.remoteIdentity;
    // A parked call coming back from the orbit: show the parked caller, named after the slot.
    const slot = request.getHeader('X-Park-Slot');
    const parkedCaller = slot ? request.getHeader('X-Park-Caller') : undefined;
    const remote = parkedCaller
      ? this.#classify(parkedCaller, identity.displayName || `Park ${slot}`)
      : this.#classify(identity.uri.user ?? '', identity.displayName || undefined, identity.uri.host);
    const by = referredByUser(request.getHeader('Referred-By'));
    const transferredBy = by ? this.#classify(by).number : undefined;
    const ctx: CallContext = { id: newCallId(), session: invitation, ended: false };
    this.#calls.set(ctx.id, ctx);
    invitation.delegate = {
      ...invitation.delegate,
      onCancel: () => {
        ctx.endCause ??= 'remote-hangup';
      },
    };
    this.#watch(ctx);
    if (slot) {
      invitation.stateChange.addListener((s) => {
        if (s === SessionState.Established) this.#unpark(slot);
      });
    }
    const call = { id: ctx.id, direction: 'inbound', remote, ...(transferredBy ? { transferredBy } : {}) } as const;
    const replaced = [...this.#calls.values()].find((c) => c.session === invitation.replacee && !c.ended);
    if (replaced) {
      // INVITE with Replaces (the other end of an attended transfer): it takes the place of a call
      // we already have, so it is answered at once and never rings.
      void this.#replace(ctx, replaced, call);
      return;
    }
    this.#state.addCall({ ...call, state: CallState.Ringing });
  }

  async #replace(ctx: CallContext, replaced: CallContext, call: Omit<CallInfo, 'state' | 'startedAt' | 'muted' | 'held' | 'warnings' | 'reconnecting' | 'local'>): Promise<void> {
    const invitation = ctx.session as Invitation;
    replaced.endCause = 'replaced';
    await this.#holdOthers([ctx.id, replaced.id]);
    try {
      // SIP.js ends the replaced call (BYE) once this one is accepted.
      await invitation.accept({ extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: this.#mediaOptions() });
      if (!ctx.ended) this.#state.addCall({ ...call, state: CallState.Established });
    } catch (error) {
      logger.warn('could not take over the replaced call:', error);
      delete replaced.endCause;
      if (invitation.state !== SessionState.Terminated) await invitation.reject({ statusCode: 500 }).catch(() => undefined);
      ctx.endCause = 'failed';
      this.#finish(ctx);
    }
  }

  async answer(callId: string): Promise<void> {
    const ctx = this.#require(callId);
    if (!(ctx.session instanceof Invitation) || this.#info(ctx).state !== CallState.Ringing) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${callId} is not ringing here`);
    }
    await this.#holdOthers([ctx.id]);
    try {
      await ctx.session.accept({ extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: this.#mediaOptions() });
    } catch (error) {
      if (ctx.ended && ctx.endCause === 'remote-hangup') throw new SoftPhoneError('CALL_FAILED', `call ${callId} was hung up by the caller before it could be answered`);
      const denied = isMediaDenied(error);
      ctx.endCause ??= 'failed';
      if (ctx.session.state !== SessionState.Terminated) {
        await ctx.session.reject({ statusCode: denied ? 488 : 500 }).catch(() => undefined);
      }
      this.#finish(ctx);
      throw new SoftPhoneError(denied ? 'MEDIA_DENIED' : 'CALL_FAILED', denied ? 'microphone access was denied' : `answer failed: ${String(error)}`);
    }
    // The caller's CANCEL won the race with our answer (SIP.js sent 487, not our 200): say so.
    if (ctx.session.state === SessionState.Terminated && this.#state.getCall(ctx.id)?.answeredAt === undefined) {
      throw new SoftPhoneError('CALL_FAILED', `call ${callId} was hung up by the caller before it could be answered`);
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
    if (ctx.reconnecting && session.state === SessionState.Established && !this.#signalingUp(ctx)) {
      // Over at once here; the far end hears the BYE when the connection is back.
      this.#releaseMedia(session);
      this.#pendingByes.add(session);
      this.#finish(ctx);
      return;
    }
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

  /** Closes a call's peer connection and stops its microphone, leaving its dialog for a late BYE. */
  #releaseMedia(session: Session): void {
    const pc = peerConnectionOf(session);
    for (const sender of pc?.getSenders() ?? []) sender.track?.stop();
    pc?.close();
  }

  /** Operations that need the far end wait until a reconnecting call is back. */
  #requireReachable(ctx: CallContext, what: string): void {
    if (ctx.reconnecting) {
      throw new SoftPhoneError('CALL_FAILED', `call ${ctx.id} is reconnecting (${ctx.reconnecting} lost): cannot ${what} until it is back`);
    }
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
    this.#requireReachable(ctx, held ? 'hold' : 'resume');
    const session = ctx.session;
    await this.#confirmedByFarEnd(ctx);
    await new Promise<void>((resolve, reject) => {
      session
        .invite({
          sessionDescriptionHandlerOptions: { ...this.#mediaOptions(), hold: held } as SessionDescriptionHandlerOptions,
          requestDelegate: {
            onAccept: () => {
              // A re-INVITE from the far end is answered in the same direction.
              session.sessionDescriptionHandlerOptionsReInvite = { ...this.#mediaOptions(), hold: held } as SessionDescriptionHandlerOptions;
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
    digits = parseDtmf(digits);
    const ctx = this.#require(callId);
    const state = this.#info(ctx).state;
    if (state !== CallState.Established && state !== CallState.EarlyMedia) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${callId} is ${state}: no media to send DTMF on`);
    }
    this.#requireReachable(ctx, 'send DTMF');
    const dtmf = audioSenders(ctx.session).find((s) => s.dtmf)?.dtmf;
    if (!dtmf || !dtmf.canInsertDTMF) throw new SoftPhoneError('CALL_FAILED', `call ${callId} cannot send DTMF (no telephone-event)`);
    // RFC 4733 events in the RTP stream; queued after any digits still playing.
    dtmf.insertDTMF(dtmf.toneBuffer + digits.toUpperCase(), DTMF_DURATION_MS, DTMF_GAP_MS);
    return Promise.resolve();
  }

  // --- transfers and park ----------------------------------------------------------------------

  async transfer(callId: string, target: DialTarget, mode: TransferMode): Promise<CallInfo | void> {
    const ctx = this.#require(callId);
    if (mode === 'attended') {
      // '*' transfer: the caller waits on hold while the agent talks to the target.
      if (this.#info(ctx).state === CallState.Established) await this.#setHeld(ctx, true);
      const consult = await this.call(target);
      const consultCtx = this.#calls.get(consult.id);
      if (!consultCtx) return consult;
      consultCtx.consultFor = ctx.id;
      return this.#state.patchCall(consult.id, { consultFor: ctx.id });
    }
    const uri = UserAgent.makeURI(target.uri);
    if (!uri) throw new SoftPhoneError('INVALID_NUMBER', `not a transfer target: ${target.uri}`);
    const previous = this.#info(ctx).state;
    const outcome = await this.#refer(ctx, uri, 'transferred');
    this.#settleTransfer([ctx], [previous], outcome, 'blind', target.remote.number);
  }

  async completeTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    const held = this.#require(heldCallId);
    const consult = this.#require(consultCallId);
    if (consult.session.state !== SessionState.Established || held.session.state !== SessionState.Established) {
      throw new SoftPhoneError('NOT_ALLOWED', `calls ${heldCallId} and ${consultCallId} must both be connected to be joined`);
    }
    const previous = [this.#info(held).state, this.#info(consult).state];
    const target = this.#info(consult).remote.number;
    this.#move(consult, CallState.Transferring);
    consult.referring = 'transferred';
    // REFER with Replaces: the held caller calls the target, replacing our consult call there.
    const outcome = await this.#refer(held, consult.session, 'transferred');
    this.#settleTransfer([held, consult], previous, outcome, 'attended', target);
  }

  async cancelTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    const held = this.#require(heldCallId);
    await this.hangup(consultCallId);
    if (this.#info(held).state === CallState.Held) await this.#setHeld(held, false);
  }

  async park(callId: string, slots: readonly string[]): Promise<ParkedCall> {
    const ctx = this.#require(callId);
    const domain = this.#connection.config?.domain ?? '';
    const previous = this.#info(ctx).state;
    const remote = this.#info(ctx).remote;
    let last: ReferOutcome = { ok: false, code: 486, reason: 'no park slot' };
    for (const slot of slots) {
      const uri = UserAgent.makeURI(`sip:${slot}@${domain}`);
      if (!uri) continue;
      last = await this.#refer(ctx, uri, 'parked');
      if (last.ok) {
        const parked: ParkedCall = { slot, remote, parkedAt: Date.now() };
        const call = this.#end(ctx, 'parked');
        this.#state.setParked([...this.#state.parked.filter((p) => p.slot !== slot), parked]);
        if (call) this.#state.notify({ type: 'call-parked', call, slot });
        return parked;
      }
      // a slot that refuses is occupied: try the next one; anything else is not about the slot
      if (!isBusyStatus(last.code) || ctx.ended) break;
    }
    delete ctx.referring;
    if (!ctx.ended) this.#move(ctx, previous);
    const why = isBusyStatus(last.code) ? `every park slot is busy (${slots.join(', ')})` : `${last.code} ${last.reason}`.trim();
    throw new SoftPhoneError('PARK_FAILED', `could not park call ${callId}: ${why}`);
  }

  /** Drops a slot from the parked list (its call was retrieved here or came back). */
  #unpark(slot: string): void {
    if (this.#state.parked.some((p) => p.slot === slot)) this.#state.setParked(this.#state.parked.filter((p) => p.slot !== slot));
  }

  /**
   * Sends a REFER on `ctx` (blind: a URI; attended: the consult session, which becomes
   * Refer-To with Replaces) and follows the NOTIFYs until a final answer. The call shows
   * `transferring` meanwhile. If the far end leaves after accepting the REFER, it went through.
   */
  #refer(ctx: CallContext, to: URI | Session, cause: 'transferred' | 'parked'): Promise<ReferOutcome> {
    this.#requireReachable(ctx, cause === 'parked' ? 'park' : 'transfer');
    this.#move(ctx, CallState.Transferring);
    ctx.referring = cause;
    const session = ctx.session;
    return new Promise<ReferOutcome>((resolve) => {
      let accepted = false;
      let settled = false;
      const done = (outcome: ReferOutcome): void => {
        settled = true;
        clearTimeout(timer);
        session.stateChange.removeListener(onState);
        resolve(outcome);
      };
      const timer = setTimeout(() => done({ ok: false, code: 408, reason: 'the transfer got no final answer' }), REFER_TIMEOUT_MS);
      const onState = (state: SessionState): void => {
        if (state === SessionState.Terminated) done(accepted ? { ok: true } : { ok: false, code: 487, reason: 'the call ended' });
      };
      session.stateChange.addListener(onState);
      const send = (): Promise<unknown> =>
        session.refer(to, {
          requestDelegate: {
            onAccept: () => (accepted = true),
            onReject: (response) => done(transferFailure(response.message.statusCode ?? 0, response.message.reasonPhrase ?? 'REFER refused')),
          },
          onNotify: (notification) => {
            notification.accept().catch(() => undefined);
            const status = sipfragStatus(notification.request.body ?? '');
            if (status && status.code >= 200) done(status.code < 300 ? { ok: true } : transferFailure(status.code, status.reason));
          },
        });
      void this.#confirmedByFarEnd(ctx)
        .then(() => (settled ? undefined : send()))
        .catch((error: unknown) => done({ ok: false, code: 0, reason: error instanceof Error ? error.message : String(error) }));
    });
  }

  /** After a REFER: success ends the calls as transferred; failure puts them back as they were. */
  #settleTransfer(ctxs: CallContext[], previous: CallState[], outcome: ReferOutcome, mode: TransferMode, target: string): void {
    const [main] = ctxs;
    if (!main) return;
    if (outcome.ok) {
      const ended = ctxs.map((c) => this.#end(c, 'transferred'));
      if (ended[0]) this.#state.notify({ type: 'transfer-completed', call: ended[0], mode, target });
      return;
    }
    ctxs.forEach((c, i) => {
      delete c.referring;
      if (!c.ended) this.#move(c, previous[i] ?? CallState.Established);
    });
    const call = this.#state.getCall(main.id);
    const reason = outcome.reason || 'transfer failed';
    if (call) this.#state.notify({ type: 'transfer-failed', call, mode, target, code: String(outcome.code), reason });
    throw new SoftPhoneError('TRANSFER_FAILED', `transfer of call ${main.id} to ${target} failed: ${outcome.code} ${reason}`.trim());
  }

  /** Ends a call that was handed over: hangs up our leg if the far end has not, returns the last snapshot. */
  #end(ctx: CallContext, cause: EndCause): CallInfo | undefined {
    ctx.endCause = cause;
    const session = ctx.session;
    if (session.state === SessionState.Established) session.bye().catch((error: unknown) => logger.debug('BYE not sent:', error));
    return this.#finish(ctx);
  }

  // The other end of a transfer: the far end asks us (REFER) to call someone else. We place that
  // call (SIP.js adds Referred-By and, for an attended transfer, Replaces) and leave the old call
  // as transferred once the new one is up; if it fails, the old call simply goes on.
  #followRefer(ctx: CallContext, referral: Referral): void {
    const ua = this.#connection.userAgent;
    if (!ua || this.#disposed || this.#state.registration !== RegistrationState.Registered) {
      referral.reject({ statusCode: 480 }).catch(() => undefined);
      return;
    }
    let referTo;
    try {
      referTo = referral.referTo;
    } catch {
      referral.reject({ statusCode: 400 }).catch(() => undefined);
      return;
    }
    void referral.accept().then(async () => {
      const inviter = referral.makeInviter({ earlyMedia: true, extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: this.#mediaOptions() });
      // SIP.js would say `terminated` in every NOTIFY: the referrer would never hear the outcome.
      notifyReferrerProperly(inviter);
      // An attended transfer refers to the target's WebSocket contact (a made-up user at an
      // .invalid host): the display name is then the number the agent dialed.
      const uri = referTo.uri;
      const user = /\.invalid$/i.test(uri.host) && referTo.displayName ? referTo.displayName : (uri.user ?? '');
      const by = this.#info(ctx).remote.number;
      ctx.following = inviter;
      inviter.stateChange.addListener((state) => {
        if (state === SessionState.Established && !ctx.ended) this.#end(ctx, 'transferred');
      });
      await this.#dial(inviter, uri.toString(), { remote: this.#classify(user, referTo.displayName || undefined), transferredBy: by });
    }).catch((error: unknown) => logger.warn('following a transfer failed:', error));
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#deviceWatch?.();
    this.#deviceWatch = undefined;
    if (typeof window !== 'undefined') {
      window.removeEventListener('offline', this.#onOffline);
      window.removeEventListener('online', this.#onOnline);
    }
    this.#endAll('hangup');
    for (const session of this.#pendingByes) void session.dispose().catch(() => undefined);
    this.#pendingByes.clear();
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

  /** Waits (at most ACK_WAIT_MS) until the far end has confirmed the answer of a call we answered. */
  async #confirmedByFarEnd(ctx: CallContext): Promise<void> {
    if (!ctx.confirmed) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ctx.confirmed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ACK_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * A REFER that reaches a call we placed while SIP.js is still applying the answer (the referrer
   * sent it right after its 200, before our ACK) would be dropped without a reply by SIP.js, and the
   * transfer would hang until a timer fails it. It is taken up once the call is established
   * (or refused with 481 if the call ends first).
   */
  #acceptEarlyRefer(session: Inviter): void {
    type ReferHandler = { onReferRequest(request: IncomingReferRequest): void };
    const handler = session as unknown as ReferHandler;
    const original = handler.onReferRequest.bind(session);
    handler.onReferRequest = (request) => {
      if (session.state !== SessionState.Establishing) {
        original(request);
        return;
      }
      const later = (state: SessionState): void => {
        if (state === SessionState.Established) original(request);
        else if (state === SessionState.Terminated) request.reject({ statusCode: 481 });
        else return;
        session.stateChange.removeListener(later);
      };
      session.stateChange.addListener(later);
    };
  }

  #watch(ctx: CallContext): void {
    const session = ctx.session;
    ctx.ua = session.userAgent;
    let confirm: (() => void) | undefined;
    if (session instanceof Invitation) ctx.confirmed = new Promise<void>((resolve) => (confirm = resolve));
    else this.#acceptEarlyRefer(session);
    session.delegate = {
      ...session.delegate,
      onAck: () => confirm?.(),
      onBye: (bye) => {
        // With a delegate, SIP.js leaves answering the BYE to us: without this 200 the far end (a
        // carrier, a desk phone) retransmits its BYE and the server ends the dialog with a 408.
        bye.accept().catch((error: unknown) => logger.warn('could not answer the far end\'s BYE:', error));
        // The referrer hangs up as soon as our NOTIFY says the new call was answered, which can be
        // before SIP.js has applied the answer and moved that call to established.
        ctx.endCause ??= ctx.referring ?? (ctx.following?.dialog ? 'transferred' : 'remote-hangup');
      },
      onRefer: (referral: Referral) => this.#followRefer(ctx, referral),
      onInvite: (request, _response, statusCode) => {
        // A re-INVITE from the far end: sendonly/inactive means it put us on hold. A session
        // refresh (same direction, or no SDP) changes nothing, so it must not fire an event.
        if (statusCode !== 200 || ctx.ended) return;
        // The caller refreshed the dialog after a loss: ours follows once its ACK is in (see #refreshDialog).
        if (ctx.farEndRefreshed) setTimeout(() => ctx.farEndRefreshed?.(), 0);
        const remoteHeld = remoteHoldIn(request.body);
        if (remoteHeld !== undefined && (this.#state.getCall(ctx.id)?.remoteHeld ?? false) !== remoteHeld) this.#state.patchCall(ctx.id, { remoteHeld });
      },
      onSessionDescriptionHandler: (sdh: SessionDescriptionHandler) => {
        if (ctx.audio || !(sdh instanceof Web.SessionDescriptionHandler)) return;
        if (sdh.peerConnection) this.#watchMedia(ctx, sdh.peerConnection);
        ctx.audio = new CallAudio(sdh.remoteMediaStream, this.#connection.config?.speaker, (error) =>
          logger.warn('remote audio blocked until a user gesture:', error),
        );
      },
    };
    session.stateChange.addListener((next) => {
      if (next === SessionState.Established || next === SessionState.Terminated) clearTimeout(ctx.noAnswerTimer);
      if (next === SessionState.Established) {
        this.#move(ctx, CallState.Established);
        this.#startSampler(ctx);
        // our own call to a slot we parked in: the call is back with us
        if (ctx.session instanceof Inviter) this.#unpark(ctx.session.remoteIdentity.uri.user ?? '');
      }
      // SIP.js terminates the session before it hands us the final response that says why.
      else if (next === SessionState.Terminated) {
        confirm?.();
        queueMicrotask(() => this.#finish(ctx));
      }
    });
  }

  /** Quality figures and warnings of an established call, into its snapshot, about once a second. */
  #startSampler(ctx: CallContext): void {
    if (ctx.sampler || ctx.ended || this.#connection.config?.qualitySampling === false) return;
    ctx.sampler = new QualitySampler({
      peerConnection: () => peerConnectionOf(ctx.session),
      context: () => {
        const info = this.#state.getCall(ctx.id);
        return { held: !!info && (info.held || !!info.remoteHeld), muted: !!info?.muted };
      },
      thresholds: () => this.#connection.config?.qualityThresholds ?? DEFAULT_THRESHOLDS,
      onUpdate: (update) => {
        if (!ctx.ended) this.#state.setQuality(ctx.id, update.quality, update.warnings);
      },
    });
    ctx.sampler.start();
    this.#watchMicrophone(ctx);
  }

  /**
   * A microphone that disappears mid-call (unplugged, or ended by the system) is replaced by the
   * default one, so the far end keeps hearing the agent. Chromium ends the track (`ended`); the
   * `devicechange` check also catches a track that ended without telling.
   */
  #watchMicrophone(ctx: CallContext): void {
    const track = audioSenders(ctx.session).find((s) => s.track)?.track;
    track?.addEventListener('ended', () => void this.#fallBack(ctx), { once: true });
    const md = globalThis.navigator?.mediaDevices;
    if (this.#deviceWatch || !md?.addEventListener) return;
    const check = (): void => {
      for (const c of this.#calls.values()) {
        if (audioSenders(c.session).some((s) => s.track?.readyState === 'ended')) void this.#fallBack(c);
      }
    };
    md.addEventListener('devicechange', check);
    this.#deviceWatch = () => md.removeEventListener('devicechange', check);
  }

  async #fallBack(ctx: CallContext): Promise<void> {
    const sender = audioSenders(ctx.session).find((s) => s.track?.readyState === 'ended');
    if (ctx.ended || !sender?.track || ctx.fallingBack) return;
    ctx.fallingBack = true;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      const fresh = stream.getAudioTracks()[0];
      if (!fresh) return;
      if (ctx.ended) {
        fresh.stop();
        return;
      }
      const old = sender.track;
      await sender.replaceTrack(fresh);
      // SIP.js stops its local stream's tracks when the call ends: the new track goes there too.
      const sdh = ctx.session.sessionDescriptionHandler;
      if (sdh instanceof Web.SessionDescriptionHandler) {
        sdh.localMediaStream.removeTrack(old);
        sdh.localMediaStream.addTrack(fresh);
      }
      old.stop();
      this.#applyTrackState(ctx);
      fresh.addEventListener('ended', () => void this.#fallBack(ctx), { once: true });
      logger.warn(`call ${ctx.id}: the microphone went away, the default microphone is used now`);
      const call = this.#state.getCall(ctx.id);
      if (call) this.#state.notify({ type: 'microphone-fallback', call });
    } catch (error) {
      logger.warn(`call ${ctx.id}: no microphone to fall back to:`, error);
    } finally {
      ctx.fallingBack = false;
    }
  }

  async #holdOthers(except: readonly string[]): Promise<void> {
    for (const other of this.#calls.values()) {
      if (except.includes(other.id) || other.ended) continue;
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
      // An illegal move is a bug in this adapter: the snapshot keeps its state (it never lies), the
      // call goes on, and the log says so where it is seen (the e2e harness fails a test on it).
      logger.error(`call ${ctx.id}:`, error);
    }
  }

  /** Ends the call in the state (once), releases its audio; returns the final snapshot. */
  #finish(ctx: CallContext): CallInfo | undefined {
    if (ctx.ended) return ctx.final;
    ctx.ended = true;
    let last: CallInfo | undefined;
    clearTimeout(ctx.noAnswerTimer);
    clearTimeout(ctx.recoveryTimer);
    clearTimeout(ctx.retryTimer);
    clearInterval(ctx.mediaTimer);
    this.#calls.delete(ctx.id);
    ctx.audio?.stop();
    ctx.sampler?.stop();
    if (this.#state.getCall(ctx.id)) {
      const answered = this.#state.getCall(ctx.id)?.answeredAt !== undefined;
      // A far end's BYE and our own hangup name their cause; an answered call that ends without one was
      // ended by the SIP stack itself (no ACK to our answer, an answer to a re-INVITE it could not
      // apply): it failed, the far end did not hang up.
      const fallback: EndCause = ctx.session instanceof Invitation && !answered ? 'no-answer' : 'failed';
      last = ctx.final = this.#state.moveCall(ctx.id, CallState.Ended, { endCause: ctx.endCause ?? fallback });
    }
    if (this.#reconfigurePending && this.#calls.size === 0) {
      // After the current callback (which may be the connection's own loss handling) has run.
      setTimeout(() => {
        if (this.#reconfigurePending && this.#calls.size === 0 && !this.#disposed) this.#reconnectWithNewConfig();
      }, 0);
    }
    return last;
  }

  /** Ends every call at once (connection lost, unregister, dispose). */
  #endAll(cause: EndCause): void {
    for (const ctx of [...this.#calls.values()]) this.#endOne(ctx, cause);
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
