import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CODEC_IMPAIRMENT,
  DEFAULT_THRESHOLDS,
  QualityMonitor,
  QualityTally,
  delayImpairment,
  estimateMos,
  lossImpairment,
  mosFromR,
  parseThresholds,
  rFactor,
  type QualitySample,
  type QualityUpdate,
} from '../../src/core/call-quality.js';
import { PhoneState, type PhoneChange } from '../../src/core/phone-state.js';
import { sampleFromStats } from '../../src/sip/quality-sampler.js';
import { SoftPhoneError } from '../../src/errors.js';

const near = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected} ± ${tolerance}`);

describe('E-model (ITU-T G.107)', () => {
  it('the default connection, R = 93.2, is MOS 4.41', () => {
    near(mosFromR(93.2), 4.41, 0.005, 'MOS(93.2)');
    near(rFactor(0, 0), 93.2, 1e-9, 'R with no delay and no loss');
    assert.equal(estimateMos({ rttMs: 20, jitterMs: 1, lossPct: 0 }), 4.41);
  });

  it('R to MOS follows G.107 Annex B (figure B.1: 50 -> 2.58, 60 -> 3.10, 70 -> 3.60, 80 -> 4.02, 90 -> 4.34)', () => {
    for (const [r, mos] of [[50, 2.58], [60, 3.1], [70, 3.6], [80, 4.02], [90, 4.34]] as const) near(mosFromR(r), mos, 0.01, `MOS(${r})`);
    assert.equal(mosFromR(-5), 1);
    assert.equal(mosFromR(0), 1);
    assert.equal(mosFromR(100), 4.5);
    assert.equal(mosFromR(120), 4.5);
  });

  it('MOS never falls as R rises, and stays within 1..4.5', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 150, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (r, step) => {
        const a = mosFromR(r);
        const b = mosFromR(r + step);
        return a >= 1 && a <= 4.5 && b >= a - 1e-12;
      }),
    );
  });

  it('delay: no impairment up to 100 ms one way, then eq. 7-28 (Idd(200) 3.05, Idd(400) 24.1)', () => {
    assert.equal(delayImpairment(0), 0);
    assert.equal(delayImpairment(100), 0);
    near(delayImpairment(200), 3.05, 0.01, 'Idd(200)');
    near(delayImpairment(400), 24.07, 0.05, 'Idd(400)');
    assert.ok(delayImpairment(600) > delayImpairment(400));
  });

  it('loss: Ie-eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl), G.711 with PLC Bpl 25.1 (G.113 Appendix I)', () => {
    assert.equal(lossImpairment(0, CODEC_IMPAIRMENT.pcmu), 0);
    near(lossImpairment(2, CODEC_IMPAIRMENT.pcmu), (95 * 2) / 27.1, 1e-9, 'Ie-eff at 2 %');
    near(lossImpairment(100, CODEC_IMPAIRMENT.pcmu), 95 * (100 / 125.1), 1e-9, 'Ie-eff at 100 %');
    // without concealment (Bpl 4.3) the same loss hurts far more
    assert.ok(lossImpairment(2, CODEC_IMPAIRMENT.other) > 2 * lossImpairment(2, CODEC_IMPAIRMENT.pcmu));
  });

  it('about 9 % random loss takes a call under MOS 3.5; 3 % does not', () => {
    assert.ok(estimateMos({ rttMs: 2, jitterMs: 1, lossPct: 3 }) > 3.9);
    assert.ok(estimateMos({ rttMs: 2, jitterMs: 1, lossPct: 10 }) < 3.5);
    assert.ok(estimateMos({ rttMs: 2, jitterMs: 1, lossPct: 25 }) < 2.6);
  });
});

/** A call that sends and receives 50 packets a second of audible audio, sampled once a second. */
class FakeCall {
  at = 0;
  rx = 0;
  lost = 0;
  tx = 0;
  lostOut = 0;
  energyIn = 0;
  energyOut = 0;
  rtt = 0.02;
  jitter = 0.002;
  sample(o: { lossPct?: number; lossOutPct?: number; silentIn?: boolean; silentOut?: boolean; noPacketsIn?: boolean; rtt?: number; jitter?: number } = {}): QualitySample {
    this.at += 1000;
    const loss = o.noPacketsIn ? 0 : Math.round((50 * (o.lossPct ?? 0)) / 100);
    this.rx += o.noPacketsIn ? 0 : 50 - loss;
    this.lost += loss;
    this.tx += 50;
    this.lostOut += Math.round((50 * (o.lossOutPct ?? 0)) / 100);
    // RMS 0.1 for a second = energy 0.01
    if (!o.silentIn && !o.noPacketsIn) this.energyIn += 0.01;
    if (!o.silentOut) this.energyOut += 0.01;
    const s = this.at / 1000;
    return {
      at: this.at,
      packetsReceived: this.rx,
      packetsLost: this.lost,
      jitter: o.jitter ?? this.jitter,
      energyIn: this.energyIn,
      durationIn: s,
      packetsSent: this.tx,
      remotePacketsLost: this.lostOut,
      remoteJitter: 0.002,
      rtt: o.rtt ?? this.rtt,
      energyOut: this.energyOut,
      durationOut: s,
      codec: 'audio/opus',
    };
  }
}

function run(monitor: QualityMonitor, call: FakeCall, n: number, o: Parameters<FakeCall['sample']>[0] = {}, ctx = { held: false, muted: false }): QualityUpdate[] {
  const out: QualityUpdate[] = [];
  for (let i = 0; i < n; i++) {
    const u = monitor.add(call.sample(o), ctx);
    if (u) out.push(u);
  }
  return out;
}

const startsOf = (updates: QualityUpdate[]): string[] => updates.flatMap((u) => u.started);
const endsOf = (updates: QualityUpdate[]): string[] => updates.flatMap((u) => u.ended);

describe('QualityMonitor', () => {
  it('a clean call has good figures and no warning', () => {
    const m = new QualityMonitor();
    const c = new FakeCall();
    const updates = run(m, c, 20);
    assert.deepEqual(startsOf(updates), []);
    const last = updates.at(-1)!;
    assert.equal(last.quality.lossPct, 0);
    assert.equal(last.quality.rttMs, 20);
    assert.equal(last.quality.mos, 4.41);
    near(last.quality.audioLevelIn, 0.1, 0.001, 'level in');
    near(last.quality.audioLevelOut, 0.1, 0.001, 'level out');
  });

  it('packet loss: high-packet-loss and low-mos start after 3 samples, end 3 samples after the 5 s window is clean', () => {
    const m = new QualityMonitor();
    const c = new FakeCall();
    run(m, c, 6);
    const lossy = run(m, c, 6, { lossPct: 20 });
    // one lossy second of five is already 4 % over the window: the warning waits for 3 samples in a row
    assert.deepEqual(lossy[0]!.started, []);
    assert.deepEqual(lossy[1]!.started, []);
    assert.deepEqual(lossy[2]!.started, ['high-packet-loss']);
    // MOS goes under 3.5 once about 10 % of the window is lost (sample 2), so 3 samples later
    assert.deepEqual(lossy[4]!.started, ['low-mos']);
    assert.ok(lossy.at(-1)!.quality.mos < 3);
    near(lossy.at(-1)!.quality.lossPct, 20, 0.5, 'loss %');
    const clean = run(m, c, 12);
    const endAt = clean.findIndex((u) => u.ended.includes('high-packet-loss'));
    // the 5th clean sample is the first whose 5 s window is clean; it ends on the 3rd clean one in a row
    assert.equal(endAt, 6, `ended at clean sample ${endAt}`);
    assert.deepEqual(endsOf(clean).sort(), ['high-packet-loss', 'low-mos']);
    assert.deepEqual(clean.at(-1)!.warnings, []);
    assert.equal(clean.at(-1)!.quality.mos, 4.41);
  });

  it('loss on the way out (reported by the far end) counts too', () => {
    const m = new QualityMonitor();
    const c = new FakeCall();
    const u = run(m, c, 8, { lossOutPct: 10 });
    assert.ok(startsOf(u).includes('high-packet-loss'));
    near(u.at(-1)!.quality.lossPctOut, 10, 0.5, 'loss out');
    assert.equal(u.at(-1)!.quality.lossPct, 0);
  });

  it('a short blip (fewer samples than startSamples) starts nothing', () => {
    const m = new QualityMonitor({ ...DEFAULT_THRESHOLDS, startSamples: 3 });
    const c = new FakeCall();
    run(m, c, 3);
    const u = run(m, c, 2, { rtt: 0.6 });
    u.push(...run(m, c, 5));
    assert.deepEqual(startsOf(u), []);
  });

  it('high RTT and high jitter, against overridden thresholds', () => {
    const m = new QualityMonitor(parseThresholds({ rttMs: 100, jitterMs: 10, startSamples: 2, endSamples: 1 }));
    const c = new FakeCall();
    run(m, c, 2);
    const u = run(m, c, 3, { rtt: 0.15, jitter: 0.005 });
    assert.deepEqual(startsOf(u), ['high-rtt']);
    const v = run(m, c, 8, { rtt: 0.15, jitter: 0.05 });
    assert.ok(startsOf(v).includes('high-jitter'));
  });

  it('no-audio-out: 5 s of a silent microphone; not while muted or held', () => {
    const m = new QualityMonitor();
    const c = new FakeCall();
    run(m, c, 3);
    const u = run(m, c, 8, { silentOut: true });
    const at = u.findIndex((x) => x.started.includes('no-audio-out'));
    assert.equal(at, 4, 'starts once 5 s of silence are in the window');
    assert.ok(u.at(-1)!.quality.audioLevelOut < 0.0003);
    const back = run(m, c, 4);
    assert.ok(endsOf(back).includes('no-audio-out'));

    const muted = new QualityMonitor();
    const d = new FakeCall();
    assert.deepEqual(startsOf(run(muted, d, 12, { silentOut: true }, { held: false, muted: true })), []);
    assert.deepEqual(startsOf(run(muted, d, 12, { silentOut: true, noPacketsIn: true }, { held: true, muted: false })), []);
  });

  it('no-audio-in: the far end sends nothing (or silence) for 5 s, not while held', () => {
    const m = new QualityMonitor();
    const c = new FakeCall();
    run(m, c, 3);
    const u = run(m, c, 8, { noPacketsIn: true });
    assert.ok(startsOf(u).includes('no-audio-in'));
    const silent = new QualityMonitor();
    const d = new FakeCall();
    assert.ok(startsOf(run(silent, d, 8, { silentIn: true })).includes('no-audio-in'));
  });

  it('no window before the first packet arrives', () => {
    const m = new QualityMonitor();
    const idle = { ...new FakeCall().sample(), packetsReceived: 0, packetsLost: 0 };
    assert.equal(m.add(idle, { held: false, muted: false }), undefined);
    assert.equal(m.add({ ...idle, at: 2000 }, { held: false, muted: false }), undefined);
  });

  it('counters that go back (a new receiver) start a new window instead of a negative loss', () => {
    const m = new QualityMonitor();
    const c = new FakeCall();
    run(m, c, 4);
    c.rx = 0;
    c.lost = 0;
    c.tx = 0;
    assert.equal(m.add(c.sample(), { held: false, muted: false }), undefined);
    const u = run(m, c, 3);
    assert.equal(u.at(-1)!.quality.lossPct, 0);
  });
});

describe('quality thresholds', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(parseThresholds(undefined), DEFAULT_THRESHOLDS);
    assert.deepEqual(parseThresholds({ lossPct: 5 }), { ...DEFAULT_THRESHOLDS, lossPct: 5 });
  });
  it('refuses what is not a threshold, naming it', () => {
    for (const [value, named] of [
      [{ loss: 3 }, 'qualityThresholds.loss'],
      [{ rttMs: -1 }, 'qualityThresholds.rttMs'],
      [{ startSamples: 1.5 }, 'qualityThresholds.startSamples'],
      [{ mos: '3' }, 'qualityThresholds.mos'],
      ['fast', 'qualityThresholds "fast"'],
    ] as const) {
      assert.throws(
        () => parseThresholds(value),
        (e: unknown) => e instanceof SoftPhoneError && e.code === 'INVALID_CONFIG' && e.message.includes(named),
      );
    }
  });
});

describe('quality in the call snapshot', () => {
  it('setQuality changes the snapshot without a call change, naming warnings that started and ended', () => {
    const state = new PhoneState(() => 1000);
    const changes: PhoneChange[] = [];
    state.subscribe((c) => changes.push(c));
    state.addCall({ id: 'c1', direction: 'outbound', state: 'dialing', remote: { number: '4000', kind: 'internal' } });
    assert.deepEqual(state.getCall('c1')!.warnings, []);
    const q = { mos: 3, rttMs: 10, jitterMs: 1, lossPct: 12, lossPctOut: 0, audioLevelIn: 0.1, audioLevelOut: 0.1 };
    state.setQuality('c1', q, ['high-packet-loss', 'low-mos']);
    state.setQuality('c1', q, ['high-packet-loss', 'low-mos']);
    state.setQuality('c1', { ...q, mos: 4.4 }, []);
    const quality = changes.filter((c) => c.kind === 'quality');
    assert.equal(changes.filter((c) => c.kind === 'call').length, 1);
    assert.deepEqual(quality.map((c) => [c.started, c.ended]), [
      [['high-packet-loss', 'low-mos'], []],
      [[], []],
      [[], ['high-packet-loss', 'low-mos']],
    ]);
    assert.equal(state.getCall('c1')!.quality!.mos, 4.4);
    assert.equal(state.setQuality('gone', q, []), undefined);
  });

  it('the tally keeps average and worst MOS and every warning once', () => {
    const tally = new QualityTally();
    assert.equal(tally.summary(), undefined);
    const q = (mos: number) => ({ mos, rttMs: 0, jitterMs: 0, lossPct: 0, lossPctOut: 0, audioLevelIn: 0, audioLevelOut: 0 });
    tally.add(q(4.4), []);
    tally.add(q(2.5), ['high-packet-loss', 'low-mos']);
    tally.add(q(3.1), ['high-packet-loss']);
    assert.deepEqual(tally.summary(), { mosAvg: 3.33, mosMin: 2.5, warnings: ['high-packet-loss', 'low-mos'] });
  });
});

describe('reading getStats()', () => {
  it('takes the audio streams, the media source, the selected pair and the codec', () => {
    const entries: Record<string, unknown>[] = [
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
      { id: 'P', type: 'candidate-pair', currentRoundTripTime: 0.004 },
      { id: 'C', type: 'codec', mimeType: 'audio/opus' },
      { id: 'I', type: 'inbound-rtp', kind: 'audio', codecId: 'C', packetsReceived: 500, packetsLost: 7, jitter: 0.003, totalAudioEnergy: 0.5, totalSamplesDuration: 10, jitterBufferDelay: 0.8, jitterBufferEmittedCount: 48000 },
      { id: 'O', type: 'outbound-rtp', kind: 'audio', mediaSourceId: 'S', packetsSent: 510 },
      { id: 'R', type: 'remote-inbound-rtp', kind: 'audio', packetsLost: 3, jitter: 0.002, roundTripTime: 0.006 },
      { id: 'S', type: 'media-source', kind: 'audio', totalAudioEnergy: 0.2, totalSamplesDuration: 10 },
      { id: 'I2', type: 'inbound-rtp', kind: 'video', packetsReceived: 9 },
    ];
    const report = new Map(entries.map((e) => [e.id as string, e])) as unknown as RTCStatsReport;
    assert.deepEqual(sampleFromStats(report, 1234), {
      at: 1234,
      packetsReceived: 500,
      packetsLost: 7,
      jitter: 0.003,
      energyIn: 0.5,
      durationIn: 10,
      jitterBufferDelay: 0.8,
      jitterBufferEmitted: 48000,
      packetsSent: 510,
      remotePacketsLost: 3,
      remoteJitter: 0.002,
      rtt: 0.006,
      energyOut: 0.2,
      durationOut: 10,
      codec: 'audio/opus',
    });
  });
  it('an empty report is a sample of zeros', () => {
    const s = sampleFromStats(new Map() as unknown as RTCStatsReport, 5);
    assert.equal(s.packetsReceived, 0);
    assert.equal(s.rtt, undefined);
  });
});
