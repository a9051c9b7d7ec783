/**
 * Concurrent calls and the supervisor's view, end to end: the two lab Kamailios count their calls in
 * channels the way the seed does (kamailio.cfg CALLS), refuse a call over their limit, and the
 * reference provisioning server shows servers, registrations, agents and calls (`GET /monitor`) and
 * streams every change (`GET /monitor/events`). Real `<soft-phone>` elements in Chromium: alice
 * (3999) and carol (4000) on server1, bob (2099) on server2; the carrier (SIPp) for external calls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLab, type LabAccount, type ServerName } from '../../lab/lab.js';
import type { CallIn } from '../../lab/pstn.js';
import type { MonitorEvent, MonitorExtension, MonitorSnapshot } from '../../lab/provisioning/monitor.js';
import type { ProvisioningServer } from '../../lab/provisioning/server.js';
import { startParkOrbit } from '../../lab/park-orbit/park-orbit.js';
import { LINKED, startMonitorProvisioning } from './monitor-setup.js';
import { connect, openPhonePage, Phone, sipFrames, toneWav, until, withLab, type CallSnapshot } from './harness.js';

/** The event stream of the monitor, read with fetch; every event with the time it arrived. */
class MonitorStream {
  readonly events: { at: number; e: MonitorEvent }[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(url: string) {
    this.done = (async () => {
      const res = await fetch(`${url}/monitor/events`, { signal: this.abort.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) this.events.push({ at: Date.now(), e: { event, data: JSON.parse(data) } as MonitorEvent });
        }
      }
    })().catch((e: unknown) => {
      if ((e as Error).name !== 'AbortError') throw e;
    });
  }

  /** The first event from index `from` on that matches. */
  waitFor(what: string, match: (e: MonitorEvent) => boolean, from = 0, timeoutMs = 10_000): Promise<{ at: number; e: MonitorEvent }> {
    return until(async () => this.events.slice(from).find((x) => match(x.e)), what, timeoutMs);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

describe('concurrent calls and the supervisor monitor', () => {
  const fx = withLab({ lab: { pbx: true }, fakeAudioFile: () => toneWav(440) });
  let prov: ProvisioningServer;
  let alice: Phone;
  let carol: Phone;
  let bob: Phone;
  let dave: Phone;
  const callIns: CallIn[] = [];

  const account = (server: ServerName, ext: string): LabAccount => fx.lab.accounts[server].find((a) => a.extension === ext)!;
  const counts = async () => [await fx.lab.servers.server1.concurrentCalls(), await fx.lab.servers.server2.concurrentCalls()];
  const snapshot = async (): Promise<MonitorSnapshot> => {
    const res = await fetch(`${prov.url}/monitor`);
    assert.equal(res.status, 200);
    return (await res.json()) as MonitorSnapshot;
  };
  const ext = (s: MonitorSnapshot, server: string, number: string): MonitorExtension | undefined =>
    s.extensions.find((e) => e.server === server && e.number === number);
  /** `p` calls `number`; the end of that call (the call is refused, so it ends by itself). */
  const endOf = async (p: Phone, number: string) => {
    const placed = await p.invoke<CallSnapshot>('call', number);
    return p.waitForEvent('softphone-call-ended', { where: (e) => e.detail.call?.id === placed.id });
  };
  /** Ends every call of these phones and waits until both servers count none. */
  const hangUpAll = async (...phones: Phone[]) => {
    for (const p of phones) {
      for (const c of await p.calls()) if (c.state !== 'ended') await p.invoke('hangup', c.id).catch(() => undefined);
    }
    await until(async () => (await counts()).every((n) => n === 0), 'no calls counted on either server');
  };

  before(async () => {
    const { lab } = fx;
    prov = await startMonitorProvisioning(lab);
    const page = await openPhonePage(fx.browser, fx.web.url);
    const s1 = lab.servers.server1.wsUrl;
    alice = await Phone.add(page, { server: s1, account: account('server1', '3999'), attrs: LINKED.server1 });
    carol = await Phone.add(page, { server: s1, account: account('server1', '4000'), attrs: LINKED.server1 });
    dave = await Phone.add(page, { server: s1, account: account('server1', '4001'), attrs: LINKED.server1 });
    bob = await Phone.add(page, { server: lab.servers.server2.wsUrl, account: account('server2', '2099'), attrs: LINKED.server2 });
    for (const p of [alice, carol, dave, bob]) await p.waitForEvent('softphone-registered');
  });

  after(async () => {
    for (const c of callIns) await c.stop().catch(() => undefined);
    await prov?.close();
  });

  fx.test('an agent logged in through provisioning shows in the monitor with agent, status and registration; the lab phones are listed as registered', async () => {
    const created = (await (
      await fetch(`${prov.url}/admin/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'mia', name: 'Mia' }),
      })
    ).json()) as { extension: string };
    const login = await fetch(`${prov.url}/agents/mia/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(login.status, 200);
    const snap = await snapshot();
    assert.deepEqual(
      snap.servers.map((s) => [s.name, s.prefix, s.concurrentCalls, s.limit, s.parkedCalls]),
      [
        ['server1', '11', 0, 0, 0],
        ['server2', '12', 0, 0, 0],
      ],
    );
    assert.deepEqual(ext(snap, 'server1', created.extension), { number: created.extension, server: 'server1', registered: false, agent: 'mia', status: 'available', calls: [] });
    for (const [server, number] of [['server1', '3999'], ['server1', '4000'], ['server1', '4001'], ['server2', '2099'], ['server1', '4101']] as const) {
      assert.equal(ext(snap, server, number)?.registered, true, `${number} on ${server} is registered`);
    }
    // the status the agent sets reaches the stream
    const stream = new MonitorStream(prov.url);
    try {
      await stream.waitFor('snapshot', (e) => e.event === 'snapshot');
      const from = stream.events.length;
      const t0 = Date.now();
      await fetch(`${prov.url}/agents/mia/status`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'break' }) });
      const seen = await stream.waitFor('the status change', (e) => e.event === 'extension' && e.data.number === created.extension && e.data.status === 'break', from);
      console.log(`[monitor] status change -> extension event: ${seen.at - t0} ms`);
      assert.ok(seen.at - t0 < 1000, `status pushed within 1 s (${seen.at - t0} ms)`);
    } finally {
      await stream.close();
    }
  });

  fx.test('alice calls carol on the same server: 1 call on server1, none on server2; both see the call in the monitor', async () => {
    const placed = await alice.invoke<CallSnapshot>('call', '4000');
    const ring = await carol.waitForEvent('softphone-incoming-call');
    await carol.invoke('answer', ring.detail.call!.id);
    await alice.waitForCallState('established');
    try {
      assert.deepEqual(await counts(), [1, 0]);
      const snap = await until(async () => {
        const s = await snapshot();
        return ext(s, 'server1', '3999')?.calls[0]?.state === 'established' && ext(s, 'server1', '4000')?.calls[0]?.state === 'established' && s;
      }, 'both sides established in the monitor');
      assert.equal(snap.servers[0]!.concurrentCalls, 1);
      const a = ext(snap, 'server1', '3999')!.calls[0]!;
      const c = ext(snap, 'server1', '4000')!.calls[0]!;
      assert.deepEqual([a.direction, a.remote, c.direction, c.remote], ['outbound', '4000', 'inbound', '3999']);
      assert.equal(a.id, c.id, 'one call, one id');
      assert.ok(Math.abs(a.since - placed.startedAt) < 5000, 'since is when the call started');
    } finally {
      await hangUpAll(alice, carol);
    }
  });

  fx.test('alice calls bob on the linked server: 1 call on each server; the stream delivers the call within 1 s with the prefixes', async () => {
    const stream = new MonitorStream(prov.url);
    try {
      await stream.waitFor('snapshot', (e) => e.event === 'snapshot');
      const from = stream.events.length;
      await alice.invoke('call', '122099');
      const ring = await bob.waitForEvent('softphone-incoming-call', { count: 1 });
      await bob.invoke('answer', ring.detail.call!.id);
      const bobUp = await bob.waitForCallState('established');
      const aliceUp = await alice.waitForEvent('softphone-call-established', { where: (e) => e.detail.call?.remote.number === '122099' });
      // when the call was established, on this machine's clock: the later of both phones' events
      const origin = await alice.page.evaluate(() => performance.timeOrigin);
      const established = origin + Math.max(bobUp.t, aliceUp.t);
      const onAlice = await stream.waitFor(
        'alice call event',
        (e) => e.event === 'call' && e.data.extension === '3999' && e.data.call.state === 'established',
        from,
      );
      const onBob = await stream.waitFor('bob call event', (e) => e.event === 'call' && e.data.extension === '2099' && e.data.call.state === 'established', from);
      const delay = Math.max(onAlice.at, onBob.at) - established;
      // negative: the servers saw the 200 OK (dialog confirmed) before the phones fired their event
      console.log(
        `[monitor] linked call established (later phone event) -> established call events: alice ${Math.round(onAlice.at - established)} ms, bob ${Math.round(onBob.at - established)} ms`,
      );
      assert.ok(delay < 1000, `call events within 1 s of the call being established (${delay} ms)`);
      assert.ok(onAlice.e.event === 'call' && onBob.e.event === 'call');
      assert.deepEqual([onAlice.e.data.server, onAlice.e.data.call.direction, onAlice.e.data.call.remote], ['server1', 'outbound', '122099']);
      assert.deepEqual([onBob.e.data.server, onBob.e.data.call.direction, onBob.e.data.call.remote], ['server2', 'inbound', '113999']);
      assert.equal(onAlice.e.data.call.id, onBob.e.data.call.id, 'the same call (Call-ID) on both servers');
      const s1 = await stream.waitFor('server1 count 1', (e) => e.event === 'server' && e.data.name === 'server1' && e.data.concurrentCalls === 1, from);
      const s2 = await stream.waitFor('server2 count 1', (e) => e.event === 'server' && e.data.name === 'server2' && e.data.concurrentCalls === 1, from);
      assert.ok(s1 && s2);
      assert.deepEqual(await counts(), [1, 1]);
      const to = stream.events.length;
      await alice.invoke('hangup');
      await stream.waitFor('the call ended on alice', (e) => e.event === 'call' && e.data.extension === '3999' && e.data.call.state === 'ended', to);
      await stream.waitFor('server1 back to 0', (e) => e.event === 'server' && e.data.name === 'server1' && e.data.concurrentCalls === 0, to);
    } finally {
      await stream.close();
      await hangUpAll(alice, bob);
    }
  });

  fx.test('an external call arriving at server1 for 122099 is forwarded to the linked server: 2 on server1, 1 on server2; bob sees the external number', async () => {
    const s1 = fx.lab.servers.server1;
    const rings = (await bob.events('softphone-incoming-call')).length;
    const call = await fx.lab.carrier!.callIn('122099', '+48601234567', { port: s1.sipPort, domain: s1.domain });
    callIns.push(call);
    const ring = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.equal(ring.detail.call!.remote.number, '+48601234567', 'the caller number passes through');
    await bob.invoke('answer', ring.detail.call!.id);
    await bob.waitForCallState('established', { count: 2 });
    try {
      assert.deepEqual(await counts(), [2, 1]);
      const snap = await until(async () => {
        const s = await snapshot();
        return ext(s, 'server2', '2099')?.calls[0]?.state === 'established' && s;
      }, 'bob on the call in the monitor');
      assert.deepEqual(
        snap.servers.map((s) => s.concurrentCalls),
        [2, 1],
      );
      assert.deepEqual(ext(snap, 'server2', '2099')!.calls.map((c) => [c.direction, c.remote]), [['inbound', '+48601234567']]);
    } finally {
      await hangUpAll(bob);
      await call.done;
    }
  });

  fx.test('a linked call parked on the linked server is counted there as parked (the seed product does not count it), and in its concurrent calls', async () => {
    const s2 = fx.lab.servers.server2;
    const orbit = await startParkOrbit({ wsUrl: s2.wsUrl, domain: s2.domain, dbFile: fx.lab.dbFile, browser: fx.browser, slots: ['701', '702'] });
    try {
      const rings = (await bob.events('softphone-incoming-call')).length;
      await alice.invoke('call', '122099');
      const ring = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
      await bob.invoke('answer', ring.detail.call!.id);
      await until(async () => (await alice.calls()).some((c) => c.state === 'established'), 'alice established');
      const parked = await bob.invoke<{ slot: string }>('park');
      assert.equal(parked.slot, '701');
      const snap = await until(async () => {
        const s = await snapshot();
        return s.servers[1]!.parkedCalls === 1 && ext(s, 'server1', '3999')?.calls[0]?.remote === '12701' && s;
      }, 'the parked call in the monitor');
      assert.deepEqual(snap.servers.map((s) => [s.name, s.concurrentCalls, s.parkedCalls]), [
        ['server1', 1, 0],
        ['server2', 1, 1],
      ]);
      assert.deepEqual(ext(snap, 'server2', '2099')?.calls, [], 'bob is free again');
      assert.equal(ext(snap, 'server2', '701'), undefined, 'park slots are not extensions');
    } finally {
      await hangUpAll(alice, bob);
      await orbit.stop();
    }
    assert.deepEqual((await snapshot()).servers.map((s) => s.parkedCalls), [0, 0]);
  });

  fx.test('over the limit: with server1 at 1 call, dave\'s call is refused 486 with the limit named, his phone says busy, the monitor shows the limit', async () => {
    const s1 = fx.lab.servers.server1;
    await s1.setCallLimit(1);
    const stream = new MonitorStream(prov.url);
    try {
      await stream.waitFor('server1 limit 1', (e) =>
        (e.event === 'snapshot' && e.data.servers[0]!.limit === 1) || (e.event === 'server' && e.data.name === 'server1' && e.data.limit === 1),
      );
      await alice.invoke('call', '4000');
      const ring = await carol.waitForEvent('softphone-incoming-call', { count: 2 });
      await carol.invoke('answer', ring.detail.call!.id);
      await until(async () => (await alice.calls()).some((c) => c.state === 'established'), 'alice established');
      assert.deepEqual(await counts(), [1, 0]);
      const full = await stream.waitFor('server1 1 of 1', (e) => e.event === 'server' && e.data.name === 'server1' && e.data.concurrentCalls === 1 && e.data.limit === 1);
      assert.ok(full);

      const refused = await endOf(dave, '4000');
      assert.equal(refused.detail.call!.endCause, 'busy');
      const reply = sipFrames(dave.page).find((f) => f.direction === 'received' && f.text.startsWith('SIP/2.0 486'));
      assert.ok(reply, 'dave received the 486');
      assert.match(reply.text, /\r\nWarning: 399 server1\.test "concurrent call limit reached: 1 of 1 calls in use"/);
      assert.match(reply.text, /\r\nReason: SIP;cause=486;text="concurrent call limit"/);
      assert.equal(await s1.concurrentCalls(), 1, 'the refused call was never counted');
      // a linked call out of server1 needs a channel there too: refused the same way
      const linked = await endOf(bob, '113999');
      assert.equal(linked.detail.call!.endCause, 'busy');
      assert.deepEqual(await counts(), [1, 0]);
    } finally {
      await stream.close();
      await s1.setCallLimit(0);
      await hangUpAll(alice, carol, dave, bob);
    }
  });
  fx.test('over the limit with busy forwarding set: the call goes to the forward target with the original caller\'s number (a PSTN caller, an extension), server1 is not charged, otherwise refused', async () => {
    const s1 = fx.lab.servers.server1;
    // nora: an agent of the provisioning server (its extensions carry forwarding), on a real phone
    const res = await fetch(`${prov.url}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'nora', name: 'Nora' }),
    });
    assert.equal(res.status, 201);
    const nora = (await res.json()) as { extension: string; password: string };
    const page = await openPhonePage(fx.browser, fx.web.url);
    const noraPhone = await Phone.add(page, {
      server: s1.wsUrl,
      account: { extension: nora.extension, password: nora.password, domain: s1.domain },
      attrs: LINKED.server1,
    });
    await noraPhone.waitForEvent('softphone-registered');
    const forward = await fetch(`${prov.url}/extensions/${nora.extension}/forwarding`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ busy: '122099' }),
    });
    assert.equal(forward.status, 200);
    await s1.setCallLimit(1);
    try {
      await connect(alice, carol);
      assert.deepEqual(await counts(), [1, 0]);

      // a PSTN caller for nora: server1 is full, bob on the linked server rings with the caller's number
      const rings = (await bob.events('softphone-incoming-call')).length;
      const call = await fx.lab.carrier!.callIn(nora.extension, '+48601234567', { port: s1.sipPort, domain: s1.domain });
      callIns.push(call);
      const pstn = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
      assert.equal(pstn.detail.call!.remote.number, '+48601234567', 'the PSTN caller\'s number, as after a # transfer');
      assert.equal(pstn.detail.call!.remote.kind, 'external');
      assert.equal((await noraPhone.events('softphone-incoming-call')).length, 0, 'nora\'s phone never rang');
      await bob.invoke('answer', pstn.detail.call!.id);
      await until(async () => (await bob.calls()).some((c) => c.id === pstn.detail.call!.id && c.state === 'established'), 'bob on the forwarded call');
      assert.deepEqual(await counts(), [1, 1], 'the forwarded call is not charged to full server1; server2 counts it');
      const snap = await until(async () => {
        const s = await snapshot();
        return ext(s, 'server2', '2099')?.calls[0]?.state === 'established' && s;
      }, 'the forwarded call in the monitor');
      assert.deepEqual(ext(snap, 'server2', '2099')!.calls.map((c) => [c.direction, c.remote]), [['inbound', '+48601234567']]);
      await bob.invoke('hangup', pstn.detail.call!.id);
      await call.done;

      // an extension of server1 calling nora: forwarded too, bob sees dave (114001), not nora
      const fromDave = await dave.invoke<CallSnapshot>('call', nora.extension);
      const internal = await bob.waitForEvent('softphone-incoming-call', { count: rings + 2 });
      assert.equal(internal.detail.call!.remote.number, '114001');
      assert.equal(internal.detail.call!.remote.kind, 'linked');
      await bob.invoke('answer', internal.detail.call!.id);
      await until(async () => (await dave.calls()).some((c) => c.id === fromDave.id && c.state === 'established'), 'dave through to bob');
      assert.deepEqual(await counts(), [1, 1]);
      await bob.invoke('hangup', internal.detail.call!.id);
      await until(async () => (await counts())[1] === 0, 'server2 free');

      // no forwarding set: refused as before
      await fetch(`${prov.url}/extensions/${nora.extension}/forwarding`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      const refused = await endOf(dave, nora.extension);
      assert.equal(refused.detail.call!.endCause, 'busy');
      assert.equal((await noraPhone.events('softphone-incoming-call')).length, 0);
    } finally {
      await s1.setCallLimit(0);
      await hangUpAll(alice, carol, dave, bob, noraPhone);
      await page.close();
    }
  });
});

describe('the call limit given at start', () => {
  it('startLab({ callLimit: { server1: 3 } }) starts server1 with 3, a bad value is refused naming it, the limit changes at run time', async () => {
    await assert.rejects(startLab({ servers: ['server1'], callLimit: { server1: -1 } }), /callLimit\.server1 -1/);
    const lab = await startLab({ servers: ['server1'], callLimit: { server1: 3 } });
    try {
      const s1 = lab.servers.server1;
      assert.equal(await s1.callLimit(), 3);
      await s1.setCallLimit(5);
      assert.equal(await s1.callLimit(), 5);
      await assert.rejects(s1.setCallLimit(1.5), /call limit 1\.5/);
      assert.equal(await s1.concurrentCalls(), 0);
    } finally {
      await lab.stop();
    }
  });
});
