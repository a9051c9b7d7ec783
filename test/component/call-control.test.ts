/**
 * The element's call-control UI with a fake engine: the transfer panel ('#', '*', complete, cancel),
 * the park button and the parked list, and the call policy showing on the buttons (disabled, with the
 * localized reason) as well as in the methods (NOT_ALLOWED).
 */
import { expect } from '@esm-bundle/chai';
import type { SoftPhone } from '../../src/soft-phone.js';
import { FakeEngine } from './fake-engine.js';
import { isolateTests, mountPhone, rejection, until, whenRegistered } from './helpers.js';

isolateTests();

async function phone(attrs: Record<string, string> = {}): Promise<{ el: SoftPhone; engine: FakeEngine }> {
  const el = await mountPhone(
    { server: 'ws://127.0.0.1:8088', domain: 'server1.test', extension: '4000', ...attrs },
    (el) => (el.password = 'pw'),
  );
  await whenRegistered(el);
  return { el, engine: FakeEngine.live()[0]! };
}

const $ = <T extends Element = HTMLButtonElement>(el: SoftPhone, sel: string): T | null => el.shadowRoot!.querySelector<T>(sel);
const reasons = (el: SoftPhone): string[] => [...el.shadowRoot!.querySelectorAll('[part=transfer] .why')].map((n) => n.textContent ?? '');

async function click(el: SoftPhone, sel: string): Promise<void> {
  const button = $(el, sel);
  expect(button !== null, sel).to.equal(true);
  button!.click();
  await el.updateComplete;
}

/** A caller rings and the agent answers: an inbound, established call. */
async function inboundCall(el: SoftPhone, engine: FakeEngine, number = '3999'): Promise<string> {
  const call = engine.incoming({ number });
  await el.answer(call.id);
  await el.updateComplete;
  return call.id;
}

/** The agent dials and the far end answers: an outbound, established call. */
async function outboundCall(el: SoftPhone, engine: FakeEngine, number = '4001'): Promise<string> {
  const call = await el.call(number);
  engine.remote(call.id, 'established');
  await el.updateComplete;
  return call.id;
}

describe('<soft-phone> transfer panel', () => {
  it("an agent takes a call, keys in 4001 on the panel's keys and '#'-transfers it", async () => {
    const { el, engine } = await phone();
    const id = await inboundCall(el, engine);
    expect($(el, '[data-action=park]')!.disabled).to.equal(false);
    await click(el, '[data-action=transfer-toggle]');
    expect($(el, '[data-action=transfer-toggle]')!.getAttribute('aria-expanded')).to.equal('true');
    expect($(el, '[data-action=transfer-blind]')!.disabled, 'nothing typed yet').to.equal(true);
    for (const k of ['4', '0', '0', '1']) await click(el, `[part=transfer] [data-key="${k}"]`);
    expect($<HTMLInputElement>(el, '[part=transfer] input')!.value).to.equal('4001');
    await click(el, '[data-action=transfer-blind]');
    await until(() => engine.calledWith('transfer').length === 1, 'transfer called');
    const [callId, target, mode] = engine.calledWith('transfer')[0]!.args as [string, { uri: string }, string];
    expect([callId, target.uri, mode]).to.deep.equal([id, 'sip:4001@server1.test', 'blind']);
    await until(() => $(el, '[part=transfer] input') === null, 'the panel closes after the transfer');
  });

  it("Enter in the target field '#'-transfers; '*' transfers with the button", async () => {
    const { el, engine } = await phone();
    await inboundCall(el, engine);
    await click(el, '[data-action=transfer-toggle]');
    const input = $<HTMLInputElement>(el, '[part=transfer] input')!;
    input.value = '4002';
    input.dispatchEvent(new Event('input'));
    await el.updateComplete;
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await until(() => engine.calledWith('transfer').length === 1, 'blind transfer');
    expect(engine.calledWith('transfer')[0]!.args[2]).to.equal('blind');
    await until(() => $(el, '[part=transfer] input') === null, 'the panel closes');
    await click(el, '[data-action=transfer-toggle]');
    const again = $<HTMLInputElement>(el, '[part=transfer] input')!;
    again.value = '4002';
    again.dispatchEvent(new Event('input'));
    await el.updateComplete;
    await click(el, '[data-action=transfer-attended]');
    await until(() => engine.calledWith('transfer').length === 2, 'attended transfer');
    expect(engine.calledWith('transfer')[1]!.args[2]).to.equal('attended');
  });

  it('on a call the agent placed, # / * transfer and park are disabled with the reason, and refused', async () => {
    const { el, engine } = await phone();
    const id = await outboundCall(el, engine);
    await click(el, '[data-action=transfer-toggle]');
    const input = $<HTMLInputElement>(el, '[part=transfer] input')!;
    input.value = '4002';
    input.dispatchEvent(new Event('input'));
    await el.updateComplete;
    for (const action of ['park', 'transfer-blind', 'transfer-attended']) {
      const b = $(el, `[data-action=${action}]`)!;
      expect(b.disabled, action).to.equal(true);
      expect(b.title, action).to.equal('Not allowed on calls you placed');
    }
    expect(reasons(el)).to.deep.equal(['Not allowed on calls you placed']);
    for (const p of [el.transfer('4002', { mode: 'blind' }, id), el.transfer('4002', { mode: 'attended' }, id), el.park(id)]) {
      const error = await rejection(p);
      expect(error.code).to.equal('NOT_ALLOWED');
      expect(error.message).to.contain('calls the agent placed');
    }
    expect(engine.calledWith('transfer')).to.have.length(0);
    expect(engine.calledWith('park')).to.have.length(0);

    // the host lifts the rule for '#' transfers and park
    el.callPolicy = { outbound: { blindTransfer: true, park: true } };
    await until(() => !$(el, '[data-action=park]')!.disabled, 'park enabled');
    expect($(el, '[data-action=transfer-blind]')!.disabled).to.equal(false);
    expect($(el, '[data-action=transfer-attended]')!.disabled).to.equal(true);
    const parked = await el.park(id);
    expect(parked.slot).to.equal('701');
  });

  it('the reason is in the element language (ja, he, pl)', async () => {
    const { el, engine } = await phone({ lang: 'ja' });
    await outboundCall(el, engine);
    expect(reasons(el)).to.deep.equal(['発信した通話では利用できません']);
    expect($(el, '[data-action=park]')!.textContent?.trim()).to.equal('パーク保留');
    el.lang = 'pl';
    await el.updateComplete;
    expect(reasons(el)).to.deep.equal(['Niedozwolone w połączeniach wychodzących']);
    el.lang = 'he';
    await el.updateComplete;
    expect(reasons(el)).to.deep.equal(['לא מותר בשיחות שחייגת']);
  });

  it('hold transfer: with a held call and a second call, complete joins them and cancel ends the second', async () => {
    const { el, engine } = await phone();
    const held = await inboundCall(el, engine);
    await el.hold(held);
    const second = await outboundCall(el, engine);
    await click(el, '[data-action=transfer-complete]');
    await until(() => engine.calledWith('completeTransfer').length === 1, 'complete');
    expect(engine.calledWith('completeTransfer')[0]!.args).to.deep.equal([held, second]);
    await click(el, '[data-action=transfer-cancel]');
    await until(() => engine.calledWith('cancelTransfer').length === 1, 'cancel');
    expect(engine.calledWith('cancelTransfer')[0]!.args).to.deep.equal([held, second]);
  });

  it('a host that forbids hold transfers: complete is disabled with the reason and refused', async () => {
    const { el, engine } = await phone();
    el.callPolicy = { inbound: { holdTransfer: false } };
    const held = await inboundCall(el, engine);
    await el.hold(held);
    await outboundCall(el, engine);
    await until(() => Boolean($(el, '[data-action=transfer-complete]')?.disabled), 'complete disabled');
    expect($(el, '[data-action=transfer-complete]')!.title).to.equal('Not allowed on calls you received');
    const error = await rejection(el.completeTransfer());
    expect(error.code).to.equal('NOT_ALLOWED');
    expect(engine.calledWith('completeTransfer')).to.have.length(0);
  });

  it('a consult call of a * transfer is joined with ITS held call, even when another call is held', async () => {
    const { el, engine } = await phone();
    const first = await inboundCall(el, engine, '3999');
    await el.hold(first);
    const second = await inboundCall(el, engine, '4002');
    await el.hold(second);
    const consult = await outboundCall(el, engine, '4001');
    engine.state.patchCall(consult, { consultFor: first });
    await el.completeTransfer();
    expect(engine.calledWith('completeTransfer')[0]!.args).to.deep.equal([first, consult]);
  });
});

describe('<soft-phone> parked calls', () => {
  it('lists every parked call with slot, caller and time, the count, and retrieves one with a click', async () => {
    const { el, engine } = await phone();
    const parkedAt = Date.now();
    engine.state.setParked([
      { slot: '701', remote: { number: '3999', displayName: 'Alice', kind: 'internal' }, parkedAt },
      { slot: '702', remote: { number: '0312345678', kind: 'external' }, parkedAt },
    ]);
    await el.updateComplete;
    expect(el.parkedCalls.map((p) => p.slot)).to.deep.equal(['701', '702']);
    expect($(el, '[part=parked] .label')!.textContent).to.equal('Parked calls: 2');
    const rows = [...el.shadowRoot!.querySelectorAll('[part=parked] li')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    expect(rows[0]).to.match(/^701 Alice \d/);
    expect(rows[1]).to.match(/^702 0312345678 \d/);
    expect($(el, '[part=parked] li[data-slot="701"] time')!.getAttribute('datetime')).to.equal(new Date(parkedAt).toISOString());
    const retrieve = $(el, '[part=parked] li[data-slot="702"] [data-action=retrieve]')!;
    expect(retrieve.getAttribute('aria-label')).to.equal('Retrieve 0312345678 from slot 702');
    retrieve.click();
    await until(() => engine.calledWith('call').length === 1, 'the slot is called');
    expect((engine.calledWith('call')[0]!.args[0] as { uri: string }).uri).to.equal('sip:702@server1.test');
  });

  it('retrieve() accepts only the configured park slots', async () => {
    const { el } = await phone({ 'park-slots': '701-703' });
    const error = await rejection(el.retrieve('704'));
    expect(error.code).to.equal('INVALID_NUMBER');
    expect(error.message).to.contain('704');
  });

  it('the park button parks the current call', async () => {
    const { el, engine } = await phone();
    const id = await inboundCall(el, engine);
    await click(el, '[data-action=park]');
    await until(() => engine.calledWith('park').length === 1, 'park called');
    expect(engine.calledWith('park')[0]!.args[0]).to.equal(id);
    expect((engine.calledWith('park')[0]!.args[1] as string[]).slice(0, 2)).to.deep.equal(['701', '702']);
  });
});

describe('<soft-phone> far-end hold and transfers shown on the call card', () => {
  it('shows "Held by the other party" and who transferred the call', async () => {
    const { el, engine } = await phone();
    const id = await inboundCall(el, engine);
    engine.state.patchCall(id, { remoteHeld: true, transferredBy: '4003' });
    await el.updateComplete;
    const card = $(el, '[part=call]')!.textContent!.replace(/\s+/g, ' ');
    expect(card).to.contain('Held by the other party');
    expect(card).to.contain('Transferred by 4003');
    expect(el.calls[0]!.state).to.equal('established');
  });
});
