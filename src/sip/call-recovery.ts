/**
 * Calls through network trouble. An established call outlives a lost signaling connection or media
 * path: it shows `reconnecting` while its audio goes on, a re-INVITE over the current connection
 * (with an ICE restart when the media path is in doubt) gives the far end our new route, and the call
 * is `reconnected` once that worked, or ends with `connection-lost` after `callRecovery` seconds.
 * Also the media watchdog (ICE state, incoming packets) and the BYEs of calls hung up while away.
 */
import { Invitation, SessionState, type Session, type UserAgent } from 'sip.js';
import type { EngineConfig } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState, RegistrationState, type ReconnectReason } from '../core/types.js';
import { logger } from '../logger.js';
import { iceBroken, isUp, mediaOptions, peerConnectionOf, type CallContext, type SessionDescriptionHandlerOptions } from './call-record.js';
import type { CallTable } from './call-table.js';

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

/** What recovery reads of the connection: the UserAgent now in use and the configuration. */
export interface ConnectionView {
  readonly userAgent: UserAgent | undefined;
  readonly config: EngineConfig | undefined;
}

export class CallRecovery {
  readonly #calls: CallTable;
  readonly #state: PhoneState;
  readonly #connection: ConnectionView;
  /** Calls hung up while their signaling was lost: the BYE goes out once the connection is back. */
  readonly #pendingByes = new Set<Session>();

  constructor(calls: CallTable, state: PhoneState, connection: ConnectionView) {
    this.#calls = calls;
    this.#state = state;
    this.#connection = connection;
    if (typeof window !== 'undefined') {
      window.addEventListener('offline', this.#onOffline);
      window.addEventListener('online', this.#onOnline);
    }
  }

  /** Stops listening to the browser and drops the BYEs still waiting for a connection. */
  dispose(): void {
    if (typeof window !== 'undefined') {
      window.removeEventListener('offline', this.#onOffline);
      window.removeEventListener('online', this.#onOnline);
    }
    for (const session of this.#pendingByes) void session.dispose().catch(() => undefined);
    this.#pendingByes.clear();
  }

  readonly #onOffline = (): void => {
    for (const ctx of this.#calls.values()) if (isUp(ctx)) this.#startReconnecting(ctx, 'media');
  };

  /** Back online (maybe on another network): every call restarts ICE now rather than on ICE's timers. */
  readonly #onOnline = (): void => {
    for (const ctx of this.#calls.values()) {
      if (!isUp(ctx)) continue;
      this.#startReconnecting(ctx, ctx.reconnecting ?? 'media');
      this.#refreshDialog(ctx);
    }
  };

  /** Some call waits for the connection to come back. */
  callsWaiting(): boolean {
    return [...this.#calls.values()].some((c) => c.reconnecting !== undefined);
  }

  signalingLost(): void {
    for (const ctx of [...this.#calls.values()]) {
      if (isUp(ctx)) this.#startReconnecting(ctx, 'signaling');
      else this.#calls.endOne(ctx, 'connection-lost');
    }
  }

  signalingBack(ua: UserAgent): void {
    for (const session of [...this.#pendingByes]) {
      this.#pendingByes.delete(session);
      const bye = session.userAgent === ua && session.state === SessionState.Established ? session.bye() : session.dispose();
      bye.catch((error: unknown) => logger.debug('late BYE not sent:', error));
    }
    for (const ctx of [...this.#calls.values()]) {
      if (ctx.ua && ctx.ua !== ua) {
        // Failed over to another server: the dialog's route goes through the one we left.
        this.#calls.endOne(ctx, 'connection-lost');
      } else if (ctx.reconnecting || iceBroken(ctx)) {
        this.#startReconnecting(ctx, ctx.reconnecting ?? 'media');
        this.#refreshDialog(ctx);
      }
    }
  }

  /**
   * Hangs up a call whose signaling is lost: it is over at once here, and the far end hears the BYE
   * when the connection is back. False when the call's signaling is up (hang up as usual).
   */
  hangUpWhileAway(ctx: CallContext): boolean {
    const session = ctx.session;
    if (!(ctx.reconnecting && session.state === SessionState.Established && !this.#signalingUp(ctx))) return false;
    releaseMedia(session);
    this.#pendingByes.add(session);
    this.#calls.finish(ctx);
    return true;
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
      this.#calls.endOne(ctx, 'connection-lost');
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
    const iceRestart = ctx.reconnecting === 'media' || iceBroken(ctx);
    if (iceRestart) ctx.reconnecting = 'media';
    ctx.refreshing = true;
    clearTimeout(ctx.retryTimer);
    const retry = (): void => {
      ctx.refreshing = false;
      if (ctx.ended) return;
      ctx.retryTimer = setTimeout(() => this.#refreshDialog(ctx, true), REFRESH_RETRY_MS * (0.5 + Math.random()));
    };
    const options = { ...mediaOptions(this.#connection.config), hold: held, ...(iceRestart ? { offerOptions: { iceRestart: true } } : {}) };
    try {
      session
        .invite({
          sessionDescriptionHandlerOptions: options as SessionDescriptionHandlerOptions,
          requestDelegate: {
            onAccept: () => {
              ctx.refreshing = false;
              this.#calls.applyTrackState(ctx);
              // After an ICE restart on a broken path, the call is back once audio arrives again.
              if (iceRestart && (iceBroken(ctx) || (ctx.stalled ?? 0) > 0)) ctx.iceRestarted = true;
              else this.#recovered(ctx);
            },
            onReject: (response) => {
              const code = response.message.statusCode ?? 0;
              if (code === 481) {
                // The far end has no such call any more: it hung up while we were away.
                ctx.refreshing = false;
                this.#calls.endOne(ctx, 'remote-hangup');
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
  watchMedia(ctx: CallContext, pc: RTCPeerConnection): void {
    pc.addEventListener('iceconnectionstatechange', () => {
      const ice = pc.iceConnectionState;
      if ((ice === 'disconnected' || ice === 'failed') && isUp(ctx)) this.#mediaLost(ctx);
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
        if (!flowing && expectsAudio && !ctx.reconnecting && !ctx.quietFarEnd && (ctx.stalled ?? 0) >= MEDIA_STALL_CHECKS && isUp(ctx)) this.#mediaLost(ctx);
      }, () => undefined);
    }, MEDIA_CHECK_MS);
  }

  #mediaLost(ctx: CallContext): void {
    this.#startReconnecting(ctx, 'media');
    this.#refreshDialog(ctx);
  }
}

/** Closes a call's peer connection and stops its microphone, leaving its dialog for a late BYE. */
function releaseMedia(session: Session): void {
  const pc = peerConnectionOf(session);
  for (const sender of pc?.getSenders() ?? []) sender.track?.stop();
  pc?.close();
}
