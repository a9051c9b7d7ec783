/**
 * Call quality in the element, with the fake engine playing the sampler: figures in the snapshot
 * without events, `softphone-call-quality` only when a warning starts or ends, the indicator and
 * the advice notices, the thresholds property, the history record and the audio check.
 */
import { expect } from '@esm-bundle/chai';
import type { SoftPhone } from '../../src/soft-phone.js';
import type { CallQuality } from '../../src/core/call-quality.js';
import { FakeEngine } from './fake-engine.js';
import { isolateTests, mountPhone, recordEvents, until, whenRegistered, type Seen } from './helpers.js';

isolateTests();

const ALICE = { server: 'ws://127.0.0.1:8088', domain: 'server1.test', extension: '3999' };
const GOOD: CallQuality = { mos: 4.41, rttMs: 12, jitterMs: 1.5, lossPct: 0, lossPctOut: 0, audioLevelIn: 0.2, audioLevelOut: 0.3 };
const BAD: CallQuality = { mos: 2.4, rttMs: 12, jitterMs: 4, lossPct: 22.5, lossPctOut: 1, audioLevelIn: 0.2, audioLevelOut: 0.3 };

const $ = <T extends Element = HTMLElement>(el: SoftPhone, sel: string): T | null => el.shadowRoot!.querySelector<T>(sel);
const $$ = (el: SoftPhone, sel: string): HTMLElement[] => [...el.shadowRoot!.querySelectorAll<HTMLElement>(sel)];

async function inCall(attrs: Record<string, string> = ALICE, setup?: (el: SoftPhone) => void): Promise<{ el: SoftPhone; engine: FakeEngine; seen: Seen[]; id: string }> {
  let seen: Seen[] = [];
  const el = await mountPhone(attrs, (el) => {
    seen = recordEvents(el, ['call-state', 'call-quality', 'call-ended', 'error']);
    setup?.(el);
  });
  await whenRegistered(el);
  const engine = FakeEngine.live()[0]!;
  const call = await el.call('4000');
  engine.remote(call.id, 'established');
  await el.updateComplete;
  return { el, engine, seen, id: call.id };
}

describe('<soft-phone> call quality', () => {
  it('new figures go into the snapshot without any event; a warning that starts or ends fires softphone-call-quality once', async () => {
    const { el, engine, seen, id } = await inCall();
    const states = seen.filter((s) => s.type === 'call-state').length;
    engine.quality(id, GOOD);
    engine.quality(id, { ...GOOD, rttMs: 14 });
    expect(el.calls[0]!.quality).to.deep.equal({ ...GOOD, rttMs: 14 });
    expect(el.calls[0]!.warnings).to.deep.equal([]);
    expect(seen.filter((s) => s.type === 'call-state').length).to.equal(states);
    expect(seen.filter((s) => s.type === 'call-quality')).to.deep.equal([]);

    engine.quality(id, BAD, ['high-packet-loss']);
    engine.quality(id, BAD, ['high-packet-loss']);
    engine.quality(id, BAD, ['high-packet-loss', 'low-mos']);
    engine.quality(id, GOOD, ['low-mos']);
    engine.quality(id, GOOD, []);
    const quality = seen.filter((s) => s.type === 'call-quality').map((s) => s.detail as { call: { id: string; warnings: string[] }; warnings: string[]; started: string[]; ended: string[] });
    expect(quality.map(({ warnings, started, ended }) => ({ warnings, started, ended }))).to.deep.equal([
      { warnings: ['high-packet-loss'], started: ['high-packet-loss'], ended: [] },
      { warnings: ['high-packet-loss', 'low-mos'], started: ['low-mos'], ended: [] },
      { warnings: ['low-mos'], started: [], ended: ['high-packet-loss'] },
      { warnings: [], started: [], ended: ['low-mos'] },
    ]);
    expect(quality[1]!.call.id).to.equal(id);
    expect(quality[1]!.call.warnings).to.deep.equal(['high-packet-loss', 'low-mos']);
    expect(seen.filter((s) => s.type === 'call-state').length).to.equal(states);
  });

  it('the call card shows bars with the figures in the tooltip, and a notice with advice per warning', async () => {
    const { el, engine, id } = await inCall();
    expect($(el, '[part=call] .quality')).to.equal(null);
    engine.quality(id, GOOD);
    await el.updateComplete;
    const bars = $(el, '[part=call] .quality')!;
    expect(bars.dataset.bars).to.equal('4');
    expect(bars.title).to.contain('MOS 4.4').and.contain('12 ms').and.contain('0% in');
    expect(bars.getAttribute('aria-label')).to.equal(bars.title);
    expect($$(el, '[data-warning]')).to.have.length(0);

    engine.quality(id, BAD, ['high-packet-loss', 'low-mos']);
    await el.updateComplete;
    expect($(el, '[part=call] .quality')!.dataset.bars).to.equal('1');
    expect($(el, '[part=call] .quality')!.title).to.contain('22.5% in');
    const notices = $$(el, '[part=notice][data-warning]');
    expect(notices.map((n) => n.dataset.warning)).to.deep.equal(['high-packet-loss', 'low-mos']);
    expect(notices[0]!.textContent).to.contain('Check your network connection');

    el.lang = 'ja';
    await el.updateComplete;
    expect($(el, '[data-warning=high-packet-loss]')!.textContent).to.contain('ネットワーク接続を確認してください');
    expect($(el, '[part=call] .quality')!.title).to.contain('通話品質');

    engine.quality(id, GOOD, []);
    await el.updateComplete;
    expect($$(el, '[data-warning]')).to.have.length(0);
  });

  it('every warning has advice in en, ja, he and pl', async () => {
    const { el, engine, id } = await inCall();
    const all = ['high-rtt', 'high-jitter', 'high-packet-loss', 'low-mos', 'no-audio-in', 'no-audio-out'] as const;
    engine.quality(id, BAD, [...all]);
    const texts = new Set<string>();
    for (const lang of ['en', 'ja', 'he', 'pl']) {
      el.lang = lang;
      await el.updateComplete;
      for (const w of all) {
        const text = $(el, `[data-warning=${w}]`)!.textContent!.trim();
        expect(text, `${lang} ${w}`).to.not.equal('');
        texts.add(text);
      }
    }
    expect(texts.size).to.equal(24);
  });

  it('the ended call carries its average and worst MOS and its warnings; the history keeps them', async () => {
    const { el, engine, seen, id } = await inCall();
    engine.quality(id, GOOD);
    engine.quality(id, BAD, ['high-packet-loss']);
    engine.quality(id, { ...BAD, mos: 2.1 }, ['high-packet-loss', 'low-mos']);
    engine.quality(id, GOOD, []);
    await el.hangup();
    const ended = seen.find((s) => s.type === 'call-ended')!.detail as { quality: unknown };
    const quality = { mosAvg: 3.33, mosMin: 2.1, warnings: ['high-packet-loss', 'low-mos'] };
    expect(ended.quality).to.deep.equal(quality);
    expect(el.callHistory[0]!.quality).to.deep.equal(quality);
  });

  it('a call that was never measured has no quality in its event or record', async () => {
    const { el, seen } = await inCall();
    await el.hangup();
    expect(seen.find((s) => s.type === 'call-ended')!.detail).to.not.have.property('quality');
    expect(el.callHistory[0]).to.not.have.property('quality');
  });

  it('qualityThresholds: overrides reach the engine completed with the defaults; a bad value is INVALID_CONFIG naming it', async () => {
    const { el, engine, seen } = await inCall(ALICE, (el) => (el.qualityThresholds = { lossPct: 5, startSamples: 2 }));
    expect(engine.config!.qualityThresholds).to.deep.equal({ rttMs: 400, jitterMs: 30, lossPct: 5, mos: 3.5, silenceSeconds: 5, startSamples: 2, endSamples: 3 });
    el.qualityThresholds = { lossPct: -1 };
    await until(() => seen.some((s) => s.type === 'error'), 'an error');
    const error = seen.find((s) => s.type === 'error')!.detail as { code: string; message: string };
    expect(error.code).to.equal('INVALID_CONFIG');
    expect(error.message).to.contain('qualityThresholds.lossPct');
    await until(() => engine.config!.qualityThresholds!.lossPct === 3, 'the defaults apply');
  });

  it('testAudio(): the settings panel button measures the microphone live and plays the test tone', async () => {
    const el = await mountPhone(ALICE);
    await whenRegistered(el);
    $<HTMLButtonElement>(el, '[data-action=settings]')!.click();
    await el.updateComplete;
    const button = $<HTMLButtonElement>(el, '[part=settings] [data-action=test-audio]')!;
    expect(button.textContent).to.contain('Test audio');
    button.click();
    await el.updateComplete;
    expect($<HTMLButtonElement>(el, '[data-action=test-audio]')!.disabled).to.equal(true);
    expect($(el, '[part=settings] [role=meter]')).to.not.equal(null);
    await until(() => !!$(el, '[part=settings] [role=status]'), 'the test finished');
    expect($(el, '[part=settings] [role=status]')!.textContent).to.contain('Microphone level');
    const result = await el.testAudio();
    expect(result.speaker).to.equal('played');
    expect(result.microphone.level).to.be.a('number').within(0, 1);
  });
});
