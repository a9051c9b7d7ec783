/**
 * Placing a call: the INVITE of a new `Inviter` (one the agent dialed, or one a transfer asked us
 * to make), its progress (ringing, early media), the no-answer timeout, and why it failed.
 */
import { SessionState, type Inviter } from 'sip.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState, type CallInfo } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { endCauseForStatus, isMediaDenied, newCallId, type CallContext } from './call-record.js';
import type { CallTable } from './call-table.js';
import { isEarlyMediaProgress } from './session-timer.js';

/** An outbound call nobody answers is given up after this long (end cause no-answer). */
const NO_ANSWER_TIMEOUT_MS = 60_000;

export class CallDialer {
  readonly #calls: CallTable;
  readonly #state: PhoneState;
  readonly #watch: (ctx: CallContext) => void;

  constructor(calls: CallTable, state: PhoneState, watch: (ctx: CallContext) => void) {
    this.#calls = calls;
    this.#state = state;
    this.#watch = watch;
  }

  /** Places the call `inviter` stands for; resolves once the INVITE is out (the call shows dialing). */
  async dial(inviter: Inviter, what: string, call: Pick<CallInfo, 'remote' | 'transferredBy'>): Promise<CallInfo> {
    const ctx: CallContext = { id: newCallId(), session: inviter, ended: false };
    this.#calls.add(ctx);
    this.#state.addCall({ id: ctx.id, direction: 'outbound', state: CallState.Dialing, ...call });
    this.#watch(ctx);
    ctx.noAnswerTimer = setTimeout(() => {
      if (inviter.state !== SessionState.Initial && inviter.state !== SessionState.Establishing) return;
      ctx.endCause ??= 'no-answer';
      inviter.cancel().catch(() => this.#calls.finish(ctx));
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
            this.#calls.move(ctx, early ? CallState.EarlyMedia : CallState.Ringing);
          },
          onReject: (response) => {
            ctx.endCause ??= endCauseForStatus(response.message.statusCode ?? 0);
          },
        },
      });
    } catch (error) {
      const denied = isMediaDenied(error);
      ctx.endCause ??= 'failed';
      this.#calls.finish(ctx);
      throw new SoftPhoneError(
        denied ? 'MEDIA_DENIED' : 'CALL_FAILED',
        denied ? 'microphone access was denied' : `call to ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return this.#calls.info(ctx);
  }
}
