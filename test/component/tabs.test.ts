/**
 * One phone per browser, element side, with the fake engine: two elements of the same extension in
 * one page share a Web Lock and a BroadcastChannel exactly as two tabs do (both APIs work between
 * objects of one document), so one leads and runs the only engine and the other follows.
 */
import { expect } from '@esm-bundle/chai';
import type { SoftPhone } from '../../src/soft-phone.js';
import { FakeEngine } from './fake-engine.js';
import { isolateTests, mountPhone, recordEvents, rejection, until, whenRegistered } from './helpers.js';

isolateTests();

const ATTRS = { server: 'ws://127.0.0.1:8088', domain: 'server1.test', extension: '4000' };

async function tab(attrs: Record<string, string> = {}): Promise<SoftPhone> {
  const el = await mountPhone({ ...ATTRS, ...attrs }, (el) => (el.password = 'pw'));
  await until(() => el.tabRole !== 'alone' || attrs['tab-sharing'] === 'off', 'a role');
  return el;
}

const $ = (el: SoftPhone, sel: string): HTMLElement | null => el.shadowRoot!.querySelector<HTMLElement>(sel);

describe('<soft-phone> tabs share one phone', () => {
  it('the first element leads and the second follows: one engine, both registered, the follower says so', async () => {
    const leader = await tab();
    const follower = await tab();
    await whenRegistered(leader);
    await whenRegistered(follower);
    expect(leader.tabRole).to.equal('leader');
    expect(follower.tabRole).to.equal('follower');
    expect(leader.getAttribute('tab-role')).to.equal('leader');
    expect(follower.getAttribute('tab-role')).to.equal('follower');
    expect(FakeEngine.live().length).to.equal(1);
    expect($(follower, '[part=tabs]')?.textContent).to.contain('This phone runs in another tab');
    expect($(leader, '[part=tabs]')).to.equal(null);
  });

  it('an incoming call rings in both; answered from the follower it is established in both, local only in the leader', async () => {
    const leader = await tab();
    const follower = await tab();
    await whenRegistered(follower);
    const seen = [recordEvents(leader, ['incoming-call', 'call-established']), recordEvents(follower, ['incoming-call', 'call-established'])];
    const engine = FakeEngine.live()[0]!;
    const call = engine.incoming({ number: '3999', displayName: 'Alice' });
    await until(() => follower.calls.length === 1, 'the follower shows the call');
    await follower.answer();
    await until(() => leader.calls[0]?.state === 'established' && follower.calls[0]?.state === 'established', 'established in both');
    expect(engine.calledWith('answer')[0]!.args).to.deep.equal([call.id]);
    for (const events of seen) expect(events.map((e) => e.type)).to.deep.equal(['incoming-call', 'call-established']);
    expect(follower.calls[0]!.id).to.equal(call.id);
    expect(leader.calls[0]!.local).to.equal(true);
    expect(follower.calls[0]!.local).to.equal(false);
    await follower.hold();
    await until(() => leader.calls[0]?.state === 'held', 'held in the leader');
    await leader.hangup();
    await until(() => follower.calls.length === 0, 'ended in the follower');
  });

  it('the leader is removed: the follower takes over with a role event and registers with its own engine', async () => {
    const leader = await tab();
    const follower = await tab();
    await whenRegistered(follower);
    const roles = recordEvents(follower, ['tab-role']);
    const first = FakeEngine.live()[0]!;
    leader.remove();
    await until(() => follower.tabRole === 'leader', 'the follower leads');
    await whenRegistered(follower);
    expect(roles.map((e) => e.detail)).to.deep.equal([{ role: 'leader' }]);
    expect(first.disposed).to.equal(true);
    expect(FakeEngine.live().length).to.equal(1);
    expect(FakeEngine.live()[0]!.config?.password, "the follower's own password").to.equal('pw');
  });

  it('tab-sharing="off": each element has its own engine and is alone', async () => {
    const a = await tab({ 'tab-sharing': 'off' });
    const b = await tab({ 'tab-sharing': 'off' });
    await whenRegistered(a);
    await whenRegistered(b);
    expect([a.tabRole, b.tabRole]).to.deep.equal(['alone', 'alone']);
    expect(a.getAttribute('tab-role')).to.equal('alone');
    expect(FakeEngine.live().length).to.equal(2);
  });

  it('different extensions do not share', async () => {
    const a = await tab();
    const b = await tab({ extension: '4001' });
    expect([a.tabRole, b.tabRole]).to.deep.equal(['leader', 'leader']);
    expect(FakeEngine.live().length).to.equal(2);
  });

  it('the leader with a live call asks before the page unloads, unless unload-warning="off"; a follower never asks', async () => {
    const leader = await tab();
    const follower = await tab();
    await whenRegistered(follower);
    const unload = (): boolean => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(unload(), 'no call: no prompt').to.equal(false);
    FakeEngine.live()[0]!.incoming({ number: '3999' });
    await until(() => follower.calls.length === 1, 'the call is everywhere');
    expect(unload(), 'the leader holds a live call').to.equal(true);
    leader.unloadWarning = 'off';
    expect(unload(), 'turned off').to.equal(false);
  });

  it('popOut() opens pop-out-url in a named window; without the URL it is INVALID_CONFIG', async () => {
    const el = await tab();
    expect((await rejection(el.popOut())).code).to.equal('INVALID_CONFIG');
    expect($(el, '[data-action=pop-out]')).to.equal(null);
    const opened: unknown[][] = [];
    const original = window.open;
    window.open = ((...args: unknown[]) => {
      opened.push(args);
      return {} as Window;
    }) as typeof window.open;
    try {
      el.popOutUrl = '/pop-out.html?extension=4000';
      await el.updateComplete;
      $(el, '[data-action=pop-out]')!.click();
      await until(() => opened.length === 1, 'a window opened');
      expect(opened[0]![0]).to.equal('/pop-out.html?extension=4000');
      expect(String(opened[0]![1])).to.match(/^soft-phone-pop-out:soft-phone:4000@server1\.test$/);
    } finally {
      window.open = original;
    }
  });
});
