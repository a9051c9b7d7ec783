/**
 * In-call controls: hold and resume (a re-INVITE with `a=sendonly`), holding every other call when
 * one becomes the active one, mute, and DTMF (RFC 4733 events in the RTP stream).
 */
import type { EngineConfig } from '../core/engine.js';
import { parseDtmf } from '../core/guards.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { audioSenders, confirmedByFarEnd, mediaOptions, type CallContext, type SessionDescriptionHandlerOptions } from './call-record.js';
import type { CallTable } from './call-table.js';

const DTMF_DURATION_MS = 100;
const DTMF_GAP_MS = 70;

/** Operations that need the far end wait until a reconnecting call is back. */
export function requireReachable(ctx: CallContext, what: string): void {
  if (ctx.reconnecting) {
    throw new SoftPhoneError('CALL_FAILED', `call ${ctx.id} is reconnecting (${ctx.reconnecting} lost): cannot ${what} until it is back`);
  }
}

export class CallControls {
  readonly #calls: CallTable;
  readonly #state: PhoneState;
  readonly #config: () => EngineConfig | undefined;

  constructor(calls: CallTable, state: PhoneState, config: () => EngineConfig | undefined) {
    this.#calls = calls;
    this.#state = state;
    this.#config = config;
  }

  async setHeld(ctx: CallContext, held: boolean): Promise<void> {
    const current = this.#calls.info(ctx);
    if (current.state === (held ? CallState.Held : CallState.Established)) return;
    if (current.state !== (held ? CallState.Established : CallState.Held)) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${ctx.id} is ${current.state}: cannot ${held ? 'hold' : 'resume'} it`);
    }
    requireReachable(ctx, held ? 'hold' : 'resume');
    const session = ctx.session;
    await confirmedByFarEnd(ctx);
    await new Promise<void>((resolve, reject) => {
      session
        .invite({
          sessionDescriptionHandlerOptions: { ...mediaOptions(this.#config()), hold: held } as SessionDescriptionHandlerOptions,
          requestDelegate: {
            onAccept: () => {
              // A re-INVITE from the far end is answered in the same direction.
              session.sessionDescriptionHandlerOptionsReInvite = { ...mediaOptions(this.#config()), hold: held } as SessionDescriptionHandlerOptions;
              this.#calls.move(ctx, held ? CallState.Held : CallState.Established);
              this.#calls.applyTrackState(ctx);
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

  /** Holds every established call but those in `except` (another call is about to become the active one). */
  async holdOthers(except: readonly string[]): Promise<void> {
    for (const other of this.#calls.values()) {
      if (except.includes(other.id) || other.ended) continue;
      if (this.#state.getCall(other.id)?.state === CallState.Established) {
        await this.setHeld(other, true).catch((error: unknown) => logger.warn('could not hold the other call:', error));
      }
    }
  }

  setMuted(ctx: CallContext, muted: boolean): void {
    this.#state.patchCall(ctx.id, { muted });
    this.#calls.applyTrackState(ctx);
  }

  sendDtmf(callId: string, digits: string): void {
    digits = parseDtmf(digits);
    const ctx = this.#calls.require(callId);
    const state = this.#calls.info(ctx).state;
    if (state !== CallState.Established && state !== CallState.EarlyMedia) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${ctx.id} is ${state}: no media to send DTMF on`);
    }
    requireReachable(ctx, 'send DTMF');
    const dtmf = audioSenders(ctx.session).find((s) => s.dtmf)?.dtmf;
    if (!dtmf || !dtmf.canInsertDTMF) throw new SoftPhoneError('CALL_FAILED', `call ${ctx.id} cannot send DTMF (no telephone-event)`);
    // RFC 4733 events in the RTP stream; queued after any digits still playing.
    dtmf.insertDTMF(dtmf.toneBuffer + digits.toUpperCase(), DTMF_DURATION_MS, DTMF_GAP_MS);
  }
}
