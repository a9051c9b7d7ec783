/**
 * Known tones for the lab's non-browser far ends, and the check of what they heard:
 * - `writeToneWav()`: a sine tone as a 16-bit PCM mono WAV (baresip's `aufile` microphone needs 8 kHz
 *   mono for G.711);
 * - `writeToneG711()`: the same tone as raw A-law or µ-law bytes (SIPp's `rtp_stream` payload);
 * - `readWav()` + `dominantFrequency()` / `toneLevel()`: a Goertzel filter bank over a recorded WAV
 *   (baresip's `sndfile` recordings), so a test can assert "the desk phone heard the 440 Hz tone".
 */
import fs from 'node:fs';

export interface Pcm {
  sampleRate: number;
  channels: number;
  /** Samples of the first channel, -1..1. */
  samples: Float32Array;
}

/** A sine tone, `seconds` long, as 16-bit signed little-endian PCM samples (mono). */
export function toneSamples(freq: number, seconds: number, sampleRate = 8000, amplitude = 0.5): Int16Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin((2 * Math.PI * freq * i) / sampleRate) * amplitude * 32767);
  return out;
}

/** A mono 16-bit PCM WAV file's bytes. */
export function wavBytes(samples: Int16Array, sampleRate: number): Buffer {
  const data = samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i]!, 44 + i * 2);
  return buf;
}

/** Writes a tone WAV (8 kHz mono 16-bit by default). */
export function writeToneWav(file: string, freq: number, seconds: number, sampleRate = 8000): void {
  fs.writeFileSync(file, wavBytes(toneSamples(freq, seconds, sampleRate), sampleRate));
}

/** G.711 A-law encoding of one 16-bit sample (ITU-T G.711). */
export function linearToAlaw(sample: number): number {
  let pcm = sample >> 3; // 13-bit
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const ends = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
  let seg = 0;
  while (seg < 8 && pcm > ends[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return aval ^ mask;
}

/** G.711 µ-law encoding of one 16-bit sample. */
export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let pcm = sample >> 2; // 14-bit
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > 8159) pcm = 8159;
  pcm += BIAS >> 2;
  const ends = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
  let seg = 0;
  while (seg < 8 && pcm > ends[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Writes a tone as raw 8 kHz G.711 bytes (SIPp rtp_stream: payload type 8 for A-law, 0 for µ-law). */
export function writeToneG711(file: string, freq: number, seconds: number, law: 'alaw' | 'ulaw' = 'alaw'): void {
  const pcm = toneSamples(freq, seconds, 8000);
  const out = Buffer.alloc(pcm.length);
  const enc = law === 'alaw' ? linearToAlaw : linearToUlaw;
  for (let i = 0; i < pcm.length; i++) out[i] = enc(pcm[i]!);
  fs.writeFileSync(file, out);
}

/** Reads a PCM WAV (16-bit integer or 32-bit float); the first channel. */
export function readWav(file: string): Pcm {
  const buf = fs.readFileSync(file);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let off = 12;
  let format = 0;
  let channels = 1;
  let sampleRate = 8000;
  let bits = 16;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      format = buf.readUInt16LE(body);
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
      if (format === 0xfffe) format = buf.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE
    } else if (id === 'data') {
      // a recording still being written may say 0 or more than there is
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      const step = (bits / 8) * channels;
      const n = Math.floor(size / step);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const p = body + i * step;
        if (format === 3 && bits === 32) samples[i] = buf.readFloatLE(p);
        else if (format === 1 && bits === 16) samples[i] = buf.readInt16LE(p) / 32768;
        else throw new Error(`${file}: unsupported WAV format ${format}/${bits} bit`);
      }
      return { sampleRate, channels, samples };
    }
    off = body + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

/** Goertzel power of `freq` over `samples` (normalized: a full-scale sine at `freq` gives ~0.25). */
export function goertzel(samples: Float32Array, sampleRate: number, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / (n * n);
}

export interface ToneAnalysis {
  /** The frequency (Hz, 10 Hz steps from 100 to 3400) with the most energy. */
  freq: number;
  /** Its share of the total energy of the steps, 0..1 (a clean tone: close to 1). */
  share: number;
  /** RMS of the analysed samples, 0..1. */
  rms: number;
}

/**
 * The dominant frequency of a stretch of audio (Goertzel over 100-3400 Hz in 10 Hz steps). Silence
 * (RMS below 0.001) gives `freq: 0`.
 */
export function dominantFrequency(pcm: Pcm, options: { fromSec?: number; toSec?: number } = {}): ToneAnalysis {
  const from = Math.max(0, Math.floor((options.fromSec ?? 0) * pcm.sampleRate));
  const to = Math.min(pcm.samples.length, options.toSec === undefined ? pcm.samples.length : Math.floor(options.toSec * pcm.sampleRate));
  // at most 2 s of audio: enough resolution, fast enough for a test
  const slice = pcm.samples.subarray(from, Math.min(to, from + pcm.sampleRate * 2));
  let sq = 0;
  for (const s of slice) sq += s * s;
  const rms = slice.length ? Math.sqrt(sq / slice.length) : 0;
  if (rms < 0.001) return { freq: 0, share: 0, rms };
  let best = 0;
  let bestPower = 0;
  let total = 0;
  const top = Math.min(3400, pcm.sampleRate / 2 - 10);
  for (let f = 100; f <= top; f += 10) {
    const p = goertzel(slice, pcm.sampleRate, f);
    total += p;
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return { freq: best, share: total ? bestPower / total : 0, rms };
}

/** Dominant frequency of a WAV file (or a part of it). */
export function wavDominantFrequency(file: string, options: { fromSec?: number; toSec?: number } = {}): ToneAnalysis {
  return dominantFrequency(readWav(file), options);
}
