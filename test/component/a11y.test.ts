/**
 * Accessibility (axe-core) of the phone's screens the demo pages never show on their own: the
 * history list with every kind of call, the settings panel with the audio check, notices and
 * errors, the lost-connection banner, parked calls, and a ringing, a connected and a held call
 * together with the transfer panel and the in-call keypad; in the light and the dark theme, left
 * to right (English) and right to left (Hebrew). The agent's screens (login step, status menu,
 * forwarding) are checked in provisioning.test.ts, where the provisioning server is played.
 */
import { expect } from '@esm-bundle/chai';
import type { SoftPhone } from '../../src/soft-phone.js';
import type { CallQuality } from '../../src/core/call-quality.js';
import { serializeHistory, type CallRecord } from '../../src/core/call-history.js';
import { attach, expectAccessible, isolateTests, mountPhone, onlyEngine, until, whenRegistered } from './helpers.js';

isolateTests();

const ATTRS = { server: 'ws://127.0.0.1:8088', domain: 'server1.test', extension: '3999', 'linked-servers': '[{"prefix":"11","label":"Tokyo"}]' };
const BAD: CallQuality = { mos: 2.4, rttMs: 12, jitterMs: 4, lossPct: 22.5, lossPctOut: 1, audioLevelIn: 0.2, audioLevelOut: 0.3 };

/** One call of each kind the history list shows differently: talked (with a name), missed, declined, busy. */
function history(now: number): CallRecord[] {
  const base = { direction: 'inbound', remote: { number: '4001', kind: 'internal' }, endCause: 'hangup' } as const;
  return [
    { ...base, id: 'talked', remote: { number: '113999', displayName: 'Alice', kind: 'linked', prefix: '11', server: 'Tokyo' }, startedAt: now - 600_000, answeredAt: now - 599_000, endedAt: now - 534_000 },
    { ...base, id: 'missed', startedAt: now - 3_600_000, endedAt: now - 3_590_000, endCause: 'remote-hangup' },
    { ...base, id: 'declined', startedAt: now - 90_000_000, endedAt: now - 89_990_000, endCause: 'declined' },
    { ...base, id: 'busy', direction: 'outbound', remote: { number: '0312345678', kind: 'external' }, startedAt: now - 200_000_000, endedAt: now - 199_999_000, endCause: 'busy' },
  ];
}

const $ = <T extends HTMLElement = HTMLButtonElement>(el: SoftPhone, sel: string): T => {
  const found = el.shadowRoot!.querySelector<T>(sel);
  if (!found) throw new Error(`${sel} is not shown`);
  return found;
};

async function click(el: SoftPhone, sel: string): Promise<void> {
  $(el, sel).click();
  await el.updateComplete;
}

async function type(el: SoftPhone, sel: string, value: string): Promise<void> {
  const input = $<HTMLInputElement>(el, sel);
  input.value = value;
  input.dispatchEvent(new Event('input'));
  await el.updateComplete;
}

/** Goes through the screens, checking each: `attrs` gives the theme and the language. */
async function checkScreens(attrs: Record<string, string>): Promise<void> {
  const what = JSON.stringify(attrs);
  localStorage.setItem('soft-phone:history:3999@server1.test', serializeHistory(history(Date.now())));
  // A bad prefix: a configuration error stays on screen.
  const el = await mountPhone({ ...ATTRS, ...attrs, prefix: '7' }, (el) => (el.password = 'pw'));
  await whenRegistered(el);
  const engine = onlyEngine();

  // Idle: the history list open, the settings panel after an audio check, a failed call, parked calls.
  await click(el, '[part=history] [data-action=history]');
  await until(() => el.shadowRoot!.querySelectorAll('[part=history] li').length === 4, 'the history list');
  await click(el, '[data-action=settings]');
  await click(el, '[part=settings] [data-action=test-audio]');
  await until(() => el.shadowRoot!.querySelector('[part=settings] [role=status]') !== null, 'the audio check done');
  await type(el, '[part=dialpad] input', '12ab');
  await click(el, '[data-action=call]');
  await until(() => el.shadowRoot!.querySelector('[part=notice][data-code=INVALID_NUMBER]') !== null, 'the error shown');
  engine.state.setParked([{ slot: '701', remote: { number: '4005', displayName: 'Dave', kind: 'internal' }, parkedAt: Date.now() }]);
  await el.updateComplete;
  await expectAccessible(el, `${what} idle: history, settings, errors, parked calls`);

  // A held call, a connected one (with a quality warning) and a ringing one; the transfer panel open.
  const first = engine.incoming({ number: '4000', displayName: 'Bob' });
  await el.answer(first.id);
  await el.hold(first.id);
  const second = await el.call('113999');
  engine.remote(second.id, 'established');
  engine.quality(second.id, BAD, ['high-packet-loss']);
  engine.incoming({ number: '4002', displayName: 'Carol' });
  await el.updateComplete;
  await click(el, '[data-action=transfer-toggle]');
  await type(el, '[part=transfer] input', '4001');
  await expectAccessible(el, `${what} three calls, the transfer panel`);

  // The in-call keypad of the connected call after a tone sent; the call muted, held by the far end,
  // transferred to us, reconnecting.
  await click(el, '[data-action=keypad]');
  await click(el, '[part=dialpad] [data-key="5"]');
  await until(() => engine.calledWith('sendDtmf').length === 1, 'the tone sent');
  await el.mute(second.id);
  engine.state.patchCall(second.id, { remoteHeld: true, transferredBy: '4003' });
  engine.reconnecting(second.id, 'media');
  await until(() => el.shadowRoot!.querySelectorAll('[part=call] .badge').length === 3, 'muted, held by the far end, reconnecting');
  await expectAccessible(el, `${what} the in-call keypad, call badges`);

  // The calls end, then the connection is lost.
  for (const call of el.calls) engine.remote(call.id, 'ended');
  engine.loseConnection();
  await el.updateComplete;
  await expectAccessible(el, `${what} a call ended, the connection lost`);
}

describe('<soft-phone> accessibility (axe-core) of its screens', () => {
  it('expectAccessible() fails on a violation in a shadow root, naming the rule and the element', async () => {
    const host = attach(document.createElement('div'));
    host.attachShadow({ mode: 'open' }).innerHTML = '<button id="nameless"></button>';
    const failure = await expectAccessible(host, 'a nameless button').then(() => undefined, (e: Error) => e.message);
    expect(failure).to.contain('a nameless button: 1 axe violation(s)').and.contain('button-name (critical)').and.contain('#nameless');
  });

  it('light theme, English', () => checkScreens({ theme: 'light', lang: 'en' }));
  it('dark theme, English', () => checkScreens({ theme: 'dark', lang: 'en' }));
  it('light theme, Hebrew (right to left)', () => checkScreens({ theme: 'light', lang: 'he' }));
  it('dark theme, Hebrew (right to left)', () => checkScreens({ theme: 'dark', lang: 'he' }));
  it('light theme, Japanese', () => checkScreens({ theme: 'light', lang: 'ja' }));
  it('light theme, Polish', () => checkScreens({ theme: 'light', lang: 'pl' }));
});
