/**
 * What every call's session reports, from INVITE to its end: the session delegate (ACK, BYE, REFER,
 * the far end's re-INVITEs, the media handler) and its state changes, turned into call moves; the
 * quality sampler of an established call; a parked call that came back.
 */
import { Invitation, Inviter, SessionState, Web, type Referral, type SessionDescriptionHandler } from 'sip.js';
import type { IncomingReferRequest } from 'sip.js/lib/core/index.js';
import { DEFAULT_THRESHOLDS } from '../core/call-quality.js';
import type { EngineConfig } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState } from '../core/types.js';
import { logger } from '../logger.js';
import { peerConnectionOf, type CallContext } from './call-record.js';
import type { CallTable } from './call-table.js';
import { CallAudio } from './media.js';
import { QualitySampler } from './quality-sampler.js';
import { remoteHoldIn } from './transfer.js';

/** What the rest of the engine does with a watched call. */
export interface WatchHooks {
  /** The call's peer connection exists: watch its media path. */
  watchMedia(ctx: CallContext, pc: RTCPeerConnection): void;
  /** The call is established and sampled: watch its microphone. */
  watchMicrophone(ctx: CallContext): void;
  /** The far end asks us (REFER) to call someone else. */
  followRefer(ctx: CallContext, referral: Referral): void;
}

/** Drops a slot from the parked list (its call was retrieved here or came back). */
export function unpark(state: PhoneState, slot: string): void {
  if (state.parked.some((p) => p.slot === slot)) state.setParked(state.parked.filter((p) => p.slot !== slot));
}

export class CallWatcher {
  readonly #calls: CallTable;
  readonly #state: PhoneState;
  readonly #config: () => EngineConfig | undefined;
  readonly #hooks: WatchHooks;

  constructor(calls: CallTable, state: PhoneState, config: () => EngineConfig | undefined, hooks: WatchHooks) {
    this.#calls = calls;
    this.#state = state;
    this.#config = config;
    this.#hooks = hooks;
  }

  watch(ctx: CallContext): void {
    const session = ctx.session;
    ctx.ua = session.userAgent;
    let confirm: (() => void) | undefined;
    if (session instanceof Invitation) ctx.confirmed = new Promise<void>((resolve) => (confirm = resolve));
    else acceptEarlyRefer(session);
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
      onRefer: (referral: Referral) => this.#hooks.followRefer(ctx, referral),
      onInvite: (request, _response, statusCode) => {
        // A re-INVITE from the far end: sendonly/inactive means it put us on hold. A session
        // refresh (same direction, or no SDP) changes nothing, so it must not fire an event.
        if (statusCode !== 200 || ctx.ended) return;
        // The caller refreshed the dialog after a loss: ours follows once its ACK is in (see CallRecovery).
        if (ctx.farEndRefreshed) setTimeout(() => ctx.farEndRefreshed?.(), 0);
        const remoteHeld = remoteHoldIn(request.body);
        if (remoteHeld !== undefined && (this.#state.getCall(ctx.id)?.remoteHeld ?? false) !== remoteHeld) this.#state.patchCall(ctx.id, { remoteHeld });
      },
      onSessionDescriptionHandler: (sdh: SessionDescriptionHandler) => {
        if (ctx.audio || !(sdh instanceof Web.SessionDescriptionHandler)) return;
        if (sdh.peerConnection) this.#hooks.watchMedia(ctx, sdh.peerConnection);
        ctx.audio = new CallAudio(sdh.remoteMediaStream, this.#config()?.speaker, (error) =>
          logger.warn('remote audio blocked until a user gesture:', error),
        );
      },
    };
    session.stateChange.addListener((next) => {
      if (next === SessionState.Established || next === SessionState.Terminated) clearTimeout(ctx.noAnswerTimer);
      if (next === SessionState.Established) {
        this.#calls.move(ctx, CallState.Established);
        this.#startSampler(ctx);
        // our own call to a slot we parked in: the call is back with us
        if (ctx.session instanceof Inviter) unpark(this.#state, ctx.session.remoteIdentity.uri.user ?? '');
      }
      // SIP.js terminates the session before it hands us the final response that says why.
      else if (next === SessionState.Terminated) {
        confirm?.();
        queueMicrotask(() => this.#calls.finish(ctx));
      }
    });
  }

  /** Quality figures and warnings of an established call, into its snapshot, about once a second. */
  #startSampler(ctx: CallContext): void {
    if (ctx.sampler || ctx.ended || this.#config()?.qualitySampling === false) return;
    ctx.sampler = new QualitySampler({
      peerConnection: () => peerConnectionOf(ctx.session),
      context: () => {
        const info = this.#state.getCall(ctx.id);
        return { held: !!info && (info.held || !!info.remoteHeld), muted: !!info?.muted };
      },
      thresholds: () => this.#config()?.qualityThresholds ?? DEFAULT_THRESHOLDS,
      onUpdate: (update) => {
        if (!ctx.ended) this.#state.setQuality(ctx.id, update.quality, update.warnings);
      },
    });
    ctx.sampler.start();
    this.#hooks.watchMicrophone(ctx);
  }
}

/**
 * A REFER that reaches a call we placed while SIP.js is still applying the answer (the referrer
 * sent it right after its 200, before our ACK) would be dropped without a reply by SIP.js, and the
 * transfer would hang until a timer fails it. It is taken up once the call is established
 * (or refused with 481 if the call ends first).
 */
function acceptEarlyRefer(session: Inviter): void {
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
