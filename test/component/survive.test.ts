import { expect } from '@esm-bundle/chai';
import type { SoftPhone } from '../../src/soft-phone.js';
import type { FakeEngine } from './fake-engine.js';
import { isolateTests, mountPhone, onlyEngine, recordEvents, rejection, whenRegistered, type Seen } from './helpers.js';

isolateTests();

const ATTRS = { server: 'ws://127.0.0.1:8088', domain: 'server1.test', extension: '3999' };

async function inCall(attrs: Record<string, string> = ATTRS): Promise<{ el: SoftPhone; seen: Seen[]; engine: FakeEngine; id: string }> {
  let seen: Seen[] = [];
  const el = await mountPhone(attrs, (el) => {
    el.password = 'pw-not-shown';
    seen = recordEvents(el, ['call-reconnecting', 'call-reconnected', 'call-ended', 'call-state', 'error']);
  });
  await whenRegistered(el);
  const engine = onlyEngine();
  const call = engine.incoming({ number: '4000' });
  await el.answer(call.id);
  await el.updateComplete;
  return { el, seen, engine, id: call.id };
}

const text = (el: SoftPhone): string => el.shadowRoot!.textContent?.replace(/\s+/g, ' ') ?? '';

describe('<soft-phone> calls through network trouble', () => {
  it('call-recovery: 30 s by default, the attribute is passed to the engine, a bad value is INVALID_CONFIG naming it', async () => {
    const { el, engine } = await inCall();
    expect(el.callRecovery).to.equal(30);
    expect(engine.config!.callRecovery).to.equal(30);
    const errors: string[] = [];
    el.addEventListener('softphone-error', (e) => errors.push(e.detail.message));
    el.setAttribute('call-recovery', '5');
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 0));
    expect(engine.config!.callRecovery).to.equal(5);
    el.setAttribute('call-recovery', 'soon');
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 0));
    expect(errors.some((m) => /call-recovery "NaN"/.test(m))).to.equal(true);
  });

  it('a reconnecting call keeps its state, says Reconnecting… in the four languages, and fires reconnecting/reconnected', async () => {
    const { el, seen, engine, id } = await inCall();
    engine.loseConnection();
    engine.reconnecting(id, 'signaling');
    await el.updateComplete;
    const call = el.calls.find((c) => c.id === id)!;
    expect(call.state).to.equal('established');
    expect(call.reconnecting).to.equal(true);
    const ev = seen.find((s) => s.type === 'call-reconnecting')!;
    expect(ev.detail).to.deep.include({ reason: 'signaling' });
    expect((ev.detail as { call: { id: string; reconnecting: boolean } }).call.reconnecting).to.equal(true);
    const badge = el.shadowRoot!.querySelector('[part=reconnecting]')!;
    expect(badge.textContent).to.equal('Reconnecting…');
    for (const [lang, words] of [['ja', '再接続中…'], ['he', 'מתחבר מחדש…'], ['pl', 'Ponowne łączenie…']] as const) {
      el.lang = lang;
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part=reconnecting]')!.textContent).to.equal(words);
    }
    el.lang = 'en';
    engine.restoreConnection();
    engine.reconnected(id);
    await el.updateComplete;
    expect(el.calls[0]!.reconnecting).to.equal(false);
    expect(el.shadowRoot!.querySelector('[part=reconnecting]')).to.equal(null);
    expect(seen.filter((s) => s.type === 'call-reconnected')).to.have.length(1);
    expect(text(el)).to.not.contain('Reconnecting…');
  });

  it('while reconnecting, hold, DTMF, transfer and park reject CALL_FAILED naming the reason; mute works; hangup ends the call at once', async () => {
    const { el, engine, id } = await inCall();
    engine.loseConnection();
    engine.reconnecting(id, 'signaling');
    for (const op of [() => el.hold(), () => el.sendDtmf('1'), () => el.transfer('4001'), () => el.transfer('4001', { mode: 'attended' }), () => el.park()]) {
      const error = await rejection(op());
      expect(error.code).to.equal('CALL_FAILED');
      expect(error.message).to.match(/reconnecting \(signaling lost\)/);
    }
    expect(engine.calledWith('hold')).to.have.length(0);
    expect(engine.calledWith('sendDtmf')).to.have.length(0);
    await el.mute();
    expect(el.calls[0]!.muted).to.equal(true);
    await el.hangup();
    expect(engine.calledWith('hangup')).to.have.length(1);
    expect(el.calls).to.have.length(0);
  });

  it('a media loss names media in the rejection, and the call works again once reconnected', async () => {
    const { el, engine, id } = await inCall();
    engine.reconnecting(id, 'media');
    const error = await rejection(el.hold());
    expect(error.code).to.equal('CALL_FAILED');
    expect(error.message).to.match(/media lost/);
    engine.reconnected(id);
    await el.hold();
    expect(el.calls[0]!.state).to.equal('held');
  });
});

