/**
 * The lab's tone files and the Goertzel check of recordings (lab/wav.ts): a tone written by the lab
 * is found again at its frequency, also after a round trip through sox (the tool baresip's files are
 * checked against by hand), G.711 bytes decode back to the tone, and silence is no tone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { dominantFrequency, linearToAlaw, linearToUlaw, readWav, toneSamples, wavDominantFrequency, writeToneG711, writeToneWav } from '../../lab/wav.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-wav-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lab/wav.ts', () => {
  it('writes an 8 kHz mono 16-bit WAV whose dominant frequency is the tone', () => {
    for (const hz of [440, 620, 1000, 1400]) {
      const file = path.join(dir, `t${hz}.wav`);
      writeToneWav(file, hz, 1);
      const pcm = readWav(file);
      assert.deepEqual([pcm.sampleRate, pcm.channels, pcm.samples.length], [8000, 1, 8000]);
      const a = dominantFrequency(pcm);
      assert.equal(a.freq, hz);
      assert.ok(a.share > 0.5, `clean tone, share ${a.share}`);
      assert.ok(Math.abs(a.rms - 0.5 / Math.SQRT2) < 0.01, `rms ${a.rms}`);
    }
  });

  it('agrees with sox: its 48 kHz tone is found, and sox reads our file as 8 kHz mono', () => {
    const soxFile = path.join(dir, 'sox700.wav');
    execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', soxFile, 'synth', '1', 'sine', '700', 'vol', '0.3']);
    assert.equal(wavDominantFrequency(soxFile).freq, 700);
    const ours = path.join(dir, 'ours.wav');
    writeToneWav(ours, 1000, 1);
    const info = execFileSync('sox', ['--i', ours], { encoding: 'utf8' });
    assert.match(info, /Channels\s*:\s*1/);
    assert.match(info, /Sample Rate\s*:\s*8000/);
  });

  it('silence is no tone; the window options pick a part of the file', () => {
    const silent = { sampleRate: 8000, channels: 1, samples: new Float32Array(8000) };
    assert.equal(dominantFrequency(silent).freq, 0);
    const two = new Float32Array(16000);
    const a = toneSamples(500, 1);
    const b = toneSamples(1500, 1);
    for (let i = 0; i < 8000; i++) {
      two[i] = a[i]! / 32768;
      two[8000 + i] = b[i]! / 32768;
    }
    const pcm = { sampleRate: 8000, channels: 1, samples: two };
    assert.equal(dominantFrequency(pcm, { toSec: 1 }).freq, 500);
    assert.equal(dominantFrequency(pcm, { fromSec: 1 }).freq, 1500);
  });

  it('G.711 bytes decode (by sox) back to the tone', () => {
    for (const law of ['alaw', 'ulaw'] as const) {
      const raw = path.join(dir, `t.${law}`);
      writeToneG711(raw, 620, 1, law);
      assert.equal(fs.statSync(raw).size, 8000);
      const wav = path.join(dir, `${law}.wav`);
      execFileSync('sox', ['-t', 'raw', '-r', '8000', '-c', '1', '-e', law === 'alaw' ? 'a-law' : 'u-law', raw, '-b', '16', '-e', 'signed-integer', wav]);
      const an = wavDominantFrequency(wav);
      assert.equal(an.freq, 620, law);
      assert.ok(an.rms > 0.3, `${law} rms ${an.rms}`);
    }
    // the well-known code points: silence and the extremes
    assert.equal(linearToAlaw(0), 0xd5);
    assert.equal(linearToUlaw(0), 0xff);
    assert.equal(linearToUlaw(32767), 0x80);
    assert.equal(linearToAlaw(-32768), 0x2a);
  });
});
