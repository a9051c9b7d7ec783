/**
 * The lab's park orbit, exercised by plain SIP.js phones over a real lab Kamailio with real media.
 *
 * Each phone sends its own tone (the caller 1000 Hz, the agent 1300 Hz, the retriever 1700 Hz);
 * the orbit's music on hold is a melody between 520 and 880 Hz. So "X hears Y" is checked by the
 * dominant frequency X receives, and "media flows" by RTP byte counters that keep growing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLab } from '../../lab/lab.js';
import type { Lab } from '../../lab/lab.js';
import { launchLabChromium, openLabPage } from '../../lab/park-orbit/browser.js';
import type { PageHost } from '../../lab/park-orbit/browser.js';
import { startParkOrbit } from '../../lab/park-orbit/park-orbit.js';
import type { OrbitEvent, ParkOrbit } from '../../lab/park-orbit/park-orbit.js';
import type { MediaStats, ProbeCall } from '../../lab/park-orbit/probe-page.js';
import { until } from '../until.js';

const CALLER = '3999';
const AGENT = '4000';
const OTHER = '4001';
const TONES: Record<string, number> = { [CALLER]: 1000, [AGENT]: 1300, [OTHER]: 1700 };

let lab: Lab | undefined;
let browser: Browser | undefined;
let host: PageHost | undefined;
let page: Page;
let orbit: ParkOrbit | undefined;
let dir: string | undefined;
const events: OrbitEvent[] = [];

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> => until(probe, what, { timeoutMs });

const calls = (phone: string): Promise<ProbeCall[]> => page.evaluate((p) => window.probe.calls(p), phone);
const stats = (id: string): Promise<MediaStats> => page.evaluate((c) => window.probe.stats(c), id);
const dial = (phone: string, target: string): Promise<string> =>
  page.evaluate(([p, t]) => window.probe.call(p, t), [phone, target] as const);
const answer = (id: string): Promise<void> => page.evaluate((c) => window.probe.answer(c), id);
const hangup = (id: string): Promise<void> => page.evaluate((c) => window.probe.hangup(c), id);
const transfer = (id: string, target: string): Promise<number> =>
  page.evaluate(([c, t]) => window.probe.transfer(c, t), [id, target] as const);

async function call(id: string): Promise<ProbeCall> {
  const found = (await page.evaluate(() => window.probe.calls())).find((c) => c.id === id);
  assert.ok(found, `call ${id} exists`);
  return found;
}

const established = (id: string): Promise<ProbeCall> =>
  waitFor(`${id} established`, async () => {
    const c = await call(id);
    assert.notEqual(c.state, 'ended', `${id} ended (status ${c.statusCode}) instead of being answered`);
    return c.state === 'established' && c;
  });

const ended = (id: string, timeoutMs?: number): Promise<ProbeCall> =>
  waitFor(`${id} ended`, async () => {
    const c = await call(id);
    return c.state === 'ended' && c;
  }, timeoutMs);

/** The next ringing incoming call of `phone` not in `seen`. */
const incoming = (phone: string, seen: string[] = [], timeoutMs?: number): Promise<ProbeCall> =>
  waitFor(`incoming call at ${phone}`, async () =>
    (await calls(phone)).find((c) => c.direction === 'in' && c.state === 'ringing' && !seen.includes(c.id)),
  timeoutMs);

/** `phone`'s call that was placed by following the REFER received on call `id`. */
const followed = (phone: string, id: string): Promise<ProbeCall> =>
  waitFor(`${phone} following the REFER on ${id}`, async () =>
    (await calls(phone)).find((c) => c.referredFrom === id));

/** Waits until `id` receives a tone near `hz` and its byte counters both keep growing. */
async function hears(id: string, hz: number | [number, number], what: string): Promise<void> {
  const [low, high] = typeof hz === 'number' ? [hz - 40, hz + 40] : hz;
  const first = await stats(id);
  let last = first;
  const heard = await waitFor(`${id} hearing ${what}`, async () => {
    const s = (last = await stats(id));
    return s.dominantHz >= low && s.dominantHz <= high && s.bytesReceived > first.bytesReceived && s;
  }).catch((error: Error) => {
    throw new Error(`${error.message} (first ${JSON.stringify(first)}, last ${JSON.stringify(last)})`);
  });
  assert.ok(heard.bytesSent > first.bytesSent, `${id} keeps sending`);
}

/** A call from the caller that the agent answers; returns [caller's id, agent's id]. */
async function callerReachesAgent(): Promise<[string, string]> {
  const seen = (await calls(AGENT)).map((c) => c.id);
  const out = await dial(CALLER, AGENT);
  const inAgent = await incoming(AGENT, seen);
  await answer(inAgent.id);
  await established(out);
  await established(inAgent.id);
  return [out, inAgent.id];
}

async function startOrbit(timeoutSeconds: number, slots: string[]): Promise<ParkOrbit> {
  assert.ok(lab);
  const server = lab.servers.server1;
  return startParkOrbit({
    wsUrl: server.wsUrl,
    domain: server.domain,
    dbFile: lab.dbFile,
    slots,
    timeoutSeconds,
    ringSeconds: 15,
    onEvent: (e) => events.push(e),
  });
}

describe('park orbit', { timeout: 120_000 }, () => {
  before(async () => {
    lab = await startLab({ servers: ['server1'] });
    dir = mkdtempSync(join(tmpdir(), 'park-orbit-test-'));
    browser = await launchLabChromium();
    const opened = await openLabPage(browser, dir, 'probe-page.ts', 'probe phones');
    page = opened.page;
    host = opened.host;
    const server = lab.servers.server1;
    for (const user of [CALLER, AGENT, OTHER]) {
      const account = lab.accounts.server1.find((a) => a.extension === user);
      assert.ok(account, `lab account ${user}`);
      await page.evaluate((config) => window.probe.register(config), {
        wsUrl: server.wsUrl,
        domain: server.domain,
        user,
        password: account.password,
        toneHz: TONES[user] ?? 440,
      });
    }
  });

  after(async () => {
    await page?.evaluate(() => window.probe.stop()).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    await orbit?.stop().catch(() => undefined);
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('parks a transferred call with music, refuses a second park, and bridges a retrieve', async () => {
    orbit = await startOrbit(60, ['701', '702']);
    assert.deepEqual((await lab!.servers.server1.registrations()).filter((r) => /sip:70[12]@/.test(r)), [
      'sip:701@server1.test',
      'sip:702@server1.test',
    ]);

    // The agent takes the caller's call and blind-transfers it to slot 701: the caller's phone
    // follows the REFER (with Referred-By) and the orbit answers with music on hold.
    const [toAgent, atAgent] = await callerReachesAgent();
    assert.equal(await transfer(atAgent, '701'), 200);
    const parked = await followed(CALLER, toAgent);
    await established(parked.id);
    await ended(toAgent);
    await ended(atAgent);
    await hears(parked.id, [500, 900], 'music on hold');
    const occupied = await orbit.occupied();
    assert.deepEqual(Object.keys(occupied), ['701']);
    assert.equal(occupied['701']?.caller, CALLER);
    assert.equal(occupied['701']?.parkedBy, AGENT);

    // A second park into 701 is refused with 486: the transferee stays with the agent.
    const seen = (await calls(AGENT)).map((c) => c.id);
    const otherToAgent = await dial(OTHER, AGENT);
    const otherAtAgent = await incoming(AGENT, seen);
    await answer(otherAtAgent.id);
    await established(otherToAgent);
    assert.equal(await transfer(otherAtAgent.id, '701'), 486);
    const refused = await followed(OTHER, otherToAgent);
    assert.equal((await ended(refused.id)).statusCode, 486);
    assert.equal((await call(otherToAgent)).state, 'established');
    assert.ok(events.some((e) => e.type === 'refused' && e.slot === '701'));
    await hangup(otherToAgent);
    await ended(otherAtAgent.id);

    // Dialing the occupied slot without Referred-By retrieves: the two hear each other.
    const retrieve = await dial(OTHER, '701');
    await established(retrieve);
    await hears(retrieve, TONES[CALLER]!, 'the parked caller');
    await hears(parked.id, TONES[OTHER]!, 'the retriever');
    assert.deepEqual(await orbit.occupied(), {});

    // Either side hanging up ends the other.
    await hangup(retrieve);
    await ended(parked.id);
  });

  it('gives a call parked too long back to the agent who parked it', async () => {
    await orbit?.stop();
    orbit = await startOrbit(3, ['701']);

    const [toAgent, atAgent] = await callerReachesAgent();
    const seen = (await calls(AGENT)).map((c) => c.id);
    assert.equal(await transfer(atAgent, '701'), 200);
    const parked = await followed(CALLER, toAgent);
    await established(parked.id);
    const parkedAt = Date.now();
    assert.equal((await orbit.occupied())['701']?.parkedBy, AGENT);

    const back = await incoming(AGENT, seen, 10_000);
    const waited = Date.now() - parkedAt;
    assert.ok(waited > 2500 && waited < 8000, `came back after ${waited} ms`);
    assert.equal(back.remoteUser, '701');
    assert.equal(back.remoteName, 'Park 701');
    assert.equal(back.headers['X-Park-Caller'], CALLER);
    await answer(back.id);
    await established(back.id);
    await hears(back.id, TONES[CALLER]!, 'the returned caller');
    await hears(parked.id, TONES[AGENT]!, 'the agent again');
    assert.deepEqual(await orbit.occupied(), {});

    await hangup(parked.id);
    await ended(back.id);
  });

  it('hangs up a call parked too long when nobody parked it', async () => {
    // Dialing a free slot directly parks without Referred-By: there is nobody to give it back to.
    const direct = await dial(OTHER, '701');
    await established(direct);
    const parkedAt = Date.now();
    await hears(direct, [500, 900], 'music on hold');
    const slot = (await orbit!.occupied())['701'];
    assert.equal(slot?.caller, OTHER);
    assert.equal(slot?.parkedBy, undefined);
    await ended(direct, 10_000);
    const waited = Date.now() - parkedAt;
    assert.ok(waited > 2500, `hung up after ${waited} ms`);
    assert.deepEqual(await orbit!.occupied(), {});
  });
});
