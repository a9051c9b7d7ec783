/**
 * Tabs that share one phone, without a browser: each "tab" is a TabEngine on its own PhoneState,
 * the tabs talk over Node's real BroadcastChannel and share an in-memory lock manager that behaves
 * like the Web Locks API (exclusive, queued in order, ifAvailable, steal, abort). The SIP side is the
 * element tests' fake engine.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { EngineConfig } from '../../src/core/engine.js';
import { PhoneState, type PhoneChange } from '../../src/core/phone-state.js';
import type { CallInfo } from '../../src/core/types.js';
import { groupKey, type TabRole } from '../../src/tabs/protocol.js';
import { TabEngine } from '../../src/tabs/tab-engine.js';
import type { TabLocks } from '../../src/tabs/protocol.js';
import { FakeEngine } from '../component/fake-engine.js';

/** One browser's lock manager: exclusive locks, granted in request order. */
class Locks implements TabLocks {
  #held = new Map<string, { reject(e: Error): void }>();
  #queues = new Map<string, (() => void)[]>();

  request(
    name: string,
    options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          if (this.#held.get(name) !== holder) return;
          this.#held.delete(name);
          this.#next(name);
        };
        const holder = { reject: (e: Error) => { release(); reject(e); } };
        this.#held.set(name, holder);
        Promise.resolve()
          .then(() => callback({ name }))
          .then((v) => { if (!released) { release(); resolve(v); } }, (e: Error) => { release(); reject(e); });
      };
      if (options.steal) {
        const robbed = this.#held.get(name);
        grant();
        robbed?.reject(Object.assign(new Error('lock stolen'), { name: 'AbortError' }));
        return;
      }
      if (!this.#held.has(name)) return grant();
      if (options.ifAvailable) {
        Promise.resolve().then(() => callback(null)).then(resolve, reject);
        return;
      }
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      const entry = (): void => grant();
      queue.push(entry);
      options.signal?.addEventListener('abort', () => {
        const at = queue.indexOf(entry);
        if (at >= 0) {
          queue.splice(at, 1);
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        }
      });
    });
  }

  #next(name: string): void {
    if (this.#held.has(name)) return;
    this.#queues.get(name)?.shift()?.();
  }
}

const channels: BroadcastChannel[] = [];

interface Tab {
  engine: TabEngine;
  state: PhoneState;
  roles: TabRole[];
  problems: string[];
  changes: PhoneChange[];
}

const config = (extension = '4000', password: string | undefined = 'tab-secret-9d1'): EngineConfig => ({
  servers: ['ws://127.0.0.1:1/'],
  domain: 'server1.test',
  extension,
  authUser: extension,
  ...(password ? { password } : {}),
  expires: 30,
  refresh: 15,
  iceServers: [],
});

const tabs: Tab[] = [];

function openTab(
  locks: Locks,
  options: { claim?: boolean; extension?: string; password?: string | undefined; renew?: () => Promise<string | undefined> } = {},
): Tab {
  const state = new PhoneState();
  const tab: Tab = { state, roles: [], problems: [], changes: [], engine: undefined as unknown as TabEngine };
  state.subscribe((c) => tab.changes.push(c));
  tab.engine = new TabEngine({
    factory: (s) => new FakeEngine(s),
    state,
    locks,
    channel: (name) => {
      const c = new BroadcastChannel(name);
      channels.push(c);
      return c as unknown as ReturnType<ConstructorParameters<typeof TabEngine>[0]['channel']>;
    },
    onRole: (r) => tab.roles.push(r),
    onProblem: (e) => tab.problems.push(`${e.code}: ${e.message}`),
    ...(options.claim ? { claim: true } : {}),
    ...(options.renew ? { renew: options.renew } : {}),
    replyTimeoutMs: 2000,
  });
  tab.engine.configure(config(options.extension, 'password' in options ? options.password : 'tab-secret-9d1'));
  void tab.engine.register().catch(() => undefined);
  tabs.push(tab);
  return tab;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

/** The fake engine of the one tab that runs the phone. */
function liveEngine(): FakeEngine {
  const live = FakeEngine.live();
  assert.equal(live.length, 1, 'exactly one real engine');
  return live[0]!;
}

const callIn = (): CallInfo => liveEngine().incoming({ number: '3999', displayName: 'Alice' });

afterEach(async () => {
  for (const tab of tabs.splice(0)) await tab.engine.dispose();
  for (const c of channels.splice(0)) c.close();
  FakeEngine.reset();
});

describe('tabs share one phone', () => {
  it('three tabs: one leads and runs the only engine, the others follow and show its registration', async () => {
    const locks = new Locks();
    const [a, b, c] = [openTab(locks), openTab(locks), openTab(locks)];
    await until(() => [a, b, c].every((t) => t.state.registration === 'registered'), 'all show registered');
    assert.deepEqual([a.engine.role, b.engine.role, c.engine.role], ['leader', 'follower', 'follower']);
    assert.equal(FakeEngine.created.length, 1);
    assert.equal(liveEngine().calledWith('register').length, 1, 'the followers asked, the registered leader did not register again');
  });

  it('an incoming call shows in every tab with the same id; local only in the leader', async () => {
    const locks = new Locks();
    const [a, b] = [openTab(locks), openTab(locks)];
    await until(() => b.engine.role === 'follower', 'b follows');
    const call = callIn();
    await until(() => b.state.calls.length === 1, 'b shows the call');
    assert.equal(a.state.calls[0]!.id, call.id);
    assert.equal(b.state.calls[0]!.id, call.id);
    assert.equal(a.state.calls[0]!.local, true);
    assert.equal(b.state.calls[0]!.local, false);
  });

  it("a follower's answer, hold and hangup run on the leader's engine, errors keep their code", async () => {
    const locks = new Locks();
    const [a, b] = [openTab(locks), openTab(locks)];
    await until(() => b.engine.role === 'follower', 'b follows');
    const call = callIn();
    await until(() => b.state.calls.length === 1, 'b shows the call');
    await b.engine.answer(call.id);
    assert.equal(a.state.getCall(call.id)?.state, 'established');
    assert.equal(b.state.getCall(call.id)?.state, 'established', 'the change came before the reply');
    await b.engine.hold(call.id);
    assert.equal(b.state.getCall(call.id)?.state, 'held');
    await assert.rejects(b.engine.hold('no-such-call'), (e: { code: string }) => e.code !== undefined && e.code !== '');
    await b.engine.hangup(call.id);
    assert.equal(b.state.calls.length, 0);
    assert.deepEqual(liveEngine().log.map((l) => l.method).filter((m) => m !== 'configure' && m !== 'register'), ['answer', 'hold', 'hold', 'hangup']);
  });

  it('a tab that joins late gets the current state at once, without the earlier events', async () => {
    const locks = new Locks();
    const a = openTab(locks);
    await until(() => a.engine.role === 'leader', 'a leads');
    const call = callIn();
    await a.engine.answer(call.id);
    await a.engine.hold(call.id);
    const late = openTab(locks);
    await until(() => late.state.calls.length === 1, 'late shows the call');
    assert.equal(late.state.registration, 'registered');
    assert.equal(late.state.calls[0]!.state, 'held');
    const callChanges = late.changes.filter((c) => c.kind === 'call');
    assert.equal(callChanges.length, 1, 'one change: the call as it is now');
  });

  it('the leader leaves: the next tab leads, registers with its own password, and the call that was there ended', async () => {
    const locks = new Locks();
    const [a, b, c] = [openTab(locks), openTab(locks), openTab(locks)];
    await until(() => c.engine.role === 'follower', 'c follows');
    callIn();
    await until(() => c.state.calls.length === 1, 'c shows the call');
    const first = liveEngine();
    await a.engine.dispose();
    tabs.splice(tabs.indexOf(a), 1);
    assert.ok(first.disposed);
    await until(() => b.engine.role === 'leader', 'b leads');
    const second = liveEngine();
    assert.notEqual(second, first);
    assert.equal(second.config?.password, 'tab-secret-9d1', "b's own password");
    assert.equal(second.calledWith('register').length, 1, 'b registers');
    await until(() => c.state.calls.length === 0 && c.state.registration === 'registered', 'c follows b');
    const ended = c.changes.filter((ch) => ch.kind === 'call' && ch.call.state === 'ended');
    assert.equal(ended.length, 1);
    assert.ok(c.changes.some((ch) => ch.kind === 'registration' && ch.to === 'unregistered'), 'c showed the phone gone before b registered');
    assert.deepEqual(b.problems, []);
  });

  it('a tab without a password that takes over says so', async () => {
    const locks = new Locks();
    const a = openTab(locks);
    await until(() => a.engine.role === 'leader', 'a leads');
    const b = openTab(locks, { password: '' });
    await until(() => b.engine.role === 'follower', 'b follows');
    await a.engine.dispose();
    tabs.splice(tabs.indexOf(a), 1);
    await until(() => b.engine.role === 'leader', 'b leads');
    assert.equal(b.problems.length, 1);
    assert.match(b.problems[0]!, /^AUTH_FAILED: .*no password/);
  });

  it("a tab without a password that takes over registers with the one its host renews (the agent's session), and says nothing", async () => {
    const locks = new Locks();
    const a = openTab(locks);
    await until(() => a.engine.role === 'leader', 'a leads');
    let asked = 0;
    const b = openTab(locks, { password: '', renew: async () => (asked++, 'renewed-secret') });
    await until(() => b.engine.role === 'follower', 'b follows');
    await a.engine.dispose();
    tabs.splice(tabs.indexOf(a), 1);
    await until(() => FakeEngine.live()[0]?.calledWith('register').length === 1, 'b registers');
    const engine = liveEngine();
    assert.equal(asked, 1);
    assert.equal(engine.config?.password, 'renewed-secret', 'registered with the renewed password');
    assert.deepEqual(b.problems, []);
  });

  it('a pop-out window claims the lead once the leader has no call, and the others follow it', async () => {
    const locks = new Locks();
    const [crm1, crm2] = [openTab(locks), openTab(locks)];
    await until(() => crm2.engine.role === 'follower', 'crm2 follows');
    const call = callIn();
    await until(() => crm2.state.calls.length === 1, 'crm2 shows the call');
    const first = liveEngine();
    const pop = openTab(locks, { claim: true });
    await until(() => pop.state.calls.length === 1, 'the window shows the call');
    assert.equal(pop.engine.role, 'follower', 'no takeover while the leader has a call');
    await crm2.engine.hangup(call.id);
    await until(() => pop.engine.role === 'leader', 'the window leads');
    assert.ok(first.disposed);
    assert.equal(crm1.engine.role, 'follower');
    const second = liveEngine();
    assert.equal(second.calledWith('register').length, 1);
    await until(() => [crm1, crm2].every((t) => t.state.registration === 'registered'), 'the CRM tabs show registered');
  });

  it('different extensions are different groups; the password never crosses tabs', async () => {
    const locks = new Locks();
    const sent: unknown[] = [];
    const spy = new BroadcastChannel(groupKey({ extension: '4000', domain: 'server1.test' })!);
    spy.onmessage = (e) => sent.push(e.data);
    channels.push(spy);
    const a = openTab(locks);
    const b = openTab(locks, { extension: '4001' });
    const c = openTab(locks);
    await until(() => a.engine.role === 'leader' && b.engine.role === 'leader' && c.engine.role === 'follower', 'roles');
    assert.equal(FakeEngine.live().length, 2);
    await until(() => c.state.registration === 'registered', 'c registered');
    assert.ok(sent.length > 0);
    assert.ok(!JSON.stringify(sent).includes('tab-secret-9d1'), 'no password on the channel');
  });
});
