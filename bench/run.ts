/**
 * `npm run bench`: how fast and how big `<soft-phone>` is, against plain SIP.js in the same page and
 * run, in headless Chromium against the lab Kamailio, loopback only. Prints a table and writes every
 * figure to bench/results.json. `--quick`: fewer iterations, for development.
 *
 * Measured (the page does the timing, see bench/pages/bench-page.ts):
 * - registration: element appended -> softphone-registered, vs UserAgent + Registerer (expires 30)
 * - call set-up, element to element vs two plain SIP.js user agents (SIP.js defaults, and "tuned"
 *   with a short iceGatheringTimeout): call() -> established and -> first audio packet, warm (one
 *   page, after a warm-up call) and cold (first call of a fresh page), with a message timeline
 * - bundle: minified and gzip -9 sizes vs sip.js + lit alone, and where the bytes go (bench/bundle.ts)
 * - memory: JS heap after N sequential calls minus after the first; live peer connections and tracks
 * - scale: many elements registering at once in one page (time, heap per element)
 * - PBX media path (a lab of its own with rtpengine, baresip desk phones and the SIPp carrier):
 *   element -> desk phone set-up through rtpengine, and carrier call-in -> element rings -> answered
 *   and established, beside element -> element in the same lab and page (the baseline)
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { deleteAccount, openAccountsDb, upsertAccount, type AccountsDb } from '../lab/accounts-db.js';
import { startLab, type Lab } from '../lab/lab.js';
import type { CallIn } from '../lab/pstn.js';
import { launchLabChromium } from '../lab/park-orbit/browser.js';
import { startWebServer, type WebServer } from '../lab/web.js';
import { bundleReport, type BundleReport } from './bundle.js';
import { measureClusterScale } from './cluster-scale.js';
import type { Account, BenchApi, CallResult, InboundResult, Mark, PlainVariant, RegisterResult } from './pages/bench-page.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
/** `--profile`: CPU-profile element registrations and calls (unminified build), print the hot functions, stop. */
const PROFILE = process.argv.includes('--profile');
/** `--only=scale,cold`: run only these parts (bundle, registration, warm, memory, sampler, cold, scale). */
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .filter(Boolean);
/**
 * `--scale`: only the registrar cluster under load (bench/cluster-scale.ts): 1,000 SIPp extensions
 * and 100 elements (`--scale-users=N`, `--scale-elements=N`, `--scale-refreshes=N` rounds of 15 s).
 */
const SCALE = process.argv.includes('--scale');
const arg = (name: string, fallback: number): number => {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const n = Number(v);
  if (v === undefined) return fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}=${v}: a whole number of 1 or more`);
  return n;
};
const SCALE_RUN = {
  users: arg('scale-users', QUICK ? 100 : 1000),
  elements: arg('scale-elements', QUICK ? 10 : 100),
  refreshes: arg('scale-refreshes', QUICK ? 1 : 4),
  calls: QUICK ? 3 : 10,
};
const N = QUICK
  ? { register: 5, warm: 5, cold: 3, memoryCalls: 20, scale: 20, samplerRounds: 2, pbx: 3 }
  : { register: 20, warm: 20, cold: 20, memoryCalls: 200, scale: 100, samplerRounds: 5, pbx: 10 };
/** How long each held call of the quality sampler measurement lasts, ms. */
const HOLD_MS = QUICK ? 5000 : 10_000;
/** Idle time after the memory calls before the last heap reading (longer than SIP.js's 32 s transaction timers). */
const IDLE_MS = QUICK ? 5000 : 40_000;
/** iceGatheringTimeout of the "plain SIP.js tuned" variant, ms. */
const TUNED_GATHERING_MS = 50;
const VARIANTS: Record<'plain' | 'tuned', PlainVariant> = { plain: {}, tuned: { iceGatheringTimeout: TUNED_GATHERING_MS } };

const PAGE_HTML = `<!doctype html><html lang="en"><meta charset="utf-8"><title>soft-phone bench</title>
<script src="/bench/page.js"></script>
<script type="module" src="/dist/soft-phone.bundle.js"></script>
<body></body></html>`;

// --- statistics -----------------------------------------------------------------------------

interface Stats {
  n: number;
  median: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  const round = (v: number): number => Math.round(v * 10) / 10;
  return {
    n: s.length,
    median: round(s.length % 2 ? at(0.5) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2),
    p95: round(at(0.95)),
    mean: round(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
    min: round(s[0] ?? NaN),
    max: round(s[s.length - 1] ?? NaN),
  };
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

/** Median time of each timeline mark over several calls (a mark seen twice in a call is `#2`). */
interface TimelineRow {
  what: string;
  median: number;
  seenIn: number;
  medianMs?: number;
}

function medianTimeline(calls: { marks: Mark[] }[]): TimelineRow[] {
  const byLabel = new Map<string, { ts: number[]; ms: number[] }>();
  for (const call of calls) {
    const seen = new Map<string, number>();
    for (const m of call.marks) {
      const k = (seen.get(m.what) ?? 0) + 1;
      seen.set(m.what, k);
      const label = k > 1 ? `${m.what} #${k}` : m.what;
      const entry = byLabel.get(label) ?? { ts: [], ms: [] };
      entry.ts.push(m.t);
      if (m.ms !== undefined) entry.ms.push(m.ms);
      byLabel.set(label, entry);
    }
  }
  return [...byLabel.entries()]
    .map(([what, e]) => ({ what, median: stats(e.ts).median, seenIn: e.ts.length, ...(e.ms.length ? { medianMs: stats(e.ms).median } : {}) }))
    .filter((m) => m.seenIn * 2 >= calls.length)
    .sort((a, b) => a.median - b.median);
}

// --- the page -------------------------------------------------------------------------------

type Bench = { bench: BenchApi };

async function openBenchPage(browser: Browser, web: WebServer, query = ''): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`  page: ${m.text()}`);
  });
  await page.goto(`${web.url}/bench/index.html${query}`);
  await page.waitForFunction(() => (window as unknown as Bench).bench?.ready(), undefined, { timeout: 20_000 });
  return { context, page };
}

/** Main-thread time the page spent (Chromium's cumulative Performance metrics), ms. */
interface MainThread {
  task: number;
  script: number;
  layoutAndStyle: number;
}

async function mainThread(cdp: CDPSession): Promise<MainThread> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const m = (name: string): number => (metrics.find((x) => x.name === name)?.value ?? 0) * 1000;
  return { task: m('TaskDuration'), script: m('ScriptDuration'), layoutAndStyle: m('LayoutDuration') + m('RecalcStyleDuration') };
}

/** Runs `fn` and returns how much main-thread time the page spent meanwhile. */
async function withMainThread<T>(cdp: CDPSession, fn: () => Promise<T>): Promise<{ value: T; cpu: MainThread }> {
  const before = await mainThread(cdp);
  const value = await fn();
  const after = await mainThread(cdp);
  return { value, cpu: { task: after.task - before.task, script: after.script - before.script, layoutAndStyle: after.layoutAndStyle - before.layoutAndStyle } };
}

function cpuStats(list: MainThread[]): Record<keyof MainThread, number> {
  return {
    task: stats(list.map((c) => c.task)).median,
    script: stats(list.map((c) => c.script)).median,
    layoutAndStyle: stats(list.map((c) => c.layoutAndStyle)).median,
  };
}

function progress(text: string): void {
  process.stdout.write(`  ${text}\n`);
}

// --- measurements ---------------------------------------------------------------------------

interface Accounts {
  regElement: Account;
  regPlain: Account;
  pairs: Record<'element' | 'plain' | 'tuned', [Account, Account]>;
  crowd: Account[];
}

async function measureRegistration(page: Page, cdp: CDPSession, server: string, acc: Accounts) {
  const element: RegisterResult[] = [];
  const plain: RegisterResult[] = [];
  const cpu: Record<'element' | 'plain', MainThread[]> = { element: [], plain: [] };
  const runElement = (): Promise<RegisterResult> =>
    page.evaluate(({ s, a }) => (window as unknown as Bench).bench.elementRegister(s, a), { s: server, a: acc.regElement });
  const runPlain = (): Promise<RegisterResult> => page.evaluate(({ s, a }) => (window as unknown as Bench).bench.plainRegister(s, a), { s: server, a: acc.regPlain });
  // first of each in the page (not counted), then interleaved so drift hits both alike
  const firstElement = await runElement();
  const firstPlain = await runPlain();
  for (let i = 0; i < N.register; i++) {
    const e = await withMainThread(cdp, runElement);
    element.push(e.value);
    cpu.element.push(e.cpu);
    const p = await withMainThread(cdp, runPlain);
    plain.push(p.value);
    cpu.plain.push(p.cpu);
  }
  const e = stats(element.map((r) => r.ms));
  const p = stats(plain.map((r) => r.ms));
  return {
    element: e,
    plain: p,
    firstInPage: { element: Math.round(firstElement.ms * 10) / 10, plain: Math.round(firstPlain.ms * 10) / 10 },
    ratioMedian: ratio(e.median, p.median),
    ratioP95: ratio(e.p95, p.p95),
    timeline: { element: medianTimeline(element), plain: medianTimeline(plain) },
    /** Main-thread time per register + unregister cycle (median ms). */
    mainThread: { element: cpuStats(cpu.element), plain: cpuStats(cpu.plain) },
    samples: { element: element.map((r) => Math.round(r.ms * 10) / 10), plain: plain.map((r) => Math.round(r.ms * 10) / 10) },
  };
}

async function setUpPairs(page: Page, server: string, acc: Accounts): Promise<void> {
  await page.evaluate(({ s, a, b }) => (window as unknown as Bench).bench.elementPair(s, a, b), { s: server, a: acc.pairs.element[0], b: acc.pairs.element[1] });
  for (const name of ['plain', 'tuned'] as const) {
    await page.evaluate(({ n, s, a, b, v }) => (window as unknown as Bench).bench.plainPair(n, s, a, b, v), {
      n: name,
      s: server,
      a: acc.pairs[name][0],
      b: acc.pairs[name][1],
      v: VARIANTS[name],
    });
  }
}

async function tearDownPairs(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const b = (window as unknown as Bench).bench;
    await b.elementPairStop();
    await b.plainPairStop('plain');
    await b.plainPairStop('tuned');
  });
}

const CALL_VARIANTS = ['element', 'plain', 'tuned'] as const;
/** Cold calls also run the element in a page without Web Audio (no ring tones): a diagnostic. */
const COLD_VARIANTS = [...CALL_VARIANTS, 'element-no-tones'] as const;
type CallVariant = (typeof COLD_VARIANTS)[number];
type CallResults = Partial<Record<CallVariant, CallResult[]>>;

const VARIANT_NAMES: Record<CallVariant, string> = {
  element: '<soft-phone>',
  plain: 'plain SIP.js (defaults)',
  tuned: `plain SIP.js tuned (iceGatheringTimeout ${TUNED_GATHERING_MS} ms)`,
  'element-no-tones': '<soft-phone> without Web Audio (diagnostic)',
};

function oneCall(page: Page, variant: CallVariant, marks = true): Promise<CallResult> {
  return variant === 'element' || variant === 'element-no-tones'
    ? page.evaluate((m) => (window as unknown as Bench).bench.elementCall({ marks: m }), marks)
    : page.evaluate(({ n, m }) => (window as unknown as Bench).bench.plainCall(n, { marks: m }), { n: variant, m: marks });
}

function summarizeCalls(results: CallResults) {
  const variants = COLD_VARIANTS.filter((v) => results[v]?.length);
  const of = (v: CallVariant): CallResult[] => results[v] ?? [];
  const est = Object.fromEntries(variants.map((v) => [v, stats(of(v).map((r) => r.established))])) as Partial<Record<CallVariant, Stats>>;
  const audio = Object.fromEntries(variants.map((v) => [v, stats(of(v).map((r) => r.firstAudio))])) as Partial<Record<CallVariant, Stats>>;
  const r = (a: Stats | undefined, b: Stats | undefined) => (a && b ? { median: ratio(a.median, b.median), p95: ratio(a.p95, b.p95) } : undefined);
  return {
    established: est,
    firstAudio: audio,
    ratios: {
      establishedVsPlain: r(est.element, est.plain),
      establishedVsTuned: r(est.element, est.tuned),
      firstAudioVsPlain: r(audio.element, audio.plain),
      firstAudioVsTuned: r(audio.element, audio.tuned),
    },
    audioProbe: Object.fromEntries(
      variants.map((v) => [v, of(v).reduce<Record<string, number>>((acc, x) => ({ ...acc, [x.audioProbe]: (acc[x.audioProbe] ?? 0) + 1 }), {})]),
    ),
    timeline: Object.fromEntries(variants.map((v) => [v, medianTimeline(of(v))])) as Partial<Record<CallVariant, TimelineRow[]>>,
    samples: Object.fromEntries(
      variants.map((v) => [v, of(v).map((x) => ({ established: Math.round(x.established * 10) / 10, firstAudio: Math.round(x.firstAudio * 10) / 10 }))]),
    ),
  };
}

async function measureWarmCalls(page: Page, cdp: CDPSession): Promise<{ results: CallResults; mainThread: Record<string, Record<keyof MainThread, number>> }> {
  for (const v of CALL_VARIANTS) await oneCall(page, v); // warm-up, not counted
  const results: Record<string, CallResult[]> = { element: [], plain: [], tuned: [] };
  const cpu: Record<string, MainThread[]> = { element: [], plain: [], tuned: [] };
  for (let i = 0; i < N.warm; i++) {
    // rotate the order so no variant always follows the same one
    for (let k = 0; k < CALL_VARIANTS.length; k++) {
      const v = CALL_VARIANTS[(i + k) % CALL_VARIANTS.length]!;
      const { value, cpu: used } = await withMainThread(cdp, () => oneCall(page, v));
      results[v]!.push(value);
      cpu[v]!.push(used);
    }
  }
  return { results, mainThread: Object.fromEntries(Object.entries(cpu).map(([v, list]) => [v, cpuStats(list)])) };
}

/** The first call of a fresh page (new browser context): one page per call and variant. */
async function measureColdCalls(
  browser: Browser,
  web: WebServer,
  server: string,
  acc: Accounts,
): Promise<{ results: CallResults; mainThread: Record<string, Record<keyof MainThread, number>> }> {
  const results: Record<string, CallResult[]> = {};
  const cpu: Record<string, MainThread[]> = {};
  for (let i = 0; i < N.cold; i++) {
    for (let k = 0; k < COLD_VARIANTS.length; k++) {
      const v = COLD_VARIANTS[(i + k) % COLD_VARIANTS.length]!;
      const { context, page } = await openBenchPage(browser, web, v === 'element-no-tones' ? '?notones' : '');
      try {
        if (v === 'element' || v === 'element-no-tones') {
          await page.evaluate(({ s, a, b }) => (window as unknown as Bench).bench.elementPair(s, a, b), { s: server, a: acc.pairs.element[0], b: acc.pairs.element[1] });
        } else {
          await page.evaluate(({ n, s, a, b, vv }) => (window as unknown as Bench).bench.plainPair(n, s, a, b, vv), {
            n: v,
            s: server,
            a: acc.pairs[v][0],
            b: acc.pairs[v][1],
            vv: VARIANTS[v],
          });
        }
        const cdp = await context.newCDPSession(page);
        await cdp.send('Performance.enable');
        const { value, cpu: used } = await withMainThread(cdp, () => oneCall(page, v));
        (results[v] ??= []).push(value);
        (cpu[v] ??= []).push(used);
        await tearDownPairs(page);
      } finally {
        await context.close();
      }
    }
    progress(`cold ${i + 1}/${N.cold}`);
  }
  return { results, mainThread: Object.fromEntries(Object.entries(cpu).map(([v, list]) => [v, cpuStats(list)])) };
}

/**
 * What the call quality sampler costs the main thread: the same element call held for HOLD_MS with
 * the sampler and without it (the baseline), interleaved; Chromium's main-thread task time over the
 * hold, both phones of the pair in the page, so one phone's share is half the difference.
 */
async function measureSampler(page: Page, cdp: CDPSession) {
  const on: MainThread[] = [];
  const off: MainThread[] = [];
  const longTasks: Record<'on' | 'off', number[]> = { on: [], off: [] };
  let longest = 0;
  for (let i = 0; i < N.samplerRounds; i++) {
    for (const sampling of i % 2 ? [false, true] : [true, false]) {
      await page.evaluate((s) => (window as unknown as Bench).bench.elementHoldStart(s), sampling);
      const { cpu } = await withMainThread(cdp, () => page.waitForTimeout(HOLD_MS));
      const seen = await page.evaluate(() => (window as unknown as Bench).bench.elementHoldEnd());
      (sampling ? on : off).push(cpu);
      longTasks[sampling ? 'on' : 'off'].push(seen.longTasks);
      if (sampling) longest = Math.max(longest, seen.longestMs);
    }
  }
  // The sampler's work alone, amplified: many samples back to back on one held call, against the
  // same loop without getStats (each sample and each baseline step is its own task).
  const LOOP = QUICK ? 100 : 300;
  const loop: Record<'on' | 'off', MainThread[]> = { on: [], off: [] };
  await page.evaluate((s) => (window as unknown as Bench).bench.elementHoldStart(s), false);
  try {
    for (let i = 0; i < 3; i++) {
      for (const sampling of [true, false]) {
        const { cpu } = await withMainThread(cdp, () => page.evaluate(({ n, b }) => (window as unknown as Bench).bench.samplerLoop(n, b), { n: LOOP, b: !sampling }));
        loop[sampling ? 'on' : 'off'].push(cpu);
      }
    }
  } finally {
    await page.evaluate(() => (window as unknown as Bench).bench.elementHoldEnd());
  }
  const lOn = cpuStats(loop.on);
  const lOff = cpuStats(loop.off);
  const perSample = { task: Math.round(((lOn.task - lOff.task) / LOOP) * 1000) / 1000, script: Math.round(((lOn.script - lOff.script) / LOOP) * 1000) / 1000 };
  const a = cpuStats(on);
  const b = cpuStats(off);
  const seconds = HOLD_MS / 1000;
  const perPhonePerSecond = (x: number, y: number): number => Math.round(((x - y) / 2 / seconds) * 100) / 100;
  return {
    holdMs: HOLD_MS,
    rounds: N.samplerRounds,
    withSampler: a,
    baseline: b,
    /** Main-thread ms per second of call, one phone (median task time difference / 2 phones / seconds). */
    addedPerPhonePerSecond: { task: perPhonePerSecond(a.task, b.task), script: perPhonePerSecond(a.script, b.script), layoutAndStyle: perPhonePerSecond(a.layoutAndStyle, b.layoutAndStyle) },
    /** Main-thread ms per sample (one a second per call), from LOOP samples back to back vs the same loop without them. */
    perSample: { ...perSample, samples: LOOP },
    longTasks: { withSampler: longTasks.on.reduce((x, y) => x + y, 0), baseline: longTasks.off.reduce((x, y) => x + y, 0), longestWithSamplerMs: Math.round(longest) },
  };
}

async function heap(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as Bench).bench.heap());
}

async function measureMemory(page: Page) {
  const out: Record<string, unknown> = {};
  for (const v of ['element', 'plain'] as const) {
    await oneCall(page, v, false);
    const afterFirst = await heap(page);
    const t0 = Date.now();
    const failures: string[] = [];
    // the curve tells a leak (keeps growing) from a bounded cache such as the 100-entry call history
    const heapAt: { calls: number; heap: number }[] = [{ calls: 1, heap: afterFirst }];
    const every = Math.max(10, Math.round(N.memoryCalls / 4));
    for (let i = 1; i < N.memoryCalls; i++) {
      // a failed call is counted and reported, not fatal: the figure is about what calls leave behind
      await oneCall(page, v, false).catch((error: unknown) => {
        failures.push(error instanceof Error ? error.message.split('\n')[0]! : String(error));
        if (failures.length > 5) throw error;
      });
      if ((i + 1) % every === 0 && i + 1 < N.memoryCalls) heapAt.push({ calls: i + 1, heap: await heap(page) });
      if ((i + 1) % 50 === 0) progress(`memory ${v}: ${i + 1}/${N.memoryCalls} calls`);
    }
    const seconds = (Date.now() - t0) / 1000;
    const afterAll = await heap(page);
    heapAt.push({ calls: N.memoryCalls, heap: afterAll });
    const live = await page.evaluate(() => (window as unknown as Bench).bench.live());
    // SIP.js keeps each finished INVITE transaction (and what it references) for 32 s (RFC 6026
    // Timers L and M): the heap after that idle time shows what stays for good
    await page.waitForTimeout(IDLE_MS);
    const afterIdle = await heap(page);
    // the element keeps up to 100 call-history records per phone, rendered in its list
    let afterClearingHistory: number | undefined;
    if (v === 'element') {
      await page.evaluate(() => (window as unknown as Bench).bench.clearElementHistory());
      afterClearingHistory = await heap(page);
    }
    out[v] = {
      calls: N.memoryCalls,
      heapAfterFirstCall: afterFirst,
      heapAfterAllCalls: afterAll,
      heapGrowth: afterAll - afterFirst,
      heapGrowthPerCall: Math.round((afterAll - afterFirst) / (N.memoryCalls - 1)),
      heapAt,
      heapAfterIdle: afterIdle,
      heapGrowthAfterIdle: afterIdle - afterFirst,
      idleSeconds: IDLE_MS / 1000,
      ...(afterClearingHistory !== undefined ? { heapGrowthAfterIdleWithoutHistory: afterClearingHistory - afterFirst } : {}),
      liveAfterCalls: live,
      failedCalls: failures,
      seconds: Math.round(seconds * 10) / 10,
    };
  }
  return out;
}

async function measureScale(browser: Browser, web: WebServer, lab: Lab, server: string, acc: Accounts) {
  const { context, page } = await openBenchPage(browser, web);
  try {
    const ours = (aors: string[]): number => aors.filter((a) => acc.crowd.some((c) => a === `sip:${c.extension}@${c.domain}`)).length;
    const before = await heap(page);
    const el = await page.evaluate(({ s, a }) => (window as unknown as Bench).bench.scaleElements(s, a), { s: server, a: acc.crowd });
    const withElements = await heap(page);
    const elementBindings = ours(await lab.servers.server1.registrations());
    await page.evaluate(() => (window as unknown as Bench).bench.scaleElementsStop());
    // let unregistrations and closing sockets settle before counting what removed elements left behind
    await page.waitForTimeout(3000);
    const afterElements = await heap(page);
    const plain = await page.evaluate(({ s, a }) => (window as unknown as Bench).bench.scalePlain(s, a), { s: server, a: acc.crowd });
    const withPlain = await heap(page);
    const plainBindings = ours(await lab.servers.server1.registrations());
    await page.evaluate(() => (window as unknown as Bench).bench.scalePlainStop());
    await page.waitForTimeout(3000);
    const afterPlain = await heap(page);
    const live = await page.evaluate(() => (window as unknown as Bench).bench.live());
    const count = acc.crowd.length;
    return {
      count,
      element: {
        allRegisteredMs: Math.round(el.all),
        perElementMs: stats(el.each),
        bindingsOnServer: elementBindings,
        webSocketOpenMs: stats(el.wsOpen),
        registerExchangeMs: stats(el.register),
        socketsFailed: el.socketsFailed,
        heapBytes: withElements - before,
        heapBytesPerElement: Math.round((withElements - before) / count),
        heapLeftAfterRemoval: afterElements - before,
      },
      plain: {
        allRegisteredMs: Math.round(plain.all),
        perUserAgentMs: stats(plain.each),
        bindingsOnServer: plainBindings,
        webSocketOpenMs: stats(plain.wsOpen),
        registerExchangeMs: stats(plain.register),
        socketsFailed: plain.socketsFailed,
        heapBytes: withPlain - afterElements,
        heapBytesPerUserAgent: Math.round((withPlain - afterElements) / count),
        heapLeftAfterRemoval: afterPlain - afterElements,
      },
      ratios: {
        allRegistered: ratio(el.all, plain.all),
        heapPerPhone: ratio(withElements - before, withPlain - afterElements),
      },
      liveAfterStop: live,
    };
  } finally {
    await context.close();
  }
}

/**
 * The PBX media path, in a lab of its own (`pbx: true`), one page, interleaved runs:
 * - element -> element (browser to browser, media not relayed): the baseline of this lab and run
 * - element -> desk phone 4101 (baresip, answers by itself) through rtpengine: call() -> established
 *   and -> first audio packet
 * - carrier call-in (SIPp) -> the element rings -> it answers at once -> established and first audio;
 *   measured from when SIPp was started (its start-up is part of the figure, a few ms)
 */
async function measurePbx(browser: Browser, web: WebServer) {
  const lab = await startLab({ pbx: true, servers: ['server1'] });
  const { context, page } = await openBenchPage(browser, web);
  let call: CallIn | undefined;
  try {
    const s1 = lab.servers.server1;
    const accounts = lab.accounts.server1;
    const acc = (ext: string): Account => {
      const a = accounts.find((x) => x.extension === ext);
      if (!a) throw new Error(`no lab account ${ext}`);
      return { extension: a.extension, password: a.password, domain: a.domain };
    };
    const callee = acc('4000');
    await page.evaluate(({ s, a, b }) => (window as unknown as Bench).bench.elementPair(s, a, b), { s: s1.wsUrl, a: acc('3999'), b: callee });
    const desk = lab.deskPhone('4101');
    const toDesk = async (): Promise<CallResult> => {
      const closed = desk.eventsOf('CALL_CLOSED').length;
      const r = await page.evaluate((n) => (window as unknown as Bench).bench.elementCallTo(n), desk.extension);
      await desk.waitFor('CALL_CLOSED', { count: closed + 1 });
      return r;
    };
    const callIn = async (): Promise<{ ringing: number; answeredToEstablished: number; established: number; firstAudio: number }> => {
      const inbound = page.evaluate(() => (window as unknown as Bench).bench.elementInbound());
      const t0 = Date.now();
      call = await lab.carrier!.callIn(callee.extension, '+48601234567', { port: s1.sipPort, domain: s1.domain });
      const r: InboundResult = await inbound;
      const done = await call.done;
      call = undefined;
      if (!done.ok) throw new Error(`the carrier's call-in failed (SIPp exit ${done.exitCode})`);
      return { ringing: r.ringingAt - t0, answeredToEstablished: r.establishedAt - r.ringingAt, established: r.establishedAt - t0, firstAudio: r.firstAudioAt - t0 };
    };
    // warm-up of each kind, not counted
    await page.evaluate(() => (window as unknown as Bench).bench.elementCall({ marks: false }));
    await toDesk();
    await callIn();
    const e2e: CallResult[] = [];
    const e2d: CallResult[] = [];
    const inb: Awaited<ReturnType<typeof callIn>>[] = [];
    for (let i = 0; i < N.pbx; i++) {
      e2e.push(await page.evaluate(() => (window as unknown as Bench).bench.elementCall({ marks: false })));
      e2d.push(await toDesk());
      inb.push(await callIn());
    }
    await page.evaluate(() => (window as unknown as Bench).bench.elementPairStop());
    const est = { element: stats(e2e.map((r) => r.established)), desk: stats(e2d.map((r) => r.established)) };
    const audio = { element: stats(e2e.map((r) => r.firstAudio)), desk: stats(e2d.map((r) => r.firstAudio)) };
    const inbound = {
      ringing: stats(inb.map((r) => r.ringing)),
      answeredToEstablished: stats(inb.map((r) => r.answeredToEstablished)),
      established: stats(inb.map((r) => r.established)),
      firstAudio: stats(inb.map((r) => r.firstAudio)),
    };
    return {
      runs: N.pbx,
      elementToElement: { established: est.element, firstAudio: audio.element },
      elementToDeskPhone: { established: est.desk, firstAudio: audio.desk },
      carrierCallIn: inbound,
      ratios: {
        deskVsElementEstablished: ratio(est.desk.median, est.element.median),
        deskVsElementFirstAudio: ratio(audio.desk.median, audio.element.median),
        callInEstablishedVsElementEstablished: ratio(inbound.established.median, est.element.median),
        callInAnsweredToEstablishedVsElementEstablished: ratio(inbound.answeredToEstablished.median, est.element.median),
      },
    };
  } finally {
    await call?.stop().catch(() => undefined);
    await context.close().catch(() => undefined);
    await lab.stop();
  }
}

// --- profiling ------------------------------------------------------------------------------

/** The element bundled without minification, so a CPU profile names the functions. */
async function readableBundle(): Promise<Buffer> {
  const out = await build({
    entryPoints: [path.join(ROOT, 'src/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
    tsconfig: path.join(ROOT, 'tsconfig.build.json'),
  });
  return Buffer.from(out.outputFiles[0]!.contents);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time per function over `fn`, top 25, from a CDP CPU profile; SIP.js grammar time by its callers. */
async function hotFunctions(cdp: CDPSession, fn: () => Promise<void>): Promise<{ fn: string; selfMs: number }[]> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await fn();
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (f: ProfileNode['callFrame']): string => {
    const file = f.url.replace(/^.*\/(?=[^/]+$)/, '');
    return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(name(node.callFrame), (self.get(name(node.callFrame)) ?? 0) + ms);
    // the SIP.js grammar (peg$*) is a hot spot: charge its time to the first caller outside it too
    if (node.callFrame.functionName.startsWith('peg$')) {
      let up = parent.get(node.id);
      const chain: string[] = [];
      while (up !== undefined && chain.length < 6) {
        const f = byId.get(up)?.callFrame;
        if (f && !f.functionName.startsWith('peg$') && f.functionName !== 'parse') chain.push(name(f));
        up = parent.get(up);
      }
      const key = `  grammar via ${chain.join(' < ')}`;
      self.set(key, (self.get(key) ?? 0) + ms);
    }
  });
  return [...self.entries()]
    .map(([name, t]) => ({ fn: name, selfMs: Math.round(t * 10) / 10 }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, 40);
}

async function profile(page: Page, cdp: CDPSession, server: string, acc: Accounts): Promise<void> {
  const runs = QUICK ? 5 : 20;
  const show = (title: string, rows: { fn: string; selfMs: number }[]): void => {
    console.log(`\n${title}`);
    console.log(table([['function (self time)', 'ms'], ...rows.map((r) => [r.fn, r.selfMs.toFixed(1)])]));
  };
  for (const v of ['element', 'plain'] as const) {
    const account = v === 'element' ? acc.regElement : acc.regPlain;
    const run = (): Promise<RegisterResult> =>
      page.evaluate(({ s, a, el }) => (el ? (window as unknown as Bench).bench.elementRegister(s, a) : (window as unknown as Bench).bench.plainRegister(s, a)), {
        s: server,
        a: account,
        el: v === 'element',
      });
    await run();
    show(
      `${runs} ${v} registrations`,
      await hotFunctions(cdp, async () => {
        for (let i = 0; i < runs; i++) await run();
      }),
    );
  }
  await setUpPairs(page, server, acc);
  for (const v of CALL_VARIANTS) {
    await oneCall(page, v);
    show(
      `${runs} ${v} calls`,
      await hotFunctions(cdp, async () => {
        for (let i = 0; i < runs; i++) await oneCall(page, v);
      }),
    );
  }
  await tearDownPairs(page);
}

// --- machine and report ---------------------------------------------------------------------

function machine(chromium: string) {
  const cpus = os.cpus();
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    chromium,
    date: new Date().toISOString(),
    commit,
    quick: QUICK,
  };
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MB`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function printReport(r: Results): void {
  const out: string[] = [];
  out.push(`\n<soft-phone> benchmark — ${r.machine.date} — ${r.machine.cpu}, ${r.machine.cores} cores, Chromium ${r.machine.chromium}${QUICK ? ' (--quick)' : ''}`);
  const timelineTable = (title: string, columns: [string, TimelineRow[]][]): void => {
    out.push(`\n${title} (median ms after the start; (n ms): how long it took)`);
    const labels = [...new Set(columns.flatMap(([, rows]) => rows.map((m) => m.what)))];
    const at = (rows: TimelineRow[], w: string): string => {
      const m = rows.find((x) => x.what === w);
      return m ? `${m.median.toFixed(1)}${m.medianMs !== undefined ? ` (${m.medianMs} ms)` : ''}` : '-';
    };
    const rows = labels.map((w) => [w, ...columns.map(([, col]) => at(col, w))]);
    const key = (row: string[]): number => parseFloat(row.slice(1).find((c) => c !== '-') ?? '0');
    out.push(table([['', ...columns.map(([name]) => name)], ...rows.sort((x, y) => key(x) - key(y))]));
  };
  if (r.registration) {
    const g = r.registration;
    out.push('\nRegistration (connect -> registered)');
    out.push(
      table([
        ['', 'median', 'p95', 'first in page'],
        ['<soft-phone>', ms(g.element.median), ms(g.element.p95), ms(g.firstInPage.element)],
        ['plain SIP.js', ms(g.plain.median), ms(g.plain.p95), ms(g.firstInPage.plain)],
        ['ratio', `${g.ratioMedian}`, `${g.ratioP95}`, ''],
      ]),
    );
    const mt = g.mainThread;
    out.push(
      `main-thread time per register+unregister (median): element ${ms(mt.element.task)} (script ${ms(mt.element.script)}, layout+style ${ms(mt.element.layoutAndStyle)}), ` +
        `plain ${ms(mt.plain.task)} (script ${ms(mt.plain.script)})`,
    );
    timelineTable('Registration timeline', [
      ['element', g.timeline.element],
      ['plain', g.timeline.plain],
    ]);
  }
  for (const kind of ['warm', 'cold'] as const) {
    const c = r.calls[kind];
    if (!c) continue;
    out.push(`\nCall set-up, ${kind} (call() -> established | -> first audio packet), element to element vs plain SIP.js`);
    const rows = [['', 'est. median', 'est. p95', 'audio median', 'audio p95', 'element/this est.', 'element/this audio']];
    const e = c.established.element;
    const ea = c.firstAudio.element;
    for (const v of COLD_VARIANTS) {
      const est = c.established[v];
      const audio = c.firstAudio[v];
      if (!est || !audio || !e || !ea) continue;
      rows.push([
        VARIANT_NAMES[v],
        ms(est.median),
        ms(est.p95),
        ms(audio.median),
        ms(audio.p95),
        v === 'element' ? '' : `${ratio(e.median, est.median)}`,
        v === 'element' ? '' : `${ratio(ea.median, audio.median)}`,
      ]);
    }
    out.push(table(rows));
    const perCall = c.mainThreadPerCall;
    if (perCall) {
      out.push(
        `main-thread time per call incl. hang-up (median): ${Object.entries(perCall)
          .map(([v, c]) => `${v} ${ms(c.task)} (script ${ms(c.script)}, layout+style ${ms(c.layoutAndStyle)})`)
          .join('; ')}`,
      );
    }
  }
  for (const kind of ['warm', 'cold'] as const) {
    const c = r.calls[kind];
    if (!c) continue;
    timelineTable(
      `${kind === 'warm' ? 'Warm' : 'Cold'} call timeline`,
      COLD_VARIANTS.filter((v) => c.timeline[v]).map((v) => [v, c.timeline[v] ?? []]),
    );
  }
  if (r.bundle) {
    const b = r.bundle;
    out.push('\nBundle (minified | gzip -9)');
    out.push(
      table([
        ['', 'minified', 'gzip'],
        ['dist/soft-phone.bundle.js and its chunks', kb(b.bundle.minified), kb(b.bundle.gzip)],
        ['  before the first render (entry + static imports)', kb(b.firstRender.minified), kb(b.firstRender.gzip)],
        ...b.chunks.filter((c) => !c.firstRender).map((c) => [`  on first use: ${c.file}`, kb(c.minified), kb(c.gzip)]),
        ['sip.js + lit alone', kb(b.baseline.sipjsAndLit.minified), kb(b.baseline.sipjsAndLit.gzip)],
        ['  sip.js (UserAgent, Registerer, Inviter)', kb(b.baseline.sipjs.minified), kb(b.baseline.sipjs.gzip)],
        ['  sip.js from submodules', kb(b.baseline.sipjsSubmodules.minified), kb(b.baseline.sipjsSubmodules.gzip)],
        ['  lit', kb(b.baseline.lit.minified), kb(b.baseline.lit.gzip)],
        ['product code over sip.js + lit', kb(b.productOverBaseline.minified), kb(b.productOverBaseline.gzip)],
        ['goal / budget, total', '', `${kb(b.goalGzip)} / ${kb(b.budget.totalGzip)}`],
        ['budget before the first render', '', kb(b.budget.firstRenderGzip)],
      ]),
    );
    const stale = Math.abs(b.rebuilt.gzip - b.bundle.gzip) > 256 ? ` — NOTE: src/ now builds to ${kb(b.rebuilt.gzip)} gzip, dist/ is stale` : '';
    out.push(`\nWhere the bundle bytes go (share of a rebuild from src/ with rollup.config.mjs settings: ${kb(b.rebuilt.minified)} min, ${kb(b.rebuilt.gzip)} gzip${stale})`);
    out.push(table([['', 'minified', 'gzip'], ...b.groups.map((g) => [g.group, kb(g.minified), kb(g.gzip)])]));
  }
  if (r.sampler) {
    const s = r.sampler;
    out.push(`\nCall quality sampler (an established element call held ${s.holdMs / 1000} s, with the sampler vs the same call without it; ${s.rounds} rounds each, median main-thread time of the page, two phones)`);
    out.push(
      table([
        ['', 'task', 'script', 'layout+style', 'long tasks (all rounds)'],
        ['with sampler', ms(s.withSampler.task), ms(s.withSampler.script), ms(s.withSampler.layoutAndStyle), String(s.longTasks.withSampler)],
        ['baseline (no sampler)', ms(s.baseline.task), ms(s.baseline.script), ms(s.baseline.layoutAndStyle), String(s.longTasks.baseline)],
        ['added per phone per second', ms(s.addedPerPhonePerSecond.task), ms(s.addedPerPhonePerSecond.script), ms(s.addedPerPhonePerSecond.layoutAndStyle), ''],
      ]),
    );
    out.push(
      `the sampler's own work (${s.perSample.samples} samples back to back vs the same loop without them): ${s.perSample.task.toFixed(3)} ms main-thread task time per sample ` +
        `(script ${s.perSample.script.toFixed(3)} ms), i.e. per call ${(s.perSample.task * 180).toFixed(0)} ms over 3 minutes; longest task while held calls were sampled: ${s.longTasks.longestWithSamplerMs} ms`,
    );
    out.push('(the held-call rows compare whole pages over the hold: on this shared machine their difference is within the noise)');
  }
  if (r.memory) {
    const m = r.memory as Record<'element' | 'plain', { calls: number; heapGrowth: number; heapGrowthPerCall: number; liveAfterCalls: { peerConnections: number; tracks: number } }>;
    out.push(`\nMemory (${N.memoryCalls} sequential calls: heap after all minus after the first; live at the end)`);
    out.push(
      table([
        ['', 'heap growth', 'per call', 'live pcs', 'live tracks'],
        ...(['element', 'plain'] as const).map((v) => [
          v === 'element' ? '<soft-phone>' : 'plain SIP.js',
          mb(m[v].heapGrowth),
          `${(m[v].heapGrowthPerCall / 1024).toFixed(1)} KB`,
          String(m[v].liveAfterCalls.peerConnections),
          String(m[v].liveAfterCalls.tracks),
        ]),
      ]),
    );
    for (const v of ['element', 'plain'] as const) {
      const curve = (r.memory as Record<string, { heapAt: { calls: number; heap: number }[] }>)[v]?.heapAt ?? [];
      const m = (r.memory as Record<string, { heapGrowthAfterIdle: number; idleSeconds: number; heapGrowthAfterIdleWithoutHistory?: number }>)[v];
      const noHistory = m?.heapGrowthAfterIdleWithoutHistory;
      out.push(
        `${v} heap after n calls: ${curve.map((p) => `${p.calls}: ${mb(p.heap)}`).join(', ')}; ` +
          `growth after ${m?.idleSeconds ?? 0} s idle: ${mb(m?.heapGrowthAfterIdle ?? 0)}` +
          (noHistory !== undefined ? `, and with the call history cleared: ${mb(noHistory)}` : ''),
      );
    }
    if (r.liveAtEnd) out.push(`live at the end of the run (every phone stopped): ${r.liveAtEnd.peerConnections} peer connections, ${r.liveAtEnd.tracks} tracks`);
  }
  if (r.scale) {
    const s = r.scale as Awaited<ReturnType<typeof measureScale>>;
    out.push(`\nScale (${s.count} phones registering at once in one page)`);
    out.push(
      table([
        ['', 'all registered', 'median each', 'p95 each', 'bindings', 'heap', 'heap per phone'],
        ['<soft-phone>', ms(s.element.allRegisteredMs), ms(s.element.perElementMs.median), ms(s.element.perElementMs.p95), String(s.element.bindingsOnServer), mb(s.element.heapBytes), `${(s.element.heapBytesPerElement / 1024).toFixed(1)} KB`],
        ['plain SIP.js', ms(s.plain.allRegisteredMs), ms(s.plain.perUserAgentMs.median), ms(s.plain.perUserAgentMs.p95), String(s.plain.bindingsOnServer), mb(s.plain.heapBytes), `${(s.plain.heapBytesPerUserAgent / 1024).toFixed(1)} KB`],
        ['ratio', `${s.ratios.allRegistered}`, '', '', '', `${s.ratios.heapPerPhone}`, ''],
      ]),
    );
    out.push(
      table([
        ['', 'ws open median', 'ws open p95', 'REGISTER->200 median', 'p95', 'sockets failed', 'heap left after removal'],
        ...([['<soft-phone>', s.element], ['plain SIP.js', s.plain]] as const).map(([name, x]) => [
          name,
          ms(x.webSocketOpenMs.median),
          ms(x.webSocketOpenMs.p95),
          ms(x.registerExchangeMs.median),
          ms(x.registerExchangeMs.p95),
          String(x.socketsFailed),
          mb(x.heapLeftAfterRemoval),
        ]),
      ]),
    );
  }
  if (r.pbx) {
    const p = r.pbx;
    out.push(`\nPBX media path (${p.runs} runs each, interleaved, one page; rtpengine, baresip desk phone, SIPp carrier)`);
    out.push(
      table([
        ['', 'est. median', 'est. p95', 'audio median', 'audio p95', 'this/element est.', 'this/element audio'],
        ['element -> element (baseline)', ms(p.elementToElement.established.median), ms(p.elementToElement.established.p95), ms(p.elementToElement.firstAudio.median), ms(p.elementToElement.firstAudio.p95), '', ''],
        ['element -> desk phone (rtpengine)', ms(p.elementToDeskPhone.established.median), ms(p.elementToDeskPhone.established.p95), ms(p.elementToDeskPhone.firstAudio.median), ms(p.elementToDeskPhone.firstAudio.p95), `${p.ratios.deskVsElementEstablished}`, `${p.ratios.deskVsElementFirstAudio}`],
        ['carrier call-in -> answered (from SIPp start)', ms(p.carrierCallIn.established.median), ms(p.carrierCallIn.established.p95), ms(p.carrierCallIn.firstAudio.median), ms(p.carrierCallIn.firstAudio.p95), `${p.ratios.callInEstablishedVsElementEstablished}`, ''],
      ]),
    );
    out.push(
      `carrier call-in: SIPp start -> element rings ${ms(p.carrierCallIn.ringing.median)} (p95 ${ms(p.carrierCallIn.ringing.p95)}), ` +
        `rings (answered at once) -> established ${ms(p.carrierCallIn.answeredToEstablished.median)} (p95 ${ms(p.carrierCallIn.answeredToEstablished.p95)}; ` +
        `${p.ratios.callInAnsweredToEstablishedVsElementEstablished} x element -> element call() -> established)`,
    );
  }
  if (r.clusterScale) {
    const c = r.clusterScale;
    out.push(`\nRegistrar cluster under load (server1 on 2 Kamailio nodes, DMQ): ${c.sippUsers} SIPp extensions + ${c.elements} elements, refreshing every 15 s, ${c.loadSeconds} s`);
    out.push(
      table([
        ['figure', 'value'],
        ['SIPp users registered and refreshed every time', `${c.registration.sippUsersAllRefreshesOk} of ${c.sippUsers} (${c.registration.successRate} %), failed ${c.registration.sippUsersFailed}`],
        ['bindings held by each node during the load (lowest share)', `${c.registration.minHeldShare} % of ${c.registration.expectedBindings}`],
        [`${c.elements} elements registered`, `${ms(c.registration.elementsRegisteredMs)} (sockets retried: ${c.registration.elementSocketsRetried})`],
        ['SIPp REGISTER -> 401 -> REGISTER -> 200', `median ${ms(c.refresh.exchangeMs.median)}, p95 ${ms(c.refresh.exchangeMs.p95)}, max ${ms(c.refresh.exchangeMs.max)} (${c.refresh.exchangeMs.n} exchanges)`],
        ['lowest seconds left on any binding (30 s, refreshed every 15 s)', `${c.refresh.minSecondsLeft} s`],
        ['call set-up node a -> node b, no load', `median ${ms(c.calls.unloaded.median)}, p95 ${ms(c.calls.unloaded.p95)} (${c.calls.unloaded.n})`],
        ['call set-up node a -> node b, under load', `median ${ms(c.calls.loaded.median)}, p95 ${ms(c.calls.loaded.p95)} (${c.calls.loaded.n}); ratio ${c.calls.ratioMedian}`],
        ['node a: CPU over the load, memory (PSS) idle / peak', `${c.nodes.a.cpuPercent} %, ${c.nodes.a.pssIdleMB} / ${c.nodes.a.pssPeakMB} MB (${c.nodes.a.processes} processes)`],
        ['node b: CPU over the load, memory (PSS) idle / peak', `${c.nodes.b.cpuPercent} %, ${c.nodes.b.pssIdleMB} / ${c.nodes.b.pssPeakMB} MB (${c.nodes.b.processes} processes)`],
      ]),
    );
    for (const e of c.sippErrors) out.push(`SIPp: ${e}`);
  }
  console.log(out.join('\n'));
}

interface Results {
  machine: ReturnType<typeof machine>;
  iterations: typeof N;
  settings: { tunedIceGatheringTimeoutMs: number; plainDefaultIceGatheringTimeoutMs: number };
  registration?: Awaited<ReturnType<typeof measureRegistration>>;
  calls: Partial<Record<'warm' | 'cold', ReturnType<typeof summarizeCalls> & { mainThreadPerCall?: Record<string, Record<keyof MainThread, number>> }>>;
  bundle?: BundleReport;
  memory?: Awaited<ReturnType<typeof measureMemory>>;
  sampler?: Awaited<ReturnType<typeof measureSampler>>;
  scale?: Awaited<ReturnType<typeof measureScale>>;
  pbx?: Awaited<ReturnType<typeof measurePbx>>;
  clusterScale?: Awaited<ReturnType<typeof measureClusterScale>>;
  liveAtEnd?: { peerConnections: number; tracks: number };
  errors: string[];
}

// --- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  let lab: Lab | undefined;
  let db: AccountsDb | undefined;
  let web: WebServer | undefined;
  let browser: Browser | undefined;
  const created: Account[] = [];
  const results: Results = {
    machine: machine(''),
    iterations: N,
    settings: { tunedIceGatheringTimeoutMs: TUNED_GATHERING_MS, plainDefaultIceGatheringTimeoutMs: 5000 },
    calls: {},
    errors: [],
  };
  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    if (SCALE !== (name === 'cluster scale')) return;
    if (ONLY && !ONLY.includes(name.split(' ')[0]!)) return;
    const t0 = Date.now();
    console.log(`${name}...`);
    try {
      await fn();
    } catch (error) {
      const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
      console.error(`  FAILED ${message}`);
      results.errors.push(message);
    }
    progress(`${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  // Read once: a rebuild of dist/ during the run must not change (or remove) what the pages load.
  // SOFT_PHONE_BUNDLE=/path/file.js measures another build.
  const bundleFile = process.env.SOFT_PHONE_BUNDLE ?? path.join(ROOT, 'dist/soft-phone.bundle.js');
  if (!existsSync(bundleFile)) throw new Error(`${bundleFile} is missing: run npm run build first`);
  const bundleJs = PROFILE ? await readableBundle() : readFileSync(bundleFile);
  try {
    if (!PROFILE && !SCALE) await step('bundle', async () => {
      results.bundle = await bundleReport(bundleFile);
    });

    lab = await startLab({ servers: ['server1'], cluster: SCALE });
    const server = lab.servers.server1.wsUrl;
    const domain = lab.servers.server1.domain;
    db = openAccountsDb(lab.dbFile);
    // Accounts of their own, so the seeded lab accounts stay untouched; one password per run.
    const account = (extension: string): Account => {
      const a = { extension, domain, password: crypto.randomBytes(9).toString('base64url') };
      upsertAccount(db!, { username: a.extension, domain, password: a.password });
      created.push(a);
      return a;
    };
    const acc: Accounts = {
      regElement: account('6001'),
      regPlain: account('6002'),
      pairs: {
        element: [account('6011'), account('6012')],
        plain: [account('6021'), account('6022')],
        tuned: [account('6031'), account('6032')],
      },
      crowd: Array.from({ length: N.scale }, (_, i) => account(String(6100 + i))),
    };

    const script = await build({
      entryPoints: [path.join(ROOT, 'bench/pages/bench-page.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      write: false,
      logLevel: 'silent',
    });
    const pageJs = script.outputFiles[0]!.text;

    web = await startWebServer({
      root: ROOT,
      routes: {
        '/bench/index.html': (_req, res) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE_HTML),
        '/favicon.ico': (_req, res) => void res.writeHead(204).end(),
        '/bench/page.js': (_req, res) => void res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(pageJs),
        '/dist/soft-phone.bundle.js': (_req, res) => void res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(bundleJs),
      },
    });
    // precise heap figures and window.gc() for the memory and scale figures
    browser = await launchLabChromium(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
    results.machine = machine(browser.version());
    const b = browser;
    const w = web;
    const l = lab;

    const opened = await openBenchPage(b, w);
    // Chromium's own accounting of main-thread time, per registration and per call
    const cdp = await opened.context.newCDPSession(opened.page);
    await cdp.send('Performance.enable');
    const main = { ...opened, cdp };
    if (SCALE) {
      await step('cluster scale', async () => {
        results.clusterScale = await measureClusterScale({
          lab: l,
          db: db!,
          created,
          openPage: () => openBenchPage(b, w),
          browser: b,
          sippUsers: SCALE_RUN.users,
          elements: SCALE_RUN.elements,
          refreshes: SCALE_RUN.refreshes,
          calls: SCALE_RUN.calls,
          progress,
        });
      });
    } else if (PROFILE) {
      try {
        await profile(main.page, cdp, server, acc);
      } finally {
        await main.context.close();
      }
      return;
    }
    try {
      await step('registration', async () => {
        results.registration = await measureRegistration(main.page, main.cdp, server, acc);
      });
      if (!SCALE && (!ONLY || ONLY.includes('warm') || ONLY.includes('memory') || ONLY.includes('sampler'))) await setUpPairs(main.page, server, acc);
      await step('warm calls', async () => {
        const warm = await measureWarmCalls(main.page, main.cdp);
        results.calls.warm = { ...summarizeCalls(warm.results), mainThreadPerCall: warm.mainThread };
      });
      await step('memory', async () => {
        results.memory = await measureMemory(main.page);
      });
      await step('sampler', async () => {
        results.sampler = await measureSampler(main.page, main.cdp);
      });
      await tearDownPairs(main.page).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      results.liveAtEnd = await main.page.evaluate(() => (window as unknown as Bench).bench.live());
    } finally {
      await main.context.close();
    }
    await step('cold calls', async () => {
      const cold = await measureColdCalls(b, w, server, acc);
      results.calls.cold = { ...summarizeCalls(cold.results), mainThreadPerCall: cold.mainThread };
    });
    await step('scale', async () => {
      results.scale = await measureScale(b, w, l, server, acc);
    });
    await step('pbx media path', async () => {
      results.pbx = await measurePbx(b, w);
    });
  } finally {
    await browser?.close().catch(() => undefined);
    await web?.close().catch(() => undefined);
    if (db) {
      for (const a of created) deleteAccount(db, a.extension, a.domain);
      db.close();
    }
    await lab?.stop().catch(() => undefined);
  }
  writeFileSync(path.join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printReport(results);
  console.log(`\nbench/results.json written; the run took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (results.errors.length) {
    console.error(`\n${results.errors.length} part(s) failed:\n${results.errors.join('\n')}`);
    process.exitCode = 1;
  }
}

await main();

