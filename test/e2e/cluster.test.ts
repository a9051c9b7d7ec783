/**
 * server1 as a registrar cluster (startLab({ cluster: true }), kamailio.cfg CLUSTER): two Kamailio
 * nodes sharing registrations (DMQ, dmq_usrloc) and dialog profiles, real `<soft-phone>` elements in
 * Chromium listing both nodes in `server`. carol (4000) registers on node a, dave (4001) on node b,
 * bob (2099) on server2. A call to an agent whose WebSocket lives on the other node is relayed there;
 * server1's calls are one count whichever node carries them; when node a is killed (SIGKILL), its
 * agents register on node b within 5 s, calls reach them (also from server2), and the monitor keeps
 * showing them on one server1.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { LabAccount, LabServer, ServerName } from '../../lab/lab.js';
import type { MonitorExtension, MonitorSnapshot } from '../../lab/provisioning/monitor.js';
import { startProvisioningServer, type ProvisioningServer } from '../../lab/provisioning/server.js';
import { connect, hearEachOther, openPhonePage, Phone, toneWav, until, withLab, type CallSnapshot } from './harness.js';

const LINKED: Record<ServerName, Record<string, string>> = {
  server1: { prefix: '11', 'linked-servers': JSON.stringify([{ prefix: '12', label: 'Osaka' }]) },
  server2: { prefix: '12', 'linked-servers': JSON.stringify([{ prefix: '11', label: 'Tokyo' }]) },
};

describe('registrar cluster: server1 on two nodes', () => {
  const fx = withLab({ lab: { cluster: true }, fakeAudioFile: () => toneWav(440) });
  let prov: ProvisioningServer;
  let carol: Phone;
  let dave: Phone;
  let bob: Phone;
  let nodeA: LabServer;
  let nodeB: LabServer;

  const account = (server: ServerName, ext: string): LabAccount => fx.lab.accounts[server].find((a) => a.extension === ext)!;
  const snapshot = async (): Promise<MonitorSnapshot> => (await (await fetch(`${prov.url}/monitor`)).json()) as MonitorSnapshot;
  const ext = (s: MonitorSnapshot, server: string, number: string): MonitorExtension | undefined =>
    s.extensions.find((e) => e.server === server && e.number === number);
  /** Ends every call of these phones and waits until server1 counts none. */
  const hangUpAll = async (...phones: Phone[]) => {
    for (const p of phones) {
      for (const c of await p.calls()) if (c.state !== 'ended') await p.invoke('hangup', c.id).catch(() => undefined);
    }
    await until(async () => (await Promise.all(fx.lab.nodes.server1.filter((n) => n.pid !== undefined).map((n) => n.concurrentCalls()))).every((n) => n === 0), 'no calls on server1');
  };

  before(async () => {
    const { lab } = fx;
    [nodeA, nodeB] = lab.nodes.server1 as [LabServer, LabServer];
    prov = await startProvisioningServer({
      dbFile: lab.dbFile,
      domain: lab.servers.server1.domain,
      servers: lab.wsUrls('server1'),
      registrations: `http://127.0.0.1:${nodeA.wsPort}/RPC`,
      range: { from: 100, to: 699 },
      monitor: {
        servers: (['server1', 'server2'] as const).map((name) => ({
          name,
          prefix: lab.servers[name].prefix,
          domain: lab.servers[name].domain,
          rpc: lab.nodes[name].map((n) => `http://127.0.0.1:${n.wsPort}/RPC`),
        })),
      },
    });
    const page = await openPhonePage(fx.browser, fx.web.url);
    carol = await Phone.add(page, { server: [nodeA.wsUrl, nodeB.wsUrl], account: account('server1', '4000'), attrs: LINKED.server1 });
    const page2 = await openPhonePage(fx.browser, fx.web.url);
    dave = await Phone.add(page2, { server: [nodeB.wsUrl, nodeA.wsUrl], account: account('server1', '4001'), attrs: LINKED.server1 });
    const page3 = await openPhonePage(fx.browser, fx.web.url);
    bob = await Phone.add(page3, { server: lab.servers.server2.wsUrl, account: account('server2', '2099'), attrs: LINKED.server2 });
    for (const p of [carol, dave, bob]) await p.waitForEvent('softphone-registered');
  });

  after(async () => {
    await prov?.close();
  });

  fx.test('both nodes know both agents; a call from node b to an agent on node a is relayed there; server1 counts it once, the monitor shows one server1', async () => {
    assert.equal((await carol.waitForEvent('softphone-registered')).detail.server, nodeA.wsUrl);
    assert.equal((await dave.waitForEvent('softphone-registered')).detail.server, nodeB.wsUrl);
    for (const node of [nodeA, nodeB]) {
      const regs = await until(async () => {
        const r = await node.registrations();
        return r.includes('sip:4000@server1.test') && r.includes('sip:4001@server1.test') && r;
      }, `both agents registered in node ${node.node}'s table`);
      assert.deepEqual(regs, ['sip:4000@server1.test', 'sip:4001@server1.test']);
    }
    await connect(dave, carol);
    try {
      await hearEachOther(dave, carol);
      assert.deepEqual([await nodeA.concurrentCalls(), await nodeB.concurrentCalls()], [1, 1], 'each node has server1\'s whole count (1 call)');
      const snap = await until(async () => {
        const s = await snapshot();
        return ext(s, 'server1', '4000')?.calls[0]?.state === 'established' && ext(s, 'server1', '4001')?.calls[0]?.state === 'established' && s;
      }, 'the call in the monitor');
      assert.deepEqual(snap.servers.map((s) => [s.name, s.concurrentCalls, s.online]), [
        ['server1', 1, true],
        ['server2', 0, true],
      ]);
      assert.deepEqual(ext(snap, 'server1', '4001')!.calls.map((c) => [c.direction, c.remote]), [['outbound', '4000']]);
      assert.deepEqual(ext(snap, 'server1', '4000')!.calls.map((c) => [c.direction, c.remote]), [['inbound', '4001']]);
    } finally {
      await hangUpAll(carol, dave);
    }
    // the limit is server1's, over both nodes: with 1 call on node b's side, node a refuses the next
    await nodeA.setCallLimit(1);
    try {
      assert.deepEqual([await nodeA.callLimit(), await nodeB.callLimit()], [1, 1]);
      await connect(dave, carol);
      const placed = await bob.invoke<CallSnapshot>('call', '114000');
      const ended = await bob.waitForEvent('softphone-call-ended', { where: (e) => e.detail.call?.id === placed.id });
      assert.equal(ended.detail.call!.endCause, 'busy');
    } finally {
      await nodeA.setCallLimit(0);
      await hangUpAll(carol, dave, bob);
    }
  });

  fx.test('node a dies (SIGKILL): its agent is registered on node b within 5 s, calls reach her from node b and from server2, the monitor keeps her', async () => {
    const t0 = await carol.now();
    const restoredBefore = (await carol.events('softphone-connection-restored')).length;
    await nodeA.kill();
    try {
      const restored = await carol.waitForEvent('softphone-connection-restored', { count: restoredBefore + 1, timeoutMs: 30_000 });
      const ms = Math.round(restored.t - t0);
      console.log(`[cluster] node a killed -> carol registered on node b: ${ms} ms`);
      assert.equal(restored.detail.server, nodeB.wsUrl);
      assert.ok(ms < 5000, `registered on the other node within 5 s (${ms} ms)`);
      assert.ok((await nodeB.registrations()).includes('sip:4000@server1.test'));

      // from node b's own agent
      await connect(dave, carol);
      await hearEachOther(dave, carol);
      await hangUpAll(carol, dave);

      // from the linked server: server2 tries node a, then node b
      const tCall = Date.now();
      const rings = (await carol.events('softphone-incoming-call')).length;
      await bob.invoke('call', '114000');
      const ring = await carol.waitForEvent('softphone-incoming-call', { count: rings + 1 });
      console.log(`[cluster] server2 -> carol with node a dead: ringing after ${Date.now() - tCall} ms`);
      assert.equal(ring.detail.call!.remote.number, '122099');
      await carol.invoke('answer', ring.detail.call!.id);
      await until(async () => (await bob.calls()).some((c) => c.state === 'established'), 'bob through to carol');
      await hearEachOther(bob, carol);

      const snap = await until(async () => {
        const s = await snapshot();
        return ext(s, 'server1', '4000')?.calls[0]?.state === 'established' && s;
      }, 'carol on the call in the monitor');
      assert.deepEqual(snap.servers.map((s) => [s.name, s.online, s.concurrentCalls]), [
        ['server1', true, 1],
        ['server2', true, 1],
      ]);
      assert.equal(ext(snap, 'server1', '4000')!.registered, true);
      assert.deepEqual(ext(snap, 'server1', '4000')!.calls.map((c) => [c.direction, c.remote]), [['inbound', '122099']]);
      assert.equal(ext(snap, 'server1', '4001')!.registered, true);
    } finally {
      await hangUpAll(carol, dave, bob).catch(() => undefined);
      await nodeA.start();
    }
    // node a back: it has every registration again from node b (DMQ sync at start)
    await until(async () => (await nodeA.registrations()).includes('sip:4000@server1.test') || undefined, 'node a synced from node b');
  });
});
