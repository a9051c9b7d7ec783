/**
 * The pre-call audio check: the chosen microphone's level for a moment (a live meter while it
 * runs), and a short test tone on the chosen speaker and on the ringer output.
 */
import { SoftPhoneError } from '../errors.js';

export interface AudioTestResult {
  /** The loudest RMS level the microphone gave, 0..1. */
  microphone: { level: number };
  speaker: 'played';
}

export interface AudioTestOptions {
  microphone: string;
  speaker: string;
  ringer: string;
  /** How long the microphone is listened to, ms. */
  listenMs?: number;
  /** Called with the level (0..1) about ten times a second while listening. */
  onLevel?: (level: number) => void;
}

type SinkContext = AudioContext & { setSinkId?: (id: string) => Promise<void> };

const TONE_HZ = 660;
const TONE_SECONDS = 0.4;

/** Plays the test tone on one output ('' = the default); resolves when it has played. */
async function playTone(sink: string): Promise<void> {
  const ctx: SinkContext = new AudioContext();
  try {
    if (sink && ctx.setSinkId) await ctx.setSinkId(sink);
    await ctx.resume();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = TONE_HZ;
    const t0 = ctx.currentTime + 0.02;
    gain.gain.setValueAtTime(0, t0);
    gain.gain.linearRampToValueAtTime(0.2, t0 + 0.02);
    gain.gain.setValueAtTime(0.2, t0 + TONE_SECONDS - 0.02);
    gain.gain.linearRampToValueAtTime(0, t0 + TONE_SECONDS);
    osc.connect(gain).connect(ctx.destination);
    await new Promise<void>((resolve) => {
      osc.onended = () => resolve();
      osc.start(t0);
      osc.stop(t0 + TONE_SECONDS);
    });
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

async function microphoneLevel(deviceId: string, listenMs: number, onLevel?: (level: number) => void): Promise<number> {
  const md = globalThis.navigator?.mediaDevices;
  if (!md?.getUserMedia) throw new SoftPhoneError('MEDIA_DENIED', 'this browser gives no microphone access');
  let stream: MediaStream;
  try {
    stream = await md.getUserMedia({ audio: deviceId ? { deviceId: { exact: deviceId } } : true, video: false });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    throw new SoftPhoneError('MEDIA_DENIED', name === 'NotFoundError' || name === 'OverconstrainedError' ? `microphone ${JSON.stringify(deviceId)} was not found` : 'microphone access was denied');
  }
  const ctx = new AudioContext();
  try {
    await ctx.resume();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    let peak = 0;
    await new Promise<void>((resolve) => {
      const started = performance.now();
      const timer = setInterval(() => {
        analyser.getFloatTimeDomainData(buffer);
        let sum = 0;
        for (const x of buffer) sum += x * x;
        const level = Math.sqrt(sum / buffer.length);
        peak = Math.max(peak, level);
        onLevel?.(level);
        if (performance.now() - started >= listenMs) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
    });
    return Math.round(peak * 1000) / 1000;
  } finally {
    stream.getTracks().forEach((track) => track.stop());
    await ctx.close().catch(() => undefined);
  }
}

export async function runAudioTest(options: AudioTestOptions): Promise<AudioTestResult> {
  if (typeof AudioContext === 'undefined') throw new SoftPhoneError('MEDIA_DENIED', 'this browser has no Web Audio');
  const level = await microphoneLevel(options.microphone, options.listenMs ?? 1500, options.onLevel);
  await playTone(options.speaker);
  if (options.ringer !== options.speaker) await playTone(options.ringer);
  return { microphone: { level }, speaker: 'played' };
}
