/**
 * Call quality, the pure part: an E-model MOS estimate, the figures of the last few seconds from
 * cumulative WebRTC counters, and warnings with hysteresis. No DOM, no WebRTC: the sampler in
 * `src/sip/quality-sampler.ts` feeds it plain numbers read from `getStats()`.
 *
 * ```
 *  sample (about 1/s) --> window (last 5 s) --> figures (mos, rtt, jitter, loss, levels)
 *                                                  |
 *          condition holds for `startSamples` --> warning starts
 *          condition clear for `endSamples`   --> warning ends
 * ```
 */
import { SoftPhoneError } from '../errors.js';

export const QualityWarning = {
  HighRtt: 'high-rtt',
  HighJitter: 'high-jitter',
  HighPacketLoss: 'high-packet-loss',
  LowMos: 'low-mos',
  NoAudioIn: 'no-audio-in',
  NoAudioOut: 'no-audio-out',
} as const;
export type QualityWarning = (typeof QualityWarning)[keyof typeof QualityWarning];
export const QUALITY_WARNINGS: readonly QualityWarning[] = Object.values(QualityWarning);

/** `CallInfo.quality`: the latest figures of an established call. */
export interface CallQuality {
  /** E-model estimate, 1 (bad) to 4.5 (best a narrowband call can get). */
  mos: number;
  /** Round-trip time, ms. */
  rttMs: number;
  /** Jitter, ms (the worse of what we receive and what the far end reports for what we send). */
  jitterMs: number;
  /** Packets lost on the way to us, % over the last 5 s. */
  lossPct: number;
  /** Packets we sent that the far end reported lost, % over the last 5 s. */
  lossPctOut: number;
  /** Far end's audio as we receive it, 0..1 (RMS over the last second). */
  audioLevelIn: number;
  /** Our microphone as sent, 0..1 (RMS over the last second). */
  audioLevelOut: number;
}

/** The quality kept with a call in the history and carried by `softphone-call-ended`. */
export interface QualitySummary {
  mosAvg: number;
  mosMin: number;
  /** Every warning the call had, in the order they first started. */
  warnings: QualityWarning[];
}

/** When a warning starts and ends. Every field may be overridden (`qualityThresholds`). */
export interface QualityThresholds {
  /** `high-rtt` above this round-trip time, ms. */
  rttMs: number;
  /** `high-jitter` above this jitter, ms. */
  jitterMs: number;
  /** `high-packet-loss` above this loss in either direction, %. */
  lossPct: number;
  /** `low-mos` below this MOS. */
  mos: number;
  /** `no-audio-in` / `no-audio-out` after this many seconds of silence or no packets. */
  silenceSeconds: number;
  /** A warning starts after its condition held for this many samples in a row. */
  startSamples: number;
  /** A warning ends after its condition was clear for this many samples in a row. */
  endSamples: number;
}

export const DEFAULT_THRESHOLDS: Readonly<QualityThresholds> = Object.freeze({
  rttMs: 400,
  jitterMs: 30,
  lossPct: 3,
  mos: 3.5,
  silenceSeconds: 5,
  startSamples: 3,
  endSamples: 3,
});

/** Loss and jitter are taken over this window, so a warning clears soon after its cause is gone. */
export const WINDOW_MS = 5000;
/**
 * Below this RMS level (about -70 dBFS) audio is silence: a real microphone's noise floor is well
 * above it, a muted, unplugged or ended device (or a far end sending nothing) is below.
 */
export const SILENCE_LEVEL = 0.0003;

/**
 * Checks and completes a thresholds override; unknown keys and bad values are `INVALID_CONFIG`
 * naming them.
 */
export function parseThresholds(value: unknown): QualityThresholds {
  if (value === undefined || value === null) return { ...DEFAULT_THRESHOLDS };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SoftPhoneError('INVALID_CONFIG', `qualityThresholds ${JSON.stringify(value)} is not an object`);
  }
  const result: QualityThresholds = { ...DEFAULT_THRESHOLDS };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in DEFAULT_THRESHOLDS)) {
      throw new SoftPhoneError('INVALID_CONFIG', `qualityThresholds.${key} is not a threshold (${Object.keys(DEFAULT_THRESHOLDS).join(', ')})`);
    }
    const whole = key === 'startSamples' || key === 'endSamples';
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (whole && (!Number.isInteger(v) || v < 1))) {
      throw new SoftPhoneError('INVALID_CONFIG', `qualityThresholds.${key} ${JSON.stringify(v)} is not ${whole ? 'a whole number of 1 or more' : 'a number of 0 or more'}`);
    }
    result[key as keyof QualityThresholds] = v;
  }
  return result;
}

// ---- The E-model ---------------------------------------------------------------------------------
//
// ITU-T Recommendation G.107 (06/2015) "The E-model: a computational model for use in transmission
// planning". With every default value of its Table 2, R = R0 - Is = 93.2; what is left to vary on a
// VoIP call is the delay impairment Id and the effective equipment impairment Ie-eff:
//   R = 93.2 - Idd(Ta) - Ie-eff
// - Idd (G.107 §7.4, eq. 7-28): 0 for Ta <= 100 ms, else with X = log2(Ta / 100)
//   Idd = 25 * { (1 + X^6)^(1/6) - 3 * (1 + (X/3)^6)^(1/6) + 2 }.
//   (Idte and Idle, the echo terms, are left at their default-path values, which are part of 93.2.)
// - Ie-eff (G.107 §7.5, eq. 7-29): Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl), BurstR = 1 (random loss).
// - R to MOS (G.107 Annex B, eq. B-4): 1 for R < 0, 4.5 for R > 100, else
//   1 + 0.035 R + R (R - 60) (100 - R) * 7e-6.

export interface CodecImpairment {
  /** Equipment impairment factor without loss. */
  ie: number;
  /** Packet-loss robustness factor. */
  bpl: number;
}

/**
 * Ie and Bpl per codec.
 * - G.711 (PCMU/PCMA): ITU-T G.113 (11/2007) Appendix I, Table I.3: Ie 0, Bpl 25.1 with packet loss
 *   concealment (the browser's receiver always conceals loss).
 * - Opus: ITU-T publishes no figures. At the rates WebRTC uses Opus is at least as good as G.711 on
 *   the narrowband scale, so Ie 0; its concealment is at least as good as G.711 Appendix I, so the
 *   same Bpl, which keeps the estimate on the safe (lower) side.
 */
export const CODEC_IMPAIRMENT: Readonly<Record<'opus' | 'pcmu' | 'pcma' | 'other', CodecImpairment>> = Object.freeze({
  opus: { ie: 0, bpl: 25.1 },
  pcmu: { ie: 0, bpl: 25.1 },
  pcma: { ie: 0, bpl: 25.1 },
  // an unknown codec: G.711 without concealment (G.113 Appendix I: Bpl 4.3)
  other: { ie: 0, bpl: 4.3 },
});

export function codecImpairment(mimeType: string | undefined): CodecImpairment {
  const name = (mimeType ?? '').toLowerCase().replace(/^audio\//, '');
  return name === 'opus' || name === 'pcmu' || name === 'pcma' ? CODEC_IMPAIRMENT[name] : CODEC_IMPAIRMENT.other;
}

/** R with every G.107 default (no delay, no loss, Ie 0). */
export const R_DEFAULT = 93.2;

/** G.107 delay impairment Idd for a mean one-way delay Ta (ms). */
export function delayImpairment(oneWayMs: number): number {
  if (!(oneWayMs > 100)) return 0;
  const x = Math.log2(oneWayMs / 100);
  return 25 * (Math.pow(1 + Math.pow(x, 6), 1 / 6) - 3 * Math.pow(1 + Math.pow(x / 3, 6), 1 / 6) + 2);
}

/** G.107 effective equipment impairment for random packet loss `lossPct` (%). */
export function lossImpairment(lossPct: number, codec: CodecImpairment = CODEC_IMPAIRMENT.opus): number {
  const ppl = Math.min(100, Math.max(0, lossPct));
  return codec.ie + ((95 - codec.ie) * ppl) / (ppl + codec.bpl);
}

/** The transmission rating R for a call. */
export function rFactor(oneWayMs: number, lossPct: number, codec: CodecImpairment = CODEC_IMPAIRMENT.opus): number {
  return R_DEFAULT - delayImpairment(oneWayMs) - lossImpairment(lossPct, codec);
}

/** G.107 Annex B: the MOS (conversational quality, estimated) for a rating R. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  // The polynomial dips just under 1 for R below about 6.5: held at 1, so MOS never falls as R rises.
  return Math.max(1, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

/** Codec frame plus the encoder's look-ahead, ms: part of the mouth-to-ear delay. */
const CODEC_DELAY_MS = 25;

/**
 * Mean one-way (mouth-to-ear) delay: half the round trip, what the receiver's jitter buffer holds
 * back (twice the jitter when the buffer's own figure is not known) and the codec's frame.
 */
export function oneWayDelay(rttMs: number, jitterMs: number, jitterBufferMs?: number): number {
  return rttMs / 2 + (jitterBufferMs ?? 2 * jitterMs) + CODEC_DELAY_MS;
}

/** The MOS estimate of a call; `lossPct` is the worse direction's. Rounded to 2 decimals. */
export function estimateMos(input: { rttMs: number; jitterMs: number; lossPct: number; jitterBufferMs?: number; codec?: CodecImpairment }): number {
  const r = rFactor(oneWayDelay(input.rttMs, input.jitterMs, input.jitterBufferMs), input.lossPct, input.codec);
  return Math.round(mosFromR(r) * 100) / 100;
}

// ---- Samples and the window ----------------------------------------------------------------------

/** What one `getStats()` gives, as plain numbers (cumulative counters as WebRTC counts them). */
export interface QualitySample {
  /** ms, any monotonic clock. */
  at: number;
  /** inbound-rtp */
  packetsReceived: number;
  packetsLost: number;
  /** inbound-rtp jitter, seconds. */
  jitter: number;
  /** inbound-rtp totalAudioEnergy / totalSamplesDuration (cumulative). */
  energyIn: number;
  durationIn: number;
  /** inbound-rtp jitterBufferDelay / jitterBufferEmittedCount (cumulative), when known. */
  jitterBufferDelay?: number;
  jitterBufferEmitted?: number;
  /** outbound-rtp */
  packetsSent: number;
  /** remote-inbound-rtp: what the far end reports about our packets. */
  remotePacketsLost?: number;
  /** seconds */
  remoteJitter?: number;
  /** seconds: remote-inbound roundTripTime, else the candidate pair's currentRoundTripTime. */
  rtt?: number;
  /** media-source totalAudioEnergy / totalSamplesDuration (cumulative). */
  energyOut: number;
  durationOut: number;
  /** The receiving codec's mimeType, e.g. `audio/opus`. */
  codec?: string;
}

/** The call's state as far as quality goes: held calls expect no audio, muted ones send none. */
export interface QualityContext {
  held: boolean;
  muted: boolean;
}

const rms = (energy: number, duration: number): number => (duration > 0 && energy > 0 ? Math.sqrt(energy / duration) : 0);
const pct = (part: number, whole: number): number => (whole > 0 ? Math.min(100, Math.max(0, (100 * part) / whole)) : 0);
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The figures of a window of samples (oldest first, at least two). */
export function windowFigures(window: readonly QualitySample[]): CallQuality {
  const first = window[0]!;
  const last = window[window.length - 1]!;
  const prev = window[window.length - 2] ?? first;
  const received = last.packetsReceived - first.packetsReceived;
  const lost = Math.max(0, last.packetsLost - first.packetsLost);
  const lossPct = pct(lost, received + lost);
  const sent = last.packetsSent - first.packetsSent;
  const lostOut =
    last.remotePacketsLost !== undefined && first.remotePacketsLost !== undefined ? Math.max(0, last.remotePacketsLost - first.remotePacketsLost) : 0;
  const lossPctOut = pct(lostOut, sent);
  const jitterMs = 1000 * Math.max(mean(window.slice(1).map((s) => s.jitter)), mean(window.slice(1).map((s) => s.remoteJitter ?? 0)));
  const rtts = window.slice(1).flatMap((s) => (s.rtt === undefined ? [] : [s.rtt]));
  const rttMs = 1000 * mean(rtts);
  const emitted = (last.jitterBufferEmitted ?? 0) - (first.jitterBufferEmitted ?? 0);
  const jitterBufferMs = emitted > 0 ? (1000 * ((last.jitterBufferDelay ?? 0) - (first.jitterBufferDelay ?? 0))) / emitted : undefined;
  const mos = estimateMos({ rttMs, jitterMs, lossPct: Math.max(lossPct, lossPctOut), codec: codecImpairment(last.codec), ...(jitterBufferMs === undefined ? {} : { jitterBufferMs }) });
  return {
    mos,
    rttMs: Math.round(rttMs),
    jitterMs: round(jitterMs, 1),
    lossPct: round(lossPct, 1),
    lossPctOut: round(lossPctOut, 1),
    audioLevelIn: round(rms(last.energyIn - prev.energyIn, last.durationIn - prev.durationIn), 4),
    audioLevelOut: round(rms(last.energyOut - prev.energyOut, last.durationOut - prev.durationOut), 4),
  };
}

/** Over the whole span of `window`: no packets, or only silence (null: the window is too short to tell). */
function silentOver(window: readonly QualitySample[], seconds: number, side: 'in' | 'out'): boolean | null {
  const first = window[0]!;
  const last = window[window.length - 1]!;
  if (last.at - first.at < seconds * 1000 - 250) return null;
  const packets = side === 'in' ? last.packetsReceived - first.packetsReceived : last.packetsSent - first.packetsSent;
  if (packets <= 0) return true;
  const level =
    side === 'in' ? rms(last.energyIn - first.energyIn, last.durationIn - first.durationIn) : rms(last.energyOut - first.energyOut, last.durationOut - first.durationOut);
  return level < SILENCE_LEVEL;
}

export interface QualityUpdate {
  quality: CallQuality;
  /** Active warnings after this sample. */
  warnings: QualityWarning[];
  started: QualityWarning[];
  ended: QualityWarning[];
}

/**
 * One call's quality: give it a sample about once a second; it keeps the last `WINDOW_MS` (and
 * enough for the silence checks) and decides when warnings start and end.
 */
export class QualityMonitor {
  #samples: QualitySample[] = [];
  #active = new Set<QualityWarning>();
  /** Per warning: consecutive samples its condition held (> 0) or was clear (< 0). */
  #run = new Map<QualityWarning, number>();
  #thresholds: QualityThresholds;

  constructor(thresholds: QualityThresholds = DEFAULT_THRESHOLDS) {
    this.#thresholds = { ...thresholds };
  }

  set thresholds(value: QualityThresholds) {
    this.#thresholds = { ...value };
  }

  get warnings(): QualityWarning[] {
    return QUALITY_WARNINGS.filter((w) => this.#active.has(w));
  }

  /** Adds a sample; undefined until there are two samples to compare. */
  add(sample: QualitySample, context: QualityContext): QualityUpdate | undefined {
    const t = this.#thresholds;
    // Before the first packet arrives the counters say nothing, and what the receiver counts while
    // media starts (set-up losses) is not the call's quality: the window starts once packets flow.
    if (this.#samples.length === 0 && sample.packetsReceived === 0) return undefined;
    // A counter that went back (a new receiver after a re-INVITE) starts a new window.
    const prev = this.#samples[this.#samples.length - 1];
    if (prev && (sample.packetsReceived < prev.packetsReceived || sample.packetsSent < prev.packetsSent || sample.at <= prev.at)) this.#samples = [];
    this.#samples.push(sample);
    const keepMs = Math.max(WINDOW_MS, t.silenceSeconds * 1000) + 500;
    while (this.#samples.length > 2 && sample.at - this.#samples[1]!.at >= keepMs) this.#samples.shift();
    if (this.#samples.length < 2) return undefined;
    const lossWindow = this.#samples.filter((s) => sample.at - s.at <= WINDOW_MS + 250);
    const quality = windowFigures(lossWindow.length >= 2 ? lossWindow : this.#samples.slice(-2));
    const silence = this.#samples.filter((s) => sample.at - s.at <= t.silenceSeconds * 1000 + 250);
    const conditions: Record<QualityWarning, boolean | null> = {
      'high-rtt': quality.rttMs > t.rttMs,
      'high-jitter': quality.jitterMs > t.jitterMs,
      'high-packet-loss': Math.max(quality.lossPct, quality.lossPctOut) > t.lossPct,
      'low-mos': quality.mos < t.mos,
      // held either way: nobody expects audio; the silence check needs the whole span
      'no-audio-in': context.held ? false : silentOver(silence, t.silenceSeconds, 'in'),
      'no-audio-out': context.held || context.muted ? false : silentOver(silence, t.silenceSeconds, 'out'),
    };
    const started: QualityWarning[] = [];
    const ended: QualityWarning[] = [];
    for (const w of QUALITY_WARNINGS) {
      const holds = conditions[w];
      if (holds === null) continue;
      const run = this.#run.get(w) ?? 0;
      const next = holds ? Math.max(run, 0) + 1 : Math.min(run, 0) - 1;
      this.#run.set(w, next);
      // The silence warnings already waited `silenceSeconds`: they start on the first sample that says so.
      const need = w === 'no-audio-in' || w === 'no-audio-out' ? 1 : t.startSamples;
      if (!this.#active.has(w) && next >= need) {
        this.#active.add(w);
        started.push(w);
      } else if (this.#active.has(w) && -next >= t.endSamples) {
        this.#active.delete(w);
        ended.push(w);
      }
    }
    return { quality, warnings: this.warnings, started, ended };
  }
}

/** Adds up a call's quality for its history record. */
export class QualityTally {
  #sum = 0;
  #count = 0;
  #min = Infinity;
  #warnings: QualityWarning[] = [];

  add(quality: CallQuality | undefined, warnings: readonly string[]): void {
    if (quality) {
      this.#sum += quality.mos;
      this.#count++;
      this.#min = Math.min(this.#min, quality.mos);
    }
    for (const w of warnings) if (!this.#warnings.includes(w as QualityWarning)) this.#warnings.push(w as QualityWarning);
  }

  /** Undefined for a call that was never measured. */
  summary(): QualitySummary | undefined {
    if (!this.#count) return undefined;
    return { mosAvg: round(this.#sum / this.#count), mosMin: this.#min, warnings: [...this.#warnings] };
  }
}

/** 1-4 bars for a MOS (4.5 is the best a call can get; below 3.1 most people are dissatisfied). */
export function qualityBars(mos: number): number {
  return mos >= 4 ? 4 : mos >= 3.6 ? 3 : mos >= 3.1 ? 2 : 1;
}
