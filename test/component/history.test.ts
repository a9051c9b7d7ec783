/**
 * The call history (property, storage per extension, clearing, the view) and how a caller from a
 * linked server is shown, with the fake engine.
 */
import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import type { SoftPhone } from '../../src/soft-phone.js';
import { serializeHistory, type CallRecord } from '../../src/core/call-history.js';
import type { DialTarget } from '../../src/core/engine.js';
import { FakeEngine } from './fake-engine.js';
import { isolateTests, mountPhone, until, whenRegistered } from './helpers.js';

isolateTests();

// bob at 2099 on the server with prefix 12; the server with prefix 11 is "Tokyo".
const BOB = {
  server: 'ws://127.0.0.1:8090',
  domain: 'server2.test',
  extension: '2099',
  prefix: '12',
  'linked-servers': '[{"prefix":"11","label":"Tokyo"}]',
};
const KEY = 'soft-phone:history:2099@server2.test';
const TOKYO_ALICE = { number: '113999', displayName: 'Alice', kind: 'linked', prefix: '11', server: 'Tokyo' } as const;

async function phone(attrs: Record<string, string> = BOB): Promise<{ el: SoftPhone; engine: FakeEngine; events: CustomEvent[] }> {
  const events: CustomEvent[] = [];
  const el = await mountPhone(attrs, (el) => {
    for (const n of ['incoming-call', 'call-ended', 'error']) el.addEventListener(`softphone-${n}`, (e) => events.push(e as CustomEvent));
  });
  await whenRegistered(el);
  return { el, engine: FakeEngine.live()[0]!, events };
}

const $ = <T extends Element = HTMLElement>(el: SoftPhone, sel: string): T | null => el.shadowRoot!.querySelector<T>(sel);
const $$ = (el: SoftPhone, sel: string): HTMLElement[] => [...el.shadowRoot!.querySelectorAll<HTMLElement>(sel)];
const words = (node: Element | null): string => node?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

async function openHistory(el: SoftPhone): Promise<void> {
  $<HTMLButtonElement>(el, '[part=history] [data-action=history]')!.click();
  await el.updateComplete;
}

function record(id: string, startedAt: number, extra: Partial<CallRecord> = {}): CallRecord {
  return {
    id,
    direction: 'outbound',
    remote: { number: '4000', kind: 'internal' },
    startedAt,
    endedAt: startedAt + 1000,
    endCause: 'hangup',
    ...extra,
  };
}

describe('<soft-phone> call history', () => {
  it('records ended calls newest first, a linked caller as prefix + extension with its server', async () => {
    const { el, engine } = await phone();
    expect(el.callHistory).to.deep.equal([]);
    const out = await el.call('4000');
    engine.remote(out.id, 'established');
    engine.remote(out.id, 'ended');
    const missed = engine.incoming(TOKYO_ALICE);
    engine.state.moveCall(missed.id, 'ended', { endCause: 'remote-hangup' });

    const history = el.callHistory;
    expect(history.map((r) => r.id)).to.deep.equal([missed.id, out.id]);
    expect(history[0]!.remote).to.deep.equal(TOKYO_ALICE);
    expect(history[0]).to.include({ direction: 'inbound', endCause: 'remote-hangup' });
    expect(history[1]!.answeredAt).to.be.a('number');
    // read-only: no setter, frozen records
    expect(() => ((el as unknown as { callHistory: unknown }).callHistory = [])).to.throw(TypeError);
    expect(Object.isFrozen(history) && Object.isFrozen(history[0]) && Object.isFrozen(history[0]!.remote)).to.equal(true);
    expect(el.callHistory, 'same list while nothing changed').to.equal(history);
  });

  it('keeps each extension its own last 100 calls', async () => {
    const old = Array.from({ length: 100 }, (_, i) => record(`old-${i}`, 1_000_000 + i * 1000));
    localStorage.setItem(KEY, serializeHistory([...old].reverse()));
    const { el, engine } = await phone();
    expect(el.callHistory).to.have.length(100);
    const call = await el.call('4000');
    engine.remote(call.id, 'ended');
    expect(el.callHistory).to.have.length(100);
    expect(el.callHistory[0]!.id).to.equal(call.id);
    expect(el.callHistory.at(-1)!.id, 'the oldest one dropped').to.equal('old-1');

    el.extension = '2100';
    await el.updateComplete;
    expect(el.callHistory, "another extension's history").to.deep.equal([]);
    el.extension = '2099';
    await el.updateComplete;
    expect(el.callHistory).to.have.length(100);
  });

  it('clearCallHistory() empties the history of this extension only, and the view says so', async () => {
    localStorage.setItem(KEY, serializeHistory([record('a', 2_000_000)]));
    localStorage.setItem('soft-phone:history:2100@server2.test', serializeHistory([record('b', 2_000_000)]));
    const { el } = await phone();
    await openHistory(el);
    expect($$(el, '[part=history] li')).to.have.length(1);
    $<HTMLButtonElement>(el, '[part=history] [data-action=clear-history]')!.click();
    await until(() => el.callHistory.length === 0, 'cleared');
    await el.updateComplete;
    expect(localStorage.getItem(KEY)).to.equal(null);
    expect(localStorage.getItem('soft-phone:history:2100@server2.test')).to.not.equal(null);
    expect(words($(el, '[part=history]'))).to.contain('No calls yet');
  });

  it('the view lists direction, number with server, time, talk time or cause; localized', async () => {
    const start = new Date(2026, 0, 15, 9, 5).getTime();
    localStorage.setItem(
      KEY,
      serializeHistory([
        record('talked', start + 3_000_000, { direction: 'inbound', remote: TOKYO_ALICE, answeredAt: start + 3_001_000, endedAt: start + 3_066_000 }),
        record('missed', start + 2_000_000, { direction: 'inbound', remote: { number: '113999', kind: 'linked', prefix: '11', server: 'Tokyo' }, endCause: 'remote-hangup' }),
        record('declined', start + 1_000_000, { direction: 'inbound', endCause: 'declined' }),
        record('busy', start, { endCause: 'busy', remote: { number: '0312345678', kind: 'external' } }),
      ]),
    );
    const { el } = await phone({ ...BOB, lang: 'ja' });
    const toggle = $(el, '[part=history] [data-action=history]')!;
    expect(words(toggle)).to.equal('発着信履歴 (4)');
    expect(toggle.getAttribute('aria-expanded')).to.equal('false');
    expect($$(el, '[part=history] li')).to.have.length(0);
    await openHistory(el);
    const items = $$(el, '[part=history] li');
    expect(items.map((li) => li.dataset.record)).to.deep.equal(['talked', 'missed', 'declined', 'busy']);
    const [talked, missed, declined, busy] = items.map((li) => words(li));
    const time = new Intl.DateTimeFormat('ja', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
    expect(talked).to.equal(`↙ Alice 113999 · Tokyo ${time.format(start + 3_000_000)} 1:05`);
    expect(missed).to.equal(`↙ 113999 · Tokyo ${time.format(start + 2_000_000)} 不在着信`);
    expect(items[1]!.classList.contains('missed')).to.equal(true);
    expect(declined).to.contain('拒否');
    expect(busy).to.match(/^↗ 0312345678 .* 話中$/);
    // An entry is named by what it shows, its arrow by the call's direction in words.
    expect(items[0]!.querySelector('[data-action=use]')!.hasAttribute('aria-label')).to.equal(false);
    expect(items.map((li) => li.querySelector('.arrow')!.getAttribute('aria-label'))).to.deep.equal(['着信', '着信', '着信', '発信']);
    expect(items[0]!.querySelector('[data-action=redial]')!.getAttribute('aria-label')).to.equal('113999 · Tokyo に発信');
  });

  it("today's calls show the time only", async () => {
    const at = Date.now() - 60_000;
    localStorage.setItem(KEY, serializeHistory([record('today', at)]));
    const { el } = await phone({ ...BOB, lang: 'pl' });
    await openHistory(el);
    const when = words($(el, '[part=history] time'));
    expect(when).to.equal(new Intl.DateTimeFormat('pl', { hour: 'numeric', minute: '2-digit' }).format(at));
  });

  it('choosing an entry (click or Enter) puts its number in the dialpad; the phone button calls it', async () => {
    localStorage.setItem(KEY, serializeHistory([record('linked', 3_000_000, { remote: TOKYO_ALICE })]));
    const { el, engine } = await phone();
    await openHistory(el);
    $<HTMLButtonElement>(el, '[part=history] [data-action=use]')!.click();
    await el.updateComplete;
    const input = $<HTMLInputElement>(el, '[part=dialpad] input')!;
    expect(input.value).to.equal('113999');
    input.value = '';
    input.dispatchEvent(new Event('input'));
    await el.updateComplete;

    $<HTMLButtonElement>(el, '[part=history] [data-action=use]')!.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(input.value).to.equal('113999');
    expect(engine.calledWith('call'), 'choosing does not call').to.have.length(0);

    $<HTMLButtonElement>(el, '[part=history] [data-action=redial]')!.click();
    await until(() => engine.calledWith('call').length === 1, 'called');
    const target = engine.calledWith('call')[0]!.args[0] as DialTarget;
    expect(target.uri).to.equal('sip:113999@server2.test');
    expect(target.remote).to.include({ number: '113999', kind: 'linked', server: 'Tokyo' });
  });

  it('is not shown during a call', async () => {
    const { el, engine } = await phone();
    const call = await el.call('4000');
    engine.remote(call.id, 'established');
    await el.updateComplete;
    expect($(el, '[part=history]')).to.equal(null);
  });
});

describe('<soft-phone> a caller from a linked server', () => {
  it('is shown as prefix + extension with the server in the card, the announcement, the event and the call list', async () => {
    const { el, engine, events } = await phone();
    const first = await el.call('4000');
    engine.remote(first.id, 'established');
    engine.incoming(TOKYO_ALICE);
    await el.updateComplete;
    const event = events.find((e) => e.type === 'softphone-incoming-call')!;
    expect(event.detail.call.remote).to.deep.equal(TOKYO_ALICE);
    expect(words($(el, '[part=incoming]'))).to.equal('Call waiting Alice 113999 via Tokyo Answer Decline');
    expect(words($(el, '[aria-live=assertive]'))).to.equal('Incoming call from Alice (113999 · Tokyo)');
    const rows = $$(el, '[part=call-list] li').map((li) => words(li));
    expect(rows).to.deep.equal(['4000 Connected', 'Alice via Tokyo Incoming call']);
  });

  it('is classified by the current linked-servers, also after they change', async () => {
    const { el, engine } = await phone();
    const classify = engine.config!.classify!;
    expect(classify('113999', 'Alice', 'server1.test')).to.include({ number: '113999', kind: 'linked', server: 'Tokyo' });
    el.linkedServers = [{ prefix: '11', label: 'Tokyo HQ' }];
    await until(() => classify('113999').server === 'Tokyo HQ', 'the new label is used');
    // a name at our own domain is one of ours, elsewhere it is outside
    expect(classify('alice', undefined, 'server2.test')).to.deep.equal({ number: 'alice@server2.test', kind: 'internal' });
    expect(classify('alice', undefined, 'example.com')).to.deep.equal({ number: 'alice@example.com', kind: 'external' });
  });
});
