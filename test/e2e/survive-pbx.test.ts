/**
 * Calls through network trouble with the PBX media path: a `<soft-phone>` element (3999, server1)
 * talks to desk phone 4101 (baresip, plain RTP bridged by rtpengine) while Kamailio is frozen
 * (SIGSTOP) for 8 s; and an element-to-element call whose WebSocket the server closes (Kamailio's
 * `ws.close` RPC on the connection ids `ws.dump` lists). Audio is checked by the element's getStats
 * byte counters and by the desk phone's recording (the element's 440 Hz microphone). Times are
 * printed, not asserted (bench/ holds timings).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { DeskPhone } from '../../lab/desk-phone.js';
import { connect, hearEachOther, mediaFlows, mediaLeft, openPhonePage, Phone, sleep, toneWav, until, withLab, type CallSnapshot, type RecordedEvent } from './harness.js';

const TONE_HZ = 440;
const OUTAGE_MS = 8000;
const ms = (n: number): string => `${Math.round(n)} ms`;

describe('calls through network trouble, PBX media path', () => {
  const fx = withLab({ lab: { pbx: true }, fakeAudioFile: () => toneWav(TONE_HZ) });
  const account = (ext: string) => {
    const a = fx.lab.accounts.server1.find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    return a;
  };
  async function phone(ext: string): Promise<Phone> {
    const page = await openPhonePage(fx.browser, fx.web.url);
    const p = await Phone.add(page, { server: fx.lab.servers.server1.wsUrl, account: account(ext) });
    await p.waitForEvent('softphone-registered');
    return p;
  }
  const count = async (p: Phone, type: string): Promise<number> => (await p.events(type)).length;
  const next = async (p: Phone, type: string, n: number, timeoutMs = 15_000): Promise<RecordedEvent> => p.waitForEvent(type, { count: n + 1, timeoutMs });
  const close = async (...phones: Phone[]): Promise<void> => {
    for (const p of phones) await p.page.context().close().catch(() => undefined);
  };

  /** The element's newest live peer connection: received/sent bytes. */

  /** The desk phone's recording of the last second holds the element's tone. */
  async function deskHearsElement(d: DeskPhone, what: string): Promise<void> {
    const heard = await until(async () => {
      const h = d.heard(1);
      return Math.abs(h.freq - TONE_HZ) <= 10 && h.rms > 0.01 ? h : undefined;
    }, `${what}: desk phone ${d.extension} hears the element`, 8000).catch(() => d.heard(1));
    console.log(`  ${what}: ${d.extension} heard ${heard.freq} Hz, rms ${heard.rms.toFixed(3)}`);
    assert.ok(Math.abs(heard.freq - TONE_HZ) <= 10 && heard.rms > 0.01, `${what}: ${d.extension} heard ${heard.freq} Hz (rms ${heard.rms.toFixed(3)}) in ${heard.file}`);
  }

  fx.test('Kamailio frozen for 8 s mid-call with desk phone 4101 (through rtpengine): call and audio stay, reconnected, then the desk phone\'s hangup ends our call', async () => {
    const alice = await phone('3999');
    const d = fx.lab.deskPhone('4101');
    try {
      const est = d.eventsOf('CALL_ESTABLISHED').length;
      const placed = await alice.invoke<CallSnapshot>('call', '4101');
      await until(async () => (await alice.calls()).find((c) => c.id === placed.id && c.state === 'established'), 'alice talks to 4101');
      await d.waitFor('CALL_ESTABLISHED', { count: est + 1 });
      await deskHearsElement(d, 'before the outage');
      const before = { lost: await count(alice, 'softphone-connection-lost'), rec: await count(alice, 'softphone-call-reconnected') };
      const server = fx.lab.servers.server1;
      const t0 = await alice.now();
      const n0 = Date.now();
      server.pause();
      let resumedAt = 0;
      try {
        const lost = await next(alice, 'softphone-connection-lost', before.lost, 15_000);
        console.log(`  frozen server shown as lost after ${ms(lost.t - t0)}`);
        const reconnecting = await alice.waitForEvent('softphone-call-reconnecting', { where: (e) => e.detail.call?.id === placed.id });
        assert.equal(reconnecting.detail.reason, 'signaling');
        assert.equal((await alice.calls()).find((c) => c.id === placed.id)?.state, 'established');
        // audio keeps flowing while the server is frozen: rtpengine relays it, not Kamailio
        const { before: a, after: b } = await mediaFlows(alice.page, 'alice during the outage');
        console.log(`  during the outage: alice received ${b.received - a.received} B, sent ${b.sent - a.sent} B`);
        await deskHearsElement(d, 'during the outage');
        await sleep(Math.max(0, OUTAGE_MS - (Date.now() - n0)));
      } finally {
        server.resume();
        resumedAt = await alice.now();
      }
      const back = await next(alice, 'softphone-call-reconnected', before.rec, 30_000);
      console.log(`  reconnected ${ms(back.t - resumedAt)} after the server woke up`);
      assert.equal((await alice.calls()).find((c) => c.id === placed.id)?.reconnecting, false);
      await mediaFlows(alice.page, 'alice after the reconnect');
      await deskHearsElement(d, 'after the reconnect');
      // the desk phone's BYE reaches us over the new connection
      const ended = await count(alice, 'softphone-call-ended');
      await d.hangup();
      const end = await next(alice, 'softphone-call-ended', ended);
      assert.equal(end.detail.call?.endCause, 'remote-hangup');
      assert.deepEqual(await mediaLeft(alice.page), { tracks: 0, peerConnections: 0 });
    } finally {
      fx.lab.servers.server1.resume();
      for (const c of await alice.calls().catch(() => [])) await alice.invoke('hangup', c.id).catch(() => undefined);
      await close(alice);
    }
  }, { timeout: 120_000 });

  fx.test('the server closes our WebSocket mid-call (ws.close): the call is reconnected, audio both ways, the far end\'s hangup reaches us', async () => {
    const alice = await phone('3999');
    const carol = await phone('4000');
    try {
      const [mine] = await connect(alice, carol);
      await hearEachOther(alice, carol);
      const server = fx.lab.servers.server1;
      const dump = await server.rpc('ws.dump');
      // Kamailio 5.6: { connections: ['4: ws:127.0.0.1:41446 -> ws:127.0.0.1:46295 (state: OPEN, ...)', ...] }
      const ids = ((dump as { connections?: string[] }).connections ?? []).map((c) => /^(\d+):/.exec(c)?.[1]).filter((x) => x !== undefined).map(Number);
      console.log(`  ws.dump: ${JSON.stringify(dump).slice(0, 600)}`);
      assert.ok(ids.length >= 2, `ws.dump lists both phones' WebSockets (${ids.join(', ')})`);
      const before = { lost: await count(alice, 'softphone-connection-lost'), rec: await count(alice, 'softphone-call-reconnected'), crec: await count(carol, 'softphone-call-reconnected') };
      const t0 = await alice.now();
      // every WebSocket of this lab's server1 (only alice's and carol's): both phones must recover
      for (const id of ids) await server.rpc('ws.close', [id]);
      const lost = await next(alice, 'softphone-connection-lost', before.lost, 10_000);
      console.log(`  closed WebSocket shown as lost after ${ms(lost.t - t0)}`);
      const reconnecting = await alice.waitForEvent('softphone-call-reconnecting', { where: (e) => e.detail.call?.id === mine.id });
      assert.equal(reconnecting.detail.reason, 'signaling');
      const back = await next(alice, 'softphone-call-reconnected', before.rec, 30_000);
      await next(carol, 'softphone-call-reconnected', before.crec, 30_000);
      console.log(`  reconnected ${ms(back.t - t0)} after the server closed the WebSocket`);
      assert.equal((await alice.calls()).find((c) => c.id === mine.id)?.reconnecting, false);
      await hearEachOther(alice, carol);
      const ended = await count(alice, 'softphone-call-ended');
      await carol.invoke('hangup');
      const end = await next(alice, 'softphone-call-ended', ended);
      assert.equal(end.detail.call?.endCause, 'remote-hangup');
    } finally {
      await close(alice, carol);
    }
  }, { timeout: 120_000 });
});
