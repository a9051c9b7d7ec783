/**
 * Ringtone, ringback and call-waiting tones synthesized with Web Audio (no sound files to ship).
 * A tone is a cadence of bursts repeated every `period` seconds; each period is scheduled on the
 * audio clock, so timer jitter never distorts the rhythm.
 */
export type ToneKind = 'ringtone' | 'ringback' | 'call-waiting';

interface Cadence {
  /** Frequencies mixed in each burst, Hz. */
  freqs: readonly number[];
  /** [start, duration] of each burst inside one period, seconds. */
  bursts: readonly (readonly [number, number])[];
  period: number;
  gain: number;
}

const CADENCES: Readonly<Record<ToneKind, Cadence>> = {
  ringtone: { freqs: [440, 480], bursts: [[0, 0.4], [0.6, 0.4]], period: 3, gain: 0.18 },
  ringback: { freqs: [425], bursts: [[0, 1]], period: 4, gain: 0.12 },
  'call-waiting': { freqs: [440], bursts: [[0, 0.2], [0.4, 0.2]], period: 5, gain: 0.1 },
};

type SinkContext = AudioContext & { setSinkId?: (id: string) => Promise<void> };

/**
 * One AudioContext for every phone in the page that rings on the default output: starting one
 * costs milliseconds of main thread and an audio thread, and a page of many phones needs one.
 * Closed when its last user lets go. A phone that rings on another device has its own context.
 */
let sharedCtx: SinkContext | undefined;
const sharedUsers = new Map<TonePlayer, () => void>();

export class TonePlayer {
  #ctx: SinkContext | undefined;
  #out: GainNode | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #kind: ToneKind | undefined;
  #sinks = { ring: '', speaker: '' };
  #sink = '';
  /** Called whenever `kind` or `blocked` may have changed. */
  readonly #onchange: () => void;

  constructor(onchange: () => void = () => undefined) {
    this.#onchange = onchange;
  }

  /** The tone playing now, if any. */
  get kind(): ToneKind | undefined {
    return this.#kind;
  }

  /** True while a tone should sound but the browser keeps audio suspended until a user gesture. */
  get blocked(): boolean {
    return this.#kind !== undefined && this.#ctx !== undefined && this.#ctx.state === 'suspended';
  }

  /** Output devices: `ring` for the ringtone, `speaker` for in-call tones ('' = default). */
  setSinks(ring: string, speaker: string): void {
    this.#sinks = { ring, speaker };
  }

  /**
   * Starts the audio context for the ringtone on `ringer` ahead of the first tone, so the first
   * ring does not pay for it. Opens the speaker, never the microphone.
   */
  warm(ringer: string): void {
    this.#context(ringer);
  }

  play(kind: ToneKind): void {
    if (this.#kind === kind) return;
    this.stop();
    const sink = kind === 'ringtone' ? this.#sinks.ring : this.#sinks.speaker;
    const ctx = this.#context(sink);
    if (!ctx) return;
    this.#kind = kind;
    if (sink !== this.#sink && ctx.setSinkId) {
      this.#sink = sink;
      ctx.setSinkId(sink).catch(() => undefined);
    }
    if (ctx.state === 'suspended') ctx.resume().catch(() => undefined);
    const out = ctx.createGain();
    out.connect(ctx.destination);
    this.#out = out;
    const cadence = CADENCES[kind];
    let at = ctx.currentTime + 0.05;
    const cycle = (): void => {
      this.#schedule(ctx, out, cadence, at);
      at += cadence.period;
      // Schedule the next period a little before it starts.
      this.#timer = setTimeout(cycle, Math.max(0, (at - ctx.currentTime - 0.5) * 1000));
    };
    cycle();
    this.#onchange();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#out?.disconnect();
    this.#out = undefined;
    if (this.#kind !== undefined) {
      this.#kind = undefined;
      this.#onchange();
    }
  }

  /** Resumes audio from a user gesture (the "enable sound" button). */
  async unlock(): Promise<void> {
    await this.#context(this.#sinks.ring)?.resume();
    this.#onchange();
  }

  async dispose(): Promise<void> {
    this.stop();
    await this.#release();
  }

  /** Lets go of the context, and closes it unless other phones still use it. */
  async #release(): Promise<void> {
    const ctx = this.#ctx;
    this.#ctx = undefined;
    this.#sink = '';
    if (sharedUsers.delete(this)) {
      if (sharedUsers.size) return;
      sharedCtx = undefined;
    }
    await ctx?.close().catch(() => undefined);
  }

  /** The context to play on `sink` ('' = default output): the shared one unless a device is chosen. */
  #context(sink: string): SinkContext | undefined {
    // The shared context cannot follow one phone's device choice: a phone that chose a device
    // moves to a context of its own for as long as it lives.
    if (this.#ctx && !(sink && sharedUsers.has(this))) return this.#ctx;
    if (typeof AudioContext === 'undefined') return undefined;
    void this.#release();
    if (sink) {
      const ctx: SinkContext = new AudioContext();
      ctx.onstatechange = () => this.#onchange();
      return (this.#ctx = ctx);
    }
    if (!sharedCtx) {
      sharedCtx = new AudioContext();
      sharedCtx.onstatechange = () => sharedUsers.forEach((notify) => notify());
    }
    sharedUsers.set(this, this.#onchange);
    return (this.#ctx = sharedCtx);
  }

  #schedule(ctx: AudioContext, out: GainNode, cadence: Cadence, at: number): void {
    for (const [start, duration] of cadence.bursts) {
      const t0 = at + start;
      const t1 = t0 + duration;
      const env = ctx.createGain();
      // Short ramps avoid clicks at the edges of each burst.
      env.gain.setValueAtTime(0, t0);
      env.gain.linearRampToValueAtTime(cadence.gain, t0 + 0.02);
      env.gain.setValueAtTime(cadence.gain, t1 - 0.02);
      env.gain.linearRampToValueAtTime(0, t1);
      env.connect(out);
      for (const freq of cadence.freqs) {
        const osc = ctx.createOscillator();
        osc.frequency.value = freq;
        osc.connect(env);
        osc.start(t0);
        osc.stop(t1);
        osc.onended = () => env.disconnect();
      }
    }
  }
}
