/**
 * Reads a call's `RTCPeerConnection.getStats()` about once a second and hands plain numbers to the
 * core's `QualityMonitor` (src/core/call-quality.ts). Cheap by construction: `getStats()` is
 * asynchronous (the browser gathers the figures off the main thread), one pass over a report of a
 * few dozen entries is all the main thread does, and a sample never starts while the last one is
 * still pending.
 */
import { QualityMonitor, type QualityContext, type QualitySample, type QualityThresholds, type QualityUpdate } from '../core/call-quality.js';
import { logger } from '../logger.js';

export const SAMPLE_INTERVAL_MS = 1000;

type Stat = Record<string, unknown> & { type: string; id: string };
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const opt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const isAudio = (s: Stat): boolean => s.kind === 'audio' || s.mediaType === 'audio';

/** The audio figures of one stats report (the first audio stream of each kind). */
export function sampleFromStats(report: RTCStatsReport, at: number): QualitySample {
  const byId = new Map<string, Stat>();
  let inbound: Stat | undefined;
  let outbound: Stat | undefined;
  let remote: Stat | undefined;
  let transport: Stat | undefined;
  report.forEach((value) => {
    const s = value as Stat;
    byId.set(s.id, s);
    if (s.type === 'inbound-rtp' && isAudio(s)) inbound ??= s;
    else if (s.type === 'outbound-rtp' && isAudio(s)) outbound ??= s;
    else if (s.type === 'remote-inbound-rtp' && isAudio(s)) remote ??= s;
    else if (s.type === 'transport') transport ??= s;
  });
  const source = outbound && typeof outbound.mediaSourceId === 'string' ? byId.get(outbound.mediaSourceId) : undefined;
  const pair = transport && typeof transport.selectedCandidatePairId === 'string' ? byId.get(transport.selectedCandidatePairId) : undefined;
  const codec = inbound && typeof inbound.codecId === 'string' ? byId.get(inbound.codecId) : undefined;
  const rtt = opt(remote?.roundTripTime) ?? opt(pair?.currentRoundTripTime);
  const mime = typeof codec?.mimeType === 'string' ? codec.mimeType : undefined;
  return {
    at,
    packetsReceived: num(inbound?.packetsReceived),
    packetsLost: num(inbound?.packetsLost),
    jitter: num(inbound?.jitter),
    energyIn: num(inbound?.totalAudioEnergy),
    durationIn: num(inbound?.totalSamplesDuration),
    ...(inbound && opt(inbound.jitterBufferEmittedCount) !== undefined
      ? { jitterBufferDelay: num(inbound.jitterBufferDelay), jitterBufferEmitted: num(inbound.jitterBufferEmittedCount) }
      : {}),
    packetsSent: num(outbound?.packetsSent),
    ...(remote ? { remotePacketsLost: num(remote.packetsLost), remoteJitter: num(remote.jitter) } : {}),
    ...(rtt === undefined ? {} : { rtt }),
    energyOut: num(source?.totalAudioEnergy),
    durationOut: num(source?.totalSamplesDuration),
    ...(mime ? { codec: mime } : {}),
  };
}

export interface SamplerOptions {
  peerConnection: () => RTCPeerConnection | undefined;
  context: () => QualityContext;
  thresholds: () => QualityThresholds;
  onUpdate: (update: QualityUpdate) => void;
}

/** One call's sampler: `start()` once established, `stop()` when the call ends. */
export class QualitySampler {
  readonly #options: SamplerOptions;
  readonly #monitor: QualityMonitor;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(options: SamplerOptions) {
    this.#options = options;
    this.#monitor = new QualityMonitor(options.thresholds());
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample now (skipped while the last one is pending). */
  async sample(): Promise<void> {
    const pc = this.#options.peerConnection();
    if (this.#busy || !pc || pc.connectionState === 'closed') return;
    this.#busy = true;
    try {
      const report = await pc.getStats();
      if (this.#timer === undefined) return;
      this.#monitor.thresholds = this.#options.thresholds();
      const update = this.#monitor.add(sampleFromStats(report, performance.now()), this.#options.context());
      if (update) this.#options.onUpdate(update);
    } catch (error) {
      logger.debug('call quality sample failed:', error);
    } finally {
      this.#busy = false;
    }
  }
}
