/**
 * TLS as in production: the CRM page is served over https://, and such a page may only open
 * secure WebSockets (wss://). The lab runs with TLS (a lab CA and certificate made by openssl at
 * start, both Kamailio servers on wss://), the test pages come from an https:// server with the same
 * certificate, and Chromium trusts exactly that certificate by its SPKI hash
 * (--ignore-certificate-errors-spki-list), never with certificate checks turned off.
 *
 * Every microphone is a 440 Hz tone: "X hears Y" is the tone at X's end, measured, and byte
 * counters (getStats) keep growing both ways.
 *
 * Two failures are checked to be honest: an https:// page given a ws:// server (the browser blocks
 * it: mixed content) and a browser that does not trust the lab certificate. A network host name is
 * needed for the first: browsers count 127.0.0.1 as a secure origin and let an https:// page open
 * ws://127.0.0.1, so the test maps a name to loopback (--host-resolver-rules) the way a production
 * ws://pbx.example.com would be reached.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  connect,
  hearEachOther,
  launchBrowser,
  openPhonePage,
  Phone,
  sipFrames,
  startWebServer,
  toneWav,
  until,
  withLab,
  type CallSnapshot,
  type WebServer,
} from './harness.js';

const TONE_HZ = 440;
/** A network name for the lab's ws:// port: not loopback to the browser's mixed-content check. */
const PBX_HOST = 'pbx.lab.test';

describe('TLS: an https:// page over wss://', () => {
  let tone = '';
  const fx = withLab({
    https: true,
    fakeAudioFile: () => (tone = toneWav(TONE_HZ)),
    browserArgs: [`--host-resolver-rules=MAP ${PBX_HOST} 127.0.0.1`],
  });
  let alice: Phone;
  let carol: Phone;
  let dave: Phone;

  async function phone(ext: string, server: 'server1' | 'server2' = 'server1'): Promise<Phone> {
    const page = await openPhonePage(fx.browser, fx.web.url);
    const account = fx.lab.accounts[server].find((x) => x.extension === ext);
    assert.ok(account, `lab account ${ext}`);
    const wssUrl = fx.lab.servers[server].wssUrl;
    assert.ok(wssUrl?.startsWith('wss://'), `${server} has a wss:// URL (${String(wssUrl)})`);
    const p = await Phone.add(page, { server: wssUrl!, account });
    await p.waitForEvent('softphone-registered');
    return p;
  }

  const count = async (p: Phone, type: string): Promise<number> => (await p.events(type)).length;
  const callWith = async (p: Phone, state: string): Promise<CallSnapshot> =>
    until(async () => (await p.calls()).find((c) => c.state === state), `${p.id} has a call ${state}`);

  async function hangUpAll(): Promise<void> {
    for (const p of [alice, carol, dave]) {
      for (const c of await p.calls()) await p.invoke('hangup', c.id).catch(() => undefined);
    }
    await until(async () => {
      for (const p of [alice, carol, dave]) if ((await p.calls()).length) return undefined;
      return true;
    }, 'no calls left');
  }

  fx.test('registration: phones on an https:// page register over wss:// on both servers', async () => {
    assert.ok(fx.web.url.startsWith('https://127.0.0.1:'), fx.web.url);
    alice = await phone('3999');
    const page = alice.page;
    assert.deepEqual(
      await page.evaluate(() => [location.protocol, isSecureContext]),
      ['https:', true],
      'the page is an https:// page (a secure context)',
    );
    const registered = await alice.waitForEvent('softphone-registered');
    assert.equal(registered.detail.server, fx.lab.servers.server1.wssUrl);
    // every SIP message went over the secure WebSocket
    const urls = new Set(sipFrames(page).map((f) => f.url.replace(/\/$/, '')));
    assert.deepEqual([...urls], [fx.lab.servers.server1.wssUrl]);
    assert.ok(sipFrames(page).some((f) => f.direction === 'received' && /^SIP\/2\.0 200 OK/.test(f.text) && f.text.includes('REGISTER')));
    assert.ok(sipFrames(page).some((f) => f.direction === 'sent' && f.text.startsWith('REGISTER ') && /^Via: SIP\/2\.0\/WSS /m.test(f.text)));
    assert.deepEqual(await fx.lab.servers.server1.registrations(), ['sip:3999@server1.test']);

    // server2 listens on wss:// too
    const bob = await phone('2099', 'server2');
    assert.deepEqual(await fx.lab.servers.server2.registrations(), ['sip:2099@server2.test']);
    await bob.invoke('unregister');
    await bob.page.context().close();

    carol = await phone('4000');
    dave = await phone('4001');
    assert.deepEqual(await fx.lab.servers.server1.registrations(), ['sip:3999@server1.test', 'sip:4000@server1.test', 'sip:4001@server1.test']);
  });

  fx.test('a call between two phones over wss://: audio flows both ways and each hears the other', async () => {
    const [placed] = await connect(alice, carol);
    assert.equal(placed.remote.number, '4000');
    await hearEachOther(alice, carol, { toneHz: TONE_HZ });
    await hangUpAll();
  });

  fx.test('a wss:// phone and a ws:// phone of the same server call each other, with audio', async () => {
    // ws://127.0.0.1 is allowed on an https:// page (loopback is a secure origin)
    const page = await openPhonePage(fx.browser, fx.web.url);
    try {
      const account = fx.lab.accounts.server1.find((a) => a.extension === '4002')!;
      const plain = await Phone.add(page, { server: fx.lab.servers.server1.wsUrl, account });
      const registered = await plain.waitForEvent('softphone-registered');
      assert.equal(registered.detail.server, fx.lab.servers.server1.wsUrl);
      await connect(alice, plain);
      await hearEachOther(alice, plain, { toneHz: TONE_HZ });
      await alice.invoke('hangup');
      await until(async () => (await plain.calls()).length === 0, 'the ws phone has no call');
      await connect(plain, carol);
      await hearEachOther(plain, carol, { toneHz: TONE_HZ });
      await plain.invoke('hangup');
      await until(async () => (await carol.calls()).length === 0, 'carol has no call');
      await plain.invoke('unregister');
    } finally {
      await page.context().close();
    }
  });

  fx.test("'#' transfer over wss://: dave gets alice's call, alice and dave talk, carol's call ends transferred", async () => {
    const [aliceCall, atCarol] = await connect(alice, carol);
    const rings = await count(dave, 'softphone-incoming-call');
    const transfer = carol.invoke('transfer', '4001', { mode: 'blind' }, atCarol.id);
    const ringing = await dave.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.equal(ringing.detail.call?.remote.number, '3999', 'the target sees the original caller');
    await dave.invoke('answer', ringing.detail.call!.id);
    await transfer;
    const done = await carol.waitForEvent('softphone-transfer-completed');
    assert.deepEqual([done.detail.mode, done.detail.target, done.detail.call?.endCause], ['blind', '4001', 'transferred']);
    const old = await alice.waitForEvent('softphone-call-ended', { where: (e) => e.detail.call?.id === aliceCall.id });
    assert.equal(old.detail.call?.endCause, 'transferred');
    const now = await callWith(alice, 'established');
    assert.equal(now.remote.number, '4001');
    await hearEachOther(alice, dave, { toneHz: TONE_HZ });
    await hangUpAll();
  });

  fx.test("'*' transfer over wss://: carol consults dave, complete joins alice and dave (Replaces)", async () => {
    const [aliceCall, atCarol] = await connect(alice, carol);
    const rings = await count(dave, 'softphone-incoming-call');
    const consult = await carol.invoke<CallSnapshot>('transfer', '4001', { mode: 'attended' }, atCarol.id);
    const ringing = await dave.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    await dave.invoke('answer', ringing.detail.call!.id);
    await until(async () => (await carol.calls()).find((c) => c.id === consult.id && c.state === 'established'), 'consult established');
    await hearEachOther(carol, dave, { toneHz: TONE_HZ });
    await carol.invoke('completeTransfer');
    const joined = await until(
      async () => (await alice.calls()).find((c) => c.id !== aliceCall.id && c.state === 'established'),
      'alice joined to dave',
    );
    assert.equal(joined.remote.number, '4001');
    const atDave = await callWith(dave, 'established');
    assert.equal(atDave.remote.number, '3999');
    await until(async () => (await carol.calls()).length === 0, 'carol has no calls');
    await hearEachOther(alice, dave, { toneHz: TONE_HZ });
    await hangUpAll();
  });

  fx.test('an https:// page given a ws:// server: softphone-error INVALID_CONFIG naming the URL, no socket, stays unregistered', async () => {
    const wsUrl = `ws://${PBX_HOST}:${fx.lab.servers.server1.wsPort}`;
    const page = await openPhonePage(fx.browser, fx.web.url);
    try {
      // the premise: this browser really refuses the socket from this page (mixed content)
      const refused = await page.evaluate((url) => {
        try {
          new WebSocket(url).close();
          return 'opened';
        } catch (e) {
          return (e as Error).name;
        }
      }, wsUrl);
      assert.equal(refused, 'SecurityError', 'Chromium blocks ws:// from an https:// page');

      const account = fx.lab.accounts.server1.find((a) => a.extension === '4002')!;
      const p = await Phone.add(page, { server: wsUrl, account });
      const error = await p.waitForEvent('softphone-error');
      assert.equal(error.detail.code, 'INVALID_CONFIG');
      assert.equal(
        error.detail.message,
        `server "${wsUrl}" cannot be used from an https:// page: the browser blocks ws:// there (mixed content); use wss://`,
      );
      // asked to register, it says why it cannot (rather than "could not reach")
      await assert.rejects(p.invoke('register'), (e: Error & { code?: string }) => e.code === 'INVALID_CONFIG' && e.message.includes(wsUrl));
      assert.equal(await p.registrationState(), 'unregistered');
      assert.deepEqual(await p.events('softphone-registering'), [], 'it never tried');
      assert.deepEqual(sipFrames(page), [], 'no WebSocket was opened');
      assert.ok((await p.dom()).includes('mixed content'), 'the phone shows the reason');

      // the same phone given the wss:// URL as well: that one is used
      await page.evaluate(
        ({ id, servers }) => document.getElementById(id)!.setAttribute('server', servers),
        { id: p.id, servers: `${wsUrl} ${fx.lab.servers.server1.wssUrl!}` },
      );
      const ok = await p.waitForEvent('softphone-registered');
      assert.equal(ok.detail.server, fx.lab.servers.server1.wssUrl);
      await p.invoke('unregister');
    } finally {
      await page.context().close();
    }
  });

  fx.test('a browser that does not trust the lab certificate never registers over wss://, and says so', async () => {
    let untrusting: Browser | undefined;
    let http: WebServer | undefined;
    try {
      // Chromium without the lab's SPKI: the https:// CRM page itself does not load ...
      untrusting = await launchBrowser({ fakeAudioFile: tone });
      const context = await untrusting.newContext();
      const blocked = await context.newPage();
      await assert.rejects(blocked.goto(`${fx.web.url}/test/e2e/pages/phone.html`), /ERR_CERT_AUTHORITY_INVALID/);
      await context.close();

      // ... and a page it does load (http://127.0.0.1, a secure context) cannot reach wss:// either
      http = await startWebServer();
      const wssUrl = fx.lab.servers.server1.wssUrl!;
      const account = fx.lab.accounts.server1.find((a) => a.extension === '4003')!;
      const page = await openPhonePage(untrusting, http.url);
      const p = await Phone.add(page, { server: wssUrl, account });
      // The browser does not tell the page why a WebSocket failed (its error event carries nothing),
      // so the phone says what it knows: it could not connect, to which server.
      const registering = await p.waitForEvent('softphone-registering');
      assert.equal(registering.detail.server, wssUrl);
      await p.waitForEvent('softphone-connection-lost', { timeoutMs: 30_000 });
      assert.equal(await p.registrationState(), 'connection-lost');
      await assert.rejects(p.invoke('register'), (e: Error & { code?: string }) => e.code === 'TRANSPORT_ERROR' && e.message.includes(wssUrl));
      assert.deepEqual(await p.events('softphone-registered'), [], 'it never claims to be registered');
      assert.ok(!(await fx.lab.servers.server1.registrations()).includes('sip:4003@server1.test'), 'the server has no registration');
      await page.context().close();

      // the control: the same page and server in the browser that trusts the lab certificate registers
      const trustedPage = await openPhonePage(fx.browser, http.url);
      try {
        const q = await Phone.add(trustedPage, { server: wssUrl, account });
        await q.waitForEvent('softphone-registered');
        await q.invoke('unregister');
      } finally {
        await trustedPage.context().close();
      }
    } finally {
      await untrusting?.close();
      await http?.close();
    }
  });
});
