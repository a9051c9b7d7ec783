/**
 * The engine's live calls by id, and the moves every part of the engine makes on them: look one
 * up, move it in the `PhoneState`, apply mute/hold to its microphone, and end it (once), releasing
 * its timers and audio.
 */
import { Invitation, SessionState } from 'sip.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState, type CallInfo, type EndCause } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { audioSenders, type CallContext } from './call-record.js';

export class CallTable {
  readonly #calls = new Map<string, CallContext>();
  readonly #state: PhoneState;
  readonly #onEmpty: () => void;

  /** `onEmpty` runs each time a call ends and none is left. */
  constructor(state: PhoneState, onEmpty: () => void) {
    this.#state = state;
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#calls.size;
  }

  /** The live calls (a live view: copy it before ending calls while going through it). */
  values(): MapIterator<CallContext> {
    return this.#calls.values();
  }

  get(callId: string): CallContext | undefined {
    return this.#calls.get(callId);
  }

  add(ctx: CallContext): void {
    this.#calls.set(ctx.id, ctx);
  }

  require(callId: string): CallContext {
    const ctx = this.#calls.get(callId);
    if (!ctx) throw new SoftPhoneError('NO_SUCH_CALL', `no call with id ${String(callId)}`);
    return ctx;
  }

  info(ctx: CallContext): CallInfo {
    const info = this.#state.getCall(ctx.id);
    if (!info) throw new SoftPhoneError('NO_SUCH_CALL', `call ${ctx.id} has ended`);
    return info;
  }

  move(ctx: CallContext, to: CallState): void {
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

  /** The microphone is sent only on a call that is neither muted nor held. */
  applyTrackState(ctx: CallContext): void {
    const info = this.#state.getCall(ctx.id);
    if (!info) return;
    for (const sender of audioSenders(ctx.session)) {
      if (sender.track) sender.track.enabled = !info.muted && !info.held;
    }
  }

  /** Ends the call in the state (once), releases its audio; returns the final snapshot. */
  finish(ctx: CallContext): CallInfo | undefined {
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
    if (this.#calls.size === 0) this.#onEmpty();
    return last;
  }

  /** Ends one call now: a dialog we cannot use any more is dropped without waiting on the network. */
  endOne(ctx: CallContext, cause: EndCause): void {
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
    this.finish(ctx);
  }

  /** Ends every call at once (connection lost, unregister, dispose). */
  endAll(cause: EndCause): void {
    for (const ctx of [...this.#calls.values()]) this.endOne(ctx, cause);
  }

  /** Ends a call that was handed over: hangs up our leg if the far end has not, returns the last snapshot. */
  handOver(ctx: CallContext, cause: EndCause): CallInfo | undefined {
    ctx.endCause = cause;
    const session = ctx.session;
    if (session.state === SessionState.Established) session.bye().catch((error: unknown) => logger.debug('BYE not sent:', error));
    return this.finish(ctx);
  }
}
