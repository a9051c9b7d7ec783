/**
 * Linked servers end to end: `<soft-phone>` elements registered on BOTH lab servers. server1 has
 * prefix 11 and knows server2 as "Osaka" (12); server2 has prefix 12 and knows server1 as "Tokyo"
 * (11). alice (3999) is on server1, bob (2099) and erin (2100) on server2. Dialing prefix + extension
 * reaches the other server, and each side shows the other as prefix + extension with its label: in
 * the events, the call card and the call history. The call policy applies to linked calls exactly as
 * to the others; transfers hand linked calls on as the seed product does ('#': the target sees the
 * original caller; '*' and hold transfer: the target sees the transferring agent), and a parked
 * linked call is counted. Chromium's microphone is a 440 Hz tone.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ServerName } from '../../lab/lab.js';
import { startParkOrbit } from '../../lab/park-orbit/park-orbit.js';
import { hearEachOther, openPhonePage, Phone, toneWav, until, withLab, type CallSnapshot } from './harness.js';

const TONE_HZ = 440;

const LINKED: Record<ServerName, Record<string, string>> = {
  server1: { prefix: '11', 'linked-servers': JSON.stringify([{ prefix: '12', label: 'Osaka' }]) },
  server2: { prefix: '12', 'linked-servers': JSON.stringify([{ prefix: '11', label: 'Tokyo' }]) },
};

/** alice as bob sees her, and bob as alice sees him. */
const ALICE_AT_BOB = { number: '113999', displayName: 'Alice', kind: 'linked', prefix: '11', server: 'Tokyo' };
const BOB_AT_ALICE = { number: '122099', displayName: 'Bob', kind: 'linked', prefix: '12', server: 'Osaka' };
const BOB_DIALED = { number: '122099', kind: 'linked', prefix: '12', server: 'Osaka' };

interface HistoryRecord {
  id: string;
  direction: string;
  remote: CallSnapshot['remote'];
  endCause: string;
  answeredAt?: number;
}

/** The text of a part of the element's UI, whitespace collapsed. */
function partText(p: Phone, selector: string): Promise<string> {
  return p.page.evaluate(
    ({ id, selector }) =>
      [...(document.getElementById(id)?.shadowRoot?.querySelectorAll(selector) ?? [])]
        .map((n) => n.textContent?.replace(/\s+/g, ' ').trim() ?? '')
        .join(' | '),
    { id: p.id, selector },
  );
}

/** Whether the element's park button is disabled (undefined when there is none). */
function parkDisabled(p: Phone): Promise<boolean | undefined> {
  return p.page.evaluate((id) => document.getElementById(id)?.shadowRoot?.querySelector<HTMLButtonElement>('[data-action=park]')?.disabled, p.id);
}

/** Opens the history view and returns its entries' text. */
async function historyEntries(p: Phone): Promise<string[]> {
  return p.page.evaluate(async (id) => {
    const el = document.getElementById(id) as HTMLElement & { updateComplete: Promise<unknown> };
    const root = el.shadowRoot!;
    const toggle = root.querySelector<HTMLButtonElement>('[part=history] [data-action=history]');
    if (toggle?.getAttribute('aria-expanded') === 'false') {
      toggle.click();
      await el.updateComplete;
    }
    return [...root.querySelectorAll('[part=history] li')].map((li) => li.textContent?.replace(/\s+/g, ' ').trim() ?? '');
  }, p.id);
}

const pick = (r: CallSnapshot['remote'] | undefined) =>
  r && { number: r.number, kind: r.kind, prefix: r.prefix, server: r.server, ...(r.displayName ? { displayName: r.displayName } : {}) };

describe('linked servers', () => {
  const fx = withLab({ fakeAudioFile: () => toneWav(TONE_HZ) });
  const phones: Phone[] = [];

  async function phone(ext: string, server: ServerName, attrs: Record<string, string> = LINKED[server]): Promise<Phone> {
    const page = await openPhonePage(fx.browser, fx.web.url);
    const account = fx.lab.accounts[server].find((a) => a.extension === ext);
    assert.ok(account, `lab account ${ext} on ${server}`);
    const p = await Phone.add(page, { server: fx.lab.servers[server].wsUrl, account, attrs });
    phones.push(p);
    await p.waitForEvent('softphone-registered');
    return p;
  }

  let alice: Phone;
  let bob: Phone;
  const count = async (p: Phone, type: string): Promise<number> => (await p.events(type)).length;

  /** `from` dials `number`, `to` answers; returns both sides' CallInfo once connected. */
  async function connect(from: Phone, to: Phone, number: string): Promise<{ out: CallSnapshot; in: CallSnapshot }> {
    const [rings, ups] = [await count(to, 'softphone-incoming-call'), await count(from, 'softphone-call-established')];
    const out = await from.invoke<CallSnapshot>('call', number);
    const incoming = await to.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    await to.invoke('answer', incoming.detail.call!.id);
    await from.waitForEvent('softphone-call-established', { count: ups + 1 });
    await until(async () => (await to.calls()).some((c) => c.id === incoming.detail.call!.id && c.state === 'established'), 'answered');
    return { out, in: incoming.detail.call! };
  }

  async function hangUp(from: Phone, to: Phone): Promise<void> {
    const ended = await count(to, 'softphone-call-ended');
    await from.invoke('hangup');
    await to.waitForEvent('softphone-call-ended', { count: ended + 1 });
    await until(async () => (await from.calls()).length === 0 && (await to.calls()).length === 0, 'no calls left');
  }

  fx.test('registers alice on server1 and bob on server2, each with the other as a linked server', async () => {
    alice = await phone('3999', 'server1');
    bob = await phone('2099', 'server2');
    assert.equal(await alice.registrationState(), 'registered');
    assert.equal(await bob.registrationState(), 'registered');
  });

  for (const [i, dialed] of ['122099', '12-2099', '12 2099'].entries()) {
    fx.test(`alice dials ${JSON.stringify(dialed)}: bob sees 113999 from Tokyo, alice sees 122099 at Osaka${i ? '' : ', audio both ways'}`, async () => {
      const ringing = await count(bob, 'softphone-incoming-call');
      const out = await alice.invoke<CallSnapshot>('call', dialed);
      assert.deepEqual(pick(out.remote), BOB_DIALED, 'the caller shows the dialed linked number');
      const incoming = await bob.waitForEvent('softphone-incoming-call', { count: ringing + 1 });
      assert.deepEqual(pick(incoming.detail.call?.remote), ALICE_AT_BOB, 'the callee sees prefix + extension from Tokyo');
      assert.equal(await partText(bob, '[part=incoming] .who'), 'Alice 113999 via Tokyo');

      const ups = await count(alice, 'softphone-call-established');
      await bob.invoke('answer');
      const established = await alice.waitForEvent('softphone-call-established', { count: ups + 1 });
      assert.deepEqual(pick(established.detail.call?.remote), BOB_DIALED);
      await until(async () => (await bob.calls())[0]?.state === 'established' || undefined, 'bob connected');
      assert.equal(await partText(alice, '[part=call] .who'), '122099 via Osaka');
      assert.equal(await partText(bob, '[part=call] .who'), 'Alice 113999 via Tokyo');

      if (i === 0) await hearEachOther(alice, bob, { toneHz: TONE_HZ, listenMs: 1200 });

      await hangUp(alice, bob);
      // Both histories: the newest record is this call, the far end as prefix + extension with its label.
      const [aliceLast, bobLast] = [(await alice.prop<HistoryRecord[]>('callHistory'))[0]!, (await bob.prop<HistoryRecord[]>('callHistory'))[0]!];
      assert.equal(aliceLast.id, out.id);
      assert.deepEqual(pick(aliceLast.remote), BOB_DIALED);
      assert.equal(aliceLast.endCause, 'hangup');
      assert.equal(bobLast.id, incoming.detail.call?.id);
      assert.deepEqual(pick(bobLast.remote), ALICE_AT_BOB);
      assert.deepEqual([bobLast.direction, bobLast.endCause, typeof bobLast.answeredAt], ['inbound', 'remote-hangup', 'number']);
      assert.match((await historyEntries(bob))[0]!, /^↙ Alice 113999 · Tokyo .+ 0:0\d$/);
      assert.match((await historyEntries(alice))[0]!, /^↗ 122099 · Osaka .+ 0:0\d$/);
    });
  }

  fx.test('bob dials 113999 back: alice sees 122099 from Osaka; the history entry calls it again', async () => {
    const { out, in: incoming } = await connect(bob, alice, '113999');
    assert.deepEqual(pick(out.remote), { number: '113999', kind: 'linked', prefix: '11', server: 'Tokyo' });
    assert.deepEqual(pick(incoming.remote), BOB_AT_ALICE);
    assert.equal(await partText(alice, '[part=call] .who'), 'Bob 122099 via Osaka');
    await hangUp(bob, alice);
    assert.deepEqual(pick((await alice.prop<HistoryRecord[]>('callHistory'))[0]!.remote), BOB_AT_ALICE);

    // alice calls bob back from her history (the entry's phone button): prefix + extension again
    assert.match((await historyEntries(alice))[0]!, /^↙ Bob 122099 · Osaka /);
    const rings = await count(bob, 'softphone-incoming-call');
    await alice.page.evaluate((id) => {
      document.getElementById(id)!.shadowRoot!.querySelector<HTMLButtonElement>('[part=history] li [data-action=redial]')!.click();
    }, alice.id);
    const back = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.deepEqual(pick(back.detail.call?.remote), ALICE_AT_BOB);
    await bob.invoke('decline');
    await until(async () => (await alice.calls()).length === 0 || undefined, 'alice sees the decline');
    const last = (await alice.prop<HistoryRecord[]>('callHistory'))[0]!;
    assert.deepEqual([last.direction, last.endCause, last.remote.number], ['outbound', 'declined', '122099']);
  });

  fx.test("a linked call the agent placed refuses '#', '*' and park exactly like an internal call", async () => {
    const carol = await phone('4000', 'server1');
    const refusals = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const [method, args] of [
        ['transfer', ['4001', { mode: 'blind' }]],
        ['transfer', ['4001', { mode: 'attended' }]],
        ['park', []],
      ] as const) {
        const e = await alice.invoke(method, ...args).then(
          () => assert.fail(`${method} ${JSON.stringify(args)} was allowed`),
          (error: Error & { code: string }) => error,
        );
        assert.equal(e.code, 'NOT_ALLOWED');
        out.push(e.message.replace(/call \S+:/, 'call <id>:'));
      }
      return out;
    };
    try {
      await connect(alice, bob, '122099');
      assert.equal(await parkDisabled(alice), true, 'the park button is disabled on the linked call alice placed');
      const linked = await refusals();
      assert.equal((await bob.calls())[0]?.state, 'established', 'the call is still up');
      await hangUp(alice, bob);
      await connect(alice, carol, '4000');
      const internal = await refusals();
      await hangUp(alice, carol);
      assert.deepEqual(linked, internal);
      assert.match(linked[0]!, /call policy does not allow it on calls the agent placed/);
    } finally {
      await carol.remove();
    }
    assert.equal((await alice.prop<unknown[]>('parkedCalls')).length, 0);
  });

  fx.test('a linked call the agent received passes the call policy', async () => {
    await connect(alice, bob, '122099');
    assert.equal(await parkDisabled(bob), false, 'the park button is enabled on the linked call bob received');
    for (const [method, args] of [
      ['transfer', ['2100', { mode: 'blind' }]],
      ['park', []],
    ] as const) {
      // The policy allows these on an inbound call. Whatever the engine then does, it is not the
      // policy's refusal.
      const result = await bob.invoke(method, ...args).then(
        () => 'done',
        (e: Error) => e.message,
      );
      assert.doesNotMatch(result, /call policy/, `${method} on bob's inbound linked call`);
      if (result === 'done') break;
    }
    if ((await alice.calls()).length) await alice.invoke('hangup').catch(() => undefined);
    await until(async () => (await alice.calls()).length === 0 && (await bob.calls()).length === 0, 'no calls left');
  });

  /** The one call of `p` once it is established. */
  const upCall = (p: Phone): Promise<CallSnapshot> =>
    until(async () => {
      const calls = await p.calls();
      return calls.length === 1 && calls[0]!.state === 'established' ? calls[0] : undefined;
    }, `${p.id} has one established call`);

  async function endAll(...list: Phone[]): Promise<void> {
    for (const p of list) for (const c of await p.calls()) await p.invoke('hangup', c.id).catch(() => undefined);
    await until(async () => {
      for (const p of list) if ((await p.calls()).length) return undefined;
      return true;
    }, 'no calls left');
  }

  /** The agent `c` completes the transfer and is out of both calls; alice and bob talk, then hang up. */
  async function completeJoins(c: Phone): Promise<void> {
    await c.invoke('completeTransfer');
    await until(async () => (await c.calls()).length === 0 || undefined, 'the agent is out of both calls');
    await upCall(alice);
    await upCall(bob);
    await hearEachOther(alice, bob);
    await endAll(alice, bob);
  }

  let carol: Phone | undefined;
  const agent = async (): Promise<Phone> => (carol ??= await phone('4000', 'server1'));

  fx.test("'#' transfer to a linked extension: the target sees the original caller (113999), not the agent", async () => {
    const c = await agent();
    await connect(alice, c, '4000');
    const rings = await count(bob, 'softphone-incoming-call');
    // A '#' transfer resolves once the target answered (the REFER's final NOTIFY).
    const transferred = c.invoke('transfer', '122099', { mode: 'blind' });
    const incoming = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.deepEqual(pick(incoming.detail.call?.remote), ALICE_AT_BOB);
    assert.equal((incoming.detail.call as { transferredBy?: string } | undefined)?.transferredBy, '114000', 'transferred by carol, as server2 numbers her');
    await bob.invoke('answer');
    await transferred;
    const aliceCall = await upCall(alice);
    assert.deepEqual(pick(aliceCall.remote), BOB_DIALED, "alice's call now goes to bob, shown as 122099 at Osaka");
    await until(async () => (await c.calls()).length === 0 || undefined, 'the agent is out of the call');
    assert.equal((await c.prop<HistoryRecord[]>('callHistory'))[0]!.endCause, 'transferred');
    await hearEachOther(alice, bob);
    await endAll(alice, bob);
  });

  fx.test("'*' transfer to a linked extension: the target sees the agent as 114000; completing joins caller and target", async () => {
    const c = await agent();
    await connect(alice, c, '4000');
    const rings = await count(bob, 'softphone-incoming-call');
    const consult = await c.invoke<CallSnapshot>('transfer', '12-2099', { mode: 'attended' });
    assert.deepEqual(pick(consult.remote), BOB_DIALED);
    const incoming = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.deepEqual(pick(incoming.detail.call?.remote), { number: '114000', displayName: 'Carol', kind: 'linked', prefix: '11', server: 'Tokyo' });
    await bob.invoke('answer');
    await until(async () => (await c.calls()).some((x) => x.id === consult.id && x.state === 'established') || undefined, 'consult up');
    await completeJoins(c);
  });

  fx.test('hold transfer to a linked extension: the agent holds, dials 122099 by hand (bob sees 114000), completes', async () => {
    const c = await agent();
    const { in: held } = await connect(alice, c, '4000');
    await c.invoke('hold', held.id);
    const rings = await count(bob, 'softphone-incoming-call');
    await c.invoke('call', '122099');
    const incoming = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.equal(incoming.detail.call?.remote.number, '114000');
    assert.equal(incoming.detail.call?.remote.server, 'Tokyo');
    await bob.invoke('answer');
    await until(async () => (await c.calls()).filter((x) => x.state === 'established').length === 1 || undefined, 'second call up');
    await completeJoins(c);
  });

  fx.test('a parked linked call is counted in parkedCalls, with the park event; retrieving it reconnects', async () => {
    const s2 = fx.lab.servers.server2;
    const orbit = await startParkOrbit({ wsUrl: s2.wsUrl, domain: s2.domain, dbFile: fx.lab.dbFile, browser: fx.browser, slots: ['701', '702'] });
    try {
      await connect(alice, bob, '122099');
      const parked = await bob.invoke<{ slot: string; remote: CallSnapshot['remote'] }>('park');
      assert.equal(parked.slot, '701');
      assert.deepEqual(pick(parked.remote), ALICE_AT_BOB);
      const list = await bob.prop<{ slot: string; remote: CallSnapshot['remote'] }[]>('parkedCalls');
      assert.deepEqual(list.map((p) => [p.slot, pick(p.remote)]), [['701', ALICE_AT_BOB]]);
      const event = await bob.waitForEvent('softphone-call-parked');
      assert.equal(event.detail.slot, '701');
      assert.deepEqual(pick(event.detail.call?.remote), ALICE_AT_BOB);
      assert.equal(event.detail.call?.endCause, 'parked');
      assert.equal((await orbit.occupied())['701']?.caller, '113999', 'the orbit holds alice');
      assert.equal((await alice.calls()).length, 1, 'alice waits in the orbit');
      assert.equal(await partText(bob, '[part=parked] .label'), 'Parked calls: 1');
      assert.match(await partText(bob, '[part=parked] li'), /^701 Alice via Tokyo /);

      await bob.invoke('retrieve', '701');
      await until(async () => (await bob.prop<unknown[]>('parkedCalls')).length === 0 || undefined, 'no longer parked');
      await upCall(bob);
      await hearEachOther(alice, bob);
      await endAll(alice, bob);
    } finally {
      await orbit.stop();
    }
  });

  const BAD_CONFIGS: [string, string, Record<string, string>, RegExp][] = [
    ['prefix 7', '4001', { prefix: '7' }, /prefix "7" is not allowed/],
    ['prefix abc', '4002', { prefix: 'abc' }, /prefix "abc" is not a prefix/],
    [
      'linked prefixes 1 and 12',
      '4003',
      { prefix: '11', 'linked-servers': JSON.stringify([{ prefix: '1', label: 'A' }, { prefix: '12', label: 'Osaka' }]) },
      /prefixes 1 and 12 clash/,
    ],
    ['malformed linked-servers JSON', '4001', { prefix: '11', 'linked-servers': '[{"prefix":"12",' }, /linked-servers "\[\{\\"prefix\\":\\"12\\",".*not valid JSON/],
  ];
  for (const [what, ext, attrs, message] of BAD_CONFIGS) {
    fx.test(`${what}: INVALID_CONFIG naming the value; the phone still registers and calls an extension`, async () => {
      const p = await phone(ext, 'server1', attrs);
      const error = await p.waitForEvent('softphone-error');
      assert.equal(error.detail.code, 'INVALID_CONFIG');
      assert.match(String(error.detail.message), message);
      assert.match(await partText(p, '[part=notice]'), /Configuration error/);
      const rings = await count(alice, 'softphone-incoming-call');
      await p.invoke('call', '3999');
      const incoming = await alice.waitForEvent('softphone-incoming-call', { count: rings + 1 });
      assert.equal(incoming.detail.call?.remote.number, ext);
      assert.equal(incoming.detail.call?.remote.kind, 'internal');
      await alice.invoke('decline');
      assert.equal((await p.waitForEvent('softphone-call-ended')).detail.call?.endCause, 'declined');
      await p.remove();
    });
  }
});
