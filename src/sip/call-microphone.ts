/**
 * Microphone fallback: a microphone that disappears mid-call (unplugged, or ended by the system) is
 * replaced by the default one, so the far end keeps hearing the agent. Chromium ends the track
 * (`ended`); the `devicechange` check also catches a track that ended without telling.
 */
import { Web } from 'sip.js';
import type { PhoneState } from '../core/phone-state.js';
import { logger } from '../logger.js';
import { audioSenders, type CallContext } from './call-record.js';
import type { CallTable } from './call-table.js';

export class MicrophoneFallback {
  readonly #calls: CallTable;
  readonly #state: PhoneState;
  #deviceWatch: (() => void) | undefined;

  constructor(calls: CallTable, state: PhoneState) {
    this.#calls = calls;
    this.#state = state;
  }

  /** Watches the microphone track of an established call (and, once, the device list). */
  watch(ctx: CallContext): void {
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

  dispose(): void {
    this.#deviceWatch?.();
    this.#deviceWatch = undefined;
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
      this.#calls.applyTrackState(ctx);
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
}
