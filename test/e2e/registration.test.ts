/**
 * Registration and the connection, end to end: `<soft-phone>` elements in Chromium against the lab's
 * Kamailio. Delays are printed, not asserted (the benchmark is where speed is judged).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe } from 'node:test';
import type { Page } from 'playwright-core';
import { startLab } from '../../lab/lab.js';
import { consoleLines, mediaLeft, openPhonePage, Phone, sentRequests, sipFrames, sleep, until, withLab } from './harness.js';

const WRONG_PASSWORD = 'not-the-right-one-7f3a';

/** A loopback port nobody listens on: a server that is dead. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

const ms = (n: number): string => `${Math.round(n)} ms`;

describe('registration and connection', () => {
  const fx = withLab({ lab: { servers: ['server1'] } });
  const pages: Page[] = [];
  const phones: Phone[] = [];
  const account = (ext: string) => {
    const a = fx.lab.accounts.server1.find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    return a;
  };
  async function phone(ext: string, options: Partial<Parameters<typeof Phone.add>[1]> = {}): Promise<Phone> {
    const page = await openPhonePage(fx.browser, fx.web.url);
    pages.push(page);
    const p = await Phone.add(page, { server: fx.lab.servers.server1.wsUrl, account: account(ext), ...options });
    phones.push(p);
    return p;
  }
  const registrationsOf = async (ext: string): Promise<number> =>
    (await fx.lab.servers.server1.registrations()).filter((aor) => aor === `sip:${ext}@server1.test`).length;

  fx.test('alice registers with digest authentication as <extension>@<domain>', async () => {
    const alice = await phone('3999');
    const registering = await alice.waitForEvent('softphone-registering');
    const registered = await alice.waitForEvent('softphone-registered');
    assert.deepEqual(registered.detail, { aor: '3999@server1.test', server: fx.lab.servers.server1.wsUrl, expires: 30 });
    assert.equal(await alice.registrationState(), 'registered');
    assert.equal(await registrationsOf('3999'), 1);
    // Digest auth happened: the first REGISTER was challenged, the second carried credentials.
    const registers = sentRequests(alice.page, 'REGISTER');
    assert.ok(registers.some((f) => /^Authorization: Digest /m.test(f.text)), 'a REGISTER with digest credentials');
    console.log(`  registration time (connect to registered): ${ms(registered.t - registering.t)}`);
  });

  fx.test('a wrong password fails once, clearly, with no retry storm', async () => {
    const mallory = await phone('4001', { password: WRONG_PASSWORD });
    const failed = await mallory.waitForEvent('softphone-registration-failed');
    assert.ok(failed.detail.code === 401 || failed.detail.code === 403, `code ${String(failed.detail.code)}`);
    assert.equal(typeof failed.detail.reason, 'string');
    // Give a retry loop time to show itself.
    await sleep(5000);
    assert.equal((await mallory.events('softphone-registration-failed')).length, 1);
    assert.equal(await mallory.registrationState(), 'unregistered');
    const registers = sentRequests(mallory.page, 'REGISTER').length;
    assert.ok(registers <= 2, `${registers} REGISTERs sent (challenge + one answer expected)`);
    assert.equal(await registrationsOf('4001'), 0);
  });

  fx.test('the registration is refreshed every 15 s against the 30 s the server grants', async () => {
    const carol = await phone('4000', { attrs: { expires: '30', refresh: '15' } });
    await carol.waitForEvent('softphone-registered');
    // The REGISTERs that got a 200: one at start, then one per refresh.
    const okRegisters = () => {
      const list = sipFrames(carol.page);
      return list.filter((f) => f.direction === 'received' && /^SIP\/2.0 200/.test(f.text) && /^CSeq: \d+ REGISTER/m.test(f.text));
    };
    await until(async () => okRegisters().length >= 3, 'two refreshes', 45_000);
    const at = okRegisters().map((f) => f.at);
    const intervals = at.slice(1, 3).map((t, i) => (t - at[i]!) / 1000);
    console.log(`  refresh intervals: ${intervals.map((s) => `${s.toFixed(1)} s`).join(', ')}`);
    for (const s of intervals) assert.ok(s > 10 && s < 20, `refresh after ${s} s, expected about 15 s`);
    assert.equal(await carol.registrationState(), 'registered');
    assert.equal(await registrationsOf('4000'), 1);
  });

  fx.test('with the first server dead, the phone registers on the next one in `server`', async () => {
    const dead = `ws://127.0.0.1:${await deadPort()}`;
    const dave = await phone('4003', { server: [dead, fx.lab.servers.server1.wsUrl] });
    const registered = await dave.waitForEvent('softphone-registered');
    assert.equal(registered.detail.server, fx.lab.servers.server1.wsUrl);
    assert.equal(await registrationsOf('4003'), 1);
  });

  fx.test('when its server dies, a registered phone fails over to the next server in `server`', async () => {
    // A second, independent lab: its server1 serves the same domain and accounts on other ports.
    const spare = await startLab({ servers: ['server1'] });
    try {
      const primary = fx.lab.servers.server1.wsUrl;
      const secondary = spare.servers.server1.wsUrl;
      const dave = await phone('4003', { server: [primary, secondary] });
      const first = await dave.waitForEvent('softphone-registered', {
        where: (e) => e.detail.server === primary,
      });
      assert.equal(first.detail.server, primary);
      // The primary dies; it comes back (for the other tests) only after dave moved on.
      const t0 = await dave.now();
      await fx.lab.servers.server1.kill();
      try {
        const restored = await dave.waitForEvent('softphone-connection-restored', { timeoutMs: 60_000 });
        assert.equal(restored.detail.server, secondary);
        assert.deepEqual(await spare.servers.server1.registrations(), ['sip:4003@server1.test']);
        console.log(`  failover: registered on the second server ${ms(restored.t - t0)} after the first died`);
      } finally {
        await fx.lab.servers.server1.start();
      }
      await dave.remove();
      await until(async () => (await spare.servers.server1.registrations()).length === 0 || undefined, 'dave unregistered');
    } finally {
      await spare.stop();
    }
    // The phones of the primary server find it again.
    await until(async () => (await registrationsOf('3999')) === 1 || undefined, 'alice back on the primary', 60_000);
  });

  fx.test('20 remove/add cycles leave one registration and, once removed, no open microphone', async () => {
    const erin = await phone('4002');
    await erin.waitForEvent('softphone-registered');
    for (let i = 0; i < 20; i++) {
      await erin.remove();
      await erin.reattach();
    }
    await until(async () => (await erin.registrationState()) === 'registered' || undefined, 'erin registered again', 30_000);
    // Stale bindings would linger: give unregisters and closes time to land, then count.
    await sleep(1500);
    assert.equal(await registrationsOf('4002'), 1, 'exactly one registration while attached');

    // A call in progress when the element goes away: the far end hears the end, the mic is released.
    const alice = phones[0]!;
    await erin.invoke('call', '3999');
    await alice.waitForEvent('softphone-incoming-call');
    await alice.invoke('answer');
    await erin.waitForEvent('softphone-call-established');
    assert.ok((await mediaLeft(erin.page)).tracks >= 1, 'the call holds the microphone');
    await erin.remove();
    const ended = await alice.waitForEvent('softphone-call-ended');
    assert.equal(ended.detail.call?.endCause, 'remote-hangup');
    await until(async () => (await registrationsOf('4002')) === 0 || undefined, 'no registration of 4002 left');
    assert.deepEqual(await mediaLeft(erin.page), { tracks: 0, peerConnections: 0 });
  });

  fx.test('the browser going offline is checked at once, and back online the phone reconnects at once', async () => {
    const frank = await phone('4001');
    await frank.waitForEvent('softphone-registered');
    const t0 = await frank.now();
    await frank.page.context().setOffline(true);
    let lost;
    let t1: number;
    try {
      lost = await frank.waitForEvent('softphone-connection-lost', { timeoutMs: 20_000 });
      // Offline long enough for the backoff to grow past a few seconds.
      await sleep(6000);
      assert.equal(await frank.registrationState(), 'connection-lost');
    } finally {
      t1 = await frank.now();
      await frank.page.context().setOffline(false);
    }
    const restored = await frank.waitForEvent('softphone-connection-restored', { timeoutMs: 30_000 });
    assert.equal(await frank.registrationState(), 'registered');
    console.log(`  offline: lost after ${ms(lost.t - t0)}; online: restored after ${ms(restored.t - t1)}`);
    await frank.remove();
  });

  fx.test('waking from sleep checks the connection at once (long keep-alive, frozen timers)', async () => {
    // A keep-alive of 60 s: only the wake-up check can notice the dead server within the wait below.
    // The refresh (at 25 s) would notice too, but only after the wait below.
    const gina = await phone('4001', { keepAlive: 60, attrs: { refresh: '25' } });
    await gina.waitForEvent('softphone-registered');
    const server = fx.lab.servers.server1;
    server.pause();
    try {
      // The page's timers stop for 7 s, as they do while a laptop sleeps.
      await gina.page.evaluate(() => {
        const end = Date.now() + 7000;
        while (Date.now() < end) {
          // busy: no timer runs
        }
      });
      const lost = await gina.waitForEvent('softphone-connection-lost', { timeoutMs: 12_000 });
      assert.equal(lost.detail.message, 'SIP phone has lost connection with the system');
    } finally {
      server.resume();
    }
    await gina.waitForEvent('softphone-connection-restored', { timeoutMs: 60_000 });
    await gina.remove();
    await until(async () => (await registrationsOf('3999')) === 1 || undefined, 'alice registered again', 60_000);
  });

  fx.test('silent server death (SIGSTOP) is detected by the keep-alive and recovered after SIGCONT', async () => {
    const alice = phones[0]!;
    const server = fx.lab.servers.server1;
    const lostBefore = (await alice.events('softphone-connection-lost')).length;
    const restoredBefore = (await alice.events('softphone-connection-restored')).length;
    const t0 = await alice.now();
    server.pause();
    let lost;
    try {
      lost = await alice.waitForEvent('softphone-connection-lost', { count: lostBefore + 1, timeoutMs: 30_000 });
      assert.equal(lost.detail.message, 'SIP phone has lost connection with the system');
      assert.equal(await alice.registrationState(), 'connection-lost');
      // While the server stays frozen the phone keeps trying and stays "lost".
      await sleep(3000);
      assert.equal(await alice.registrationState(), 'connection-lost');
    } finally {
      server.resume();
    }
    const t1 = await alice.now();
    const restored = await alice.waitForEvent('softphone-connection-restored', { count: restoredBefore + 1, timeoutMs: 60_000 });
    assert.equal(restored.detail.server, server.wsUrl);
    assert.equal(await alice.registrationState(), 'registered');
    await until(async () => (await registrationsOf('3999')) === 1 || undefined, 'alice registered again');
    console.log(`  SIGSTOP: lost detected after ${ms(lost.t - t0)}; restored ${ms(restored.t - t1)} after SIGCONT`);
  });

  fx.test('hard server death (kill) is detected at once and recovered after the server starts again', async () => {
    const alice = phones[0]!;
    const server = fx.lab.servers.server1;
    const lostBefore = (await alice.events('softphone-connection-lost')).length;
    const restoredBefore = (await alice.events('softphone-connection-restored')).length;
    const t0 = await alice.now();
    await server.kill();
    let lost;
    try {
      lost = await alice.waitForEvent('softphone-connection-lost', { count: lostBefore + 1, timeoutMs: 30_000 });
    } finally {
      await server.start();
    }
    const t1 = await alice.now();
    const restored = await alice.waitForEvent('softphone-connection-restored', { count: restoredBefore + 1, timeoutMs: 60_000 });
    assert.equal(await alice.registrationState(), 'registered');
    assert.equal(await registrationsOf('3999'), 1);
    console.log(`  kill: lost detected after ${ms(lost.t - t0)}; restored ${ms(restored.t - t1)} after the server was up again`);
  });

  fx.test('no password in any attribute, event detail, log line, SIP message or the DOM', async () => {
    const secrets = [WRONG_PASSWORD, ...fx.lab.accounts.server1.map((a) => a.password)];
    const haystacks: [string, string][] = [];
    for (const p of phones) {
      haystacks.push([`${p.id} DOM`, await p.dom()]);
      haystacks.push([`${p.id} events`, JSON.stringify(await p.events())]);
    }
    for (const page of pages) {
      haystacks.push(['page console', (await page.evaluate(() => (window as unknown as { __console: string[] }).__console)).join('\n')]);
      haystacks.push(['document', await page.content()]);
      haystacks.push(['SIP messages', sipFrames(page).map((f) => f.text).join('\n')]);
    }
    haystacks.push(['browser console', consoleLines.join('\n')]);
    let checked = 0;
    for (const [where, text] of haystacks) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a password appears in ${where}`);
      checked += text.length;
    }
    // The check looked at real material (events, SIP messages), not at empty strings.
    assert.ok(checked > 10_000, `only ${checked} characters checked`);
  });
});
