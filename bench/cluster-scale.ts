/**
 * `npm run bench -- --scale`: the registrar cluster under load (lab startLab({ cluster: true }),
 * server1 on two Kamailio nodes sharing registrations over DMQ).
 *
 * - SIPp registration load: `SIPP_USERS` extensions (digest auth, accounts generated in the lab's
 *   accounts database), half registering on each node over UDP, each refreshing every 15 s
 *   (Expires 30) for `REFRESHES` rounds; a SIPp run per node, its per-exchange times (REGISTER ->
 *   401 -> REGISTER with credentials -> 200) from SIPp's rtd and its call counts.
 * - Real elements in Chromium (`ELEMENTS`, half listing node a first, half node b): registered,
 *   refreshing every 15 s (the element's default `refresh`), during the load.
 * - Calls between two real elements on different nodes (caller on node a, callee on node b: the
 *   call is relayed between the nodes): call() -> established, before the load (baseline, same run
 *   and page) and during it; the ratio.
 * - Every few seconds, on both nodes: how many of the expected bindings each node holds (both must
 *   hold all: they are shared), and the lowest seconds left on any binding (30 s registrations
 *   refreshed every 15 s: a binding refreshed on time never falls below ~15 s; below 0 it lapsed).
 * - Each node's CPU (utime + stime of all its processes, /proc/<pid>/stat, over the load) and memory
 *   (the sum of the PSS of its processes, /proc/<pid>/smaps_rollup: Kamailio's shared memory counted
 *   once), idle before the load and at the peak during it.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { upsertAccount, type AccountsDb } from '../lab/accounts-db.js';
import type { Lab, LabServer } from '../lab/lab.js';
import type { Account, BenchApi, CallResult } from './pages/bench-page.js';

type Bench = { bench: BenchApi };

export interface ClusterScaleOptions {
  lab: Lab;
  db: AccountsDb;
  /** Accounts this run created (removed by the caller at the end). */
  created: Account[];
  openPage: () => Promise<{ context: BrowserContext; page: Page }>;
  browser: Browser;
  sippUsers: number;
  elements: number;
  refreshes: number;
  calls: number;
  progress: (text: string) => void;
}

const CLK_TCK = 100;

/** The processes of a Kamailio node: its main process and the workers in its process group. */
function nodePids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[2] is the process group (field 5 of stat)
      if (Number(fields[2]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

interface NodeUsage {
  /** CPU seconds (user + system) of all its processes so far. */
  cpuSeconds: number;
  /** Sum of the PSS of its processes, bytes. */
  pssBytes: number;
  processes: number;
}

export function nodeUsage(pid: number): NodeUsage {
  let ticks = 0;
  let pss = 0;
  const pids = nodePids(pid);
  for (const p of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      const rollup = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return { cpuSeconds: ticks / CLK_TCK, pssBytes: pss, processes: pids.length };
}

/** The SIPp scenario: register with digest auth, then refresh every 15 s, `refreshes` times. */
export function registrationScenario(refreshes: number): string {
  const register = (auth: boolean, rtd: boolean) => `  <send retrans="500"${rtd ? ' start_rtd="1"' : ''}>
    <![CDATA[

      REGISTER sip:[field2] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[field0]@[field2]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field0]@[field2]>
      Call-ID: [call_id]
      CSeq: [cseq] REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Expires: 30
${auth ? '      [field1]\n' : ''}      User-Agent: lab-scale
      Content-Length: 0

    ]]>
  </send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="lab registration load">
  <nop><action><assign assign_to="n" value="0"/></action></nop>
  <label id="1"/>
${register(false, true)}
  <recv response="401" auth="true"/>
${register(true, false)}
  <recv response="200" rtd="1" repeat_rtd="true"/>
  <nop><action><add assign_to="n" value="1"/><test assign_to="more" variable="n" compare="less_than" value="${refreshes + 1}"/></action></nop>
  <nop condexec="more"><action><log message="refresh"/></action></nop>
  <pause milliseconds="15000" condexec="more"/>
  <nop next="1" test="more"/>
  <ResponseTimeRepartition value="10, 20, 50, 100, 200, 500, 1000, 2000"/>
</scenario>
`;
}

interface SippRun {
  code: number | null;
  successful: number;
  failed: number;
  /** REGISTER -> 200 exchange times (401 round included), ms. */
  exchangeMs: number[];
  stderr: string;
}

/** Runs SIPp against one node's UDP port; resolves when it exits. */
function runSipp(dir: string, name: string, scenarioXml: string, csv: string, port: number, users: number, stop: AbortSignal): Promise<SippRun> {
  // a scenario file per run: SIPp names its rtt file after it (<name>_<pid>_rtt.csv)
  const scenario = path.join(dir, `${name}.xml`);
  fs.writeFileSync(scenario, scenarioXml);
  const args = [
    `127.0.0.1:${port}`,
    '-sf', scenario,
    '-inf', csv,
    '-i', '127.0.0.1',
    '-p', '0',
    '-m', String(users),
    '-l', String(users),
    '-r', '50',
    '-t', 'u1',
    '-bg',
    '-nostdin',
    '-trace_stat', '-stf', path.join(dir, `${name}-stat.csv`), '-fd', '5',
    '-trace_rtt', '-rtt_freq', '1',
    '-trace_err', '-error_file', path.join(dir, `${name}-errors.log`),
  ];
  return new Promise((resolve, reject) => {
    // -bg would fork away; run it in the foreground instead (its own process group)
    const child = spawn('sipp', args.filter((a) => a !== '-bg'), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const onAbort = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    stop.addEventListener('abort', onAbort, { once: true });
    child.once('error', reject);
    child.once('exit', (code) => {
      stop.removeEventListener('abort', onAbort);
      const stat = readStat(path.join(dir, `${name}-stat.csv`));
      resolve({ code, successful: stat.successful, failed: stat.failed, exchangeMs: readRtt(dir, name), stderr });
    });
  });
}

function readStat(file: string): { successful: number; failed: number } {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const head = lines[0]!.split(';');
    const last = lines[lines.length - 1]!.split(';');
    const col = (name: string) => Number(last[head.indexOf(name)]);
    return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
  } catch {
    return { successful: NaN, failed: NaN };
  }
}

/** SIPp's rtt file (`<scenario>_<pid>_rtt.csv`): `Date_ms;response_time_ms;rtd_no`. */
function readRtt(dir: string, name: string): number[] {
  const out: number[] = [];
  for (const f of fs.readdirSync(dir)) {
    if (!f.startsWith(`${name}_`) || !f.endsWith('_rtt.csv')) continue;
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(1)) {
      const parts = line.split(';');
      const ms = Number(parts[1]);
      if (parts.length >= 3 && Number.isFinite(ms)) out.push(ms);
    }
  }
  return out;
}

interface BindingSample {
  t: number;
  node: string;
  /** Expected AORs this node holds. */
  held: number;
  /** Lowest seconds left on any expected binding. */
  minExpires: number;
}

async function sampleBindings(node: LabServer, expected: Set<string>, t0: number): Promise<BindingSample> {
  const bindings = await node.bindings();
  const held = new Set<string>();
  let minExpires = Infinity;
  for (const b of bindings) {
    if (!expected.has(b.aor)) continue;
    held.add(b.aor);
    minExpires = Math.min(minExpires, b.expires);
  }
  return { t: Date.now() - t0, node: node.node, held: held.size, minExpires };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function pct(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

export async function measureClusterScale(o: ClusterScaleOptions) {
  const { lab, db } = o;
  const [nodeA, nodeB] = lab.nodes.server1 as [LabServer, LabServer];
  const domain = lab.servers.server1.domain;
  const account = (extension: string): Account => {
    const a = { extension, domain, password: crypto.randomBytes(9).toString('base64url') };
    upsertAccount(db, { username: a.extension, domain, password: a.password });
    o.created.push(a);
    return a;
  };
  const sippAccounts = Array.from({ length: o.sippUsers }, (_, i) => account(String(20000 + i)));
  const crowd = Array.from({ length: o.elements }, (_, i) => account(String(30000 + i)));
  const caller = account('30900');
  const callee = account('30901');
  const dir = fs.mkdtempSync(path.join(lab.dir, 'scale-'));
  const scenario = registrationScenario(o.refreshes);
  const half = Math.ceil(sippAccounts.length / 2);
  const csvs = [sippAccounts.slice(0, half), sippAccounts.slice(half)].map((list, i) => {
    const file = path.join(dir, `users-${i}.csv`);
    // the credentials as a whole [authentication ...] keyword per line: SIPp does not expand an
    // injected field inside the keyword's parameters
    fs.writeFileSync(file, `SEQUENTIAL\n${list.map((a) => `${a.extension};[authentication username=${a.extension} password=${a.password}];${domain}`).join('\n')}\n`);
    return { file, count: list.length };
  });
  const expected = new Set([...sippAccounts, ...crowd, caller, callee].map((a) => `sip:${a.extension}@${domain}`));
  const urls = { a: `${nodeA.wsUrl} ${nodeB.wsUrl}`, b: `${nodeB.wsUrl} ${nodeA.wsUrl}` };

  const { context, page } = await o.openPage();
  const stop = new AbortController();
  try {
    const call = (): Promise<CallResult> => page.evaluate(() => (window as unknown as Bench).bench.elementCall({ marks: false }));
    await page.evaluate(({ s, a, b, sb }) => (window as unknown as Bench).bench.elementPair(s, a, b, sb), { s: urls.a, a: caller, b: callee, sb: urls.b });
    // baseline: the same pair, same page, before any load
    await call();
    const unloaded: number[] = [];
    for (let i = 0; i < o.calls; i++) unloaded.push((await call()).established);
    o.progress(`baseline calls (node a -> node b, no load): median ${median(unloaded).toFixed(0)} ms`);

    const idle = { a: nodeUsage(nodeA.pid!), b: nodeUsage(nodeB.pid!) };
    const t0 = Date.now();
    // the load: SIPp on both nodes, then the crowd of elements (half on each node)
    const sipp = csvs.map((c, i) => runSipp(dir, `node-${i ? 'b' : 'a'}`, scenario, c.file, (i ? nodeB : nodeA).sipPort, c.count, stop.signal));
    const crowdA = crowd.slice(0, Math.ceil(crowd.length / 2));
    const crowdB = crowd.slice(crowdA.length);
    const registered = await page.evaluate(
      async ({ sa, sb, a, b }) => {
        const bench = (window as unknown as Bench).bench;
        const [x, y] = await Promise.all([bench.scaleElements(sa, a), bench.scaleElements(sb, b)]);
        return { all: Math.max(x.all, y.all), each: [...x.each, ...y.each], socketsFailed: x.socketsFailed + y.socketsFailed };
      },
      { sa: urls.a, sb: urls.b, a: crowdA, b: crowdB },
    );
    o.progress(`${crowd.length} elements registered in ${registered.all.toFixed(0)} ms`);

    // during the load: calls between the pair, bindings and usage sampled
    const samples: BindingSample[] = [];
    const usage: { t: number; a: NodeUsage; b: NodeUsage }[] = [];
    const loaded: number[] = [];
    const loadMs = o.refreshes * 15_000;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = Date.now();
        samples.push(await sampleBindings(nodeA, expected, t0), await sampleBindings(nodeB, expected, t0));
        usage.push({ t: Date.now() - t0, a: nodeUsage(nodeA.pid!), b: nodeUsage(nodeB.pid!) });
        await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - t))));
      }
    })();
    // calls from when every SIPp user is registered (50/s) to the end of the load
    await new Promise((r) => setTimeout(r, Math.ceil(o.sippUsers / 2 / 50) * 1000 + 2000));
    const tLoad = Date.now() - t0;
    while (Date.now() - t0 < loadMs && loaded.length < o.calls * 4) {
      loaded.push((await call()).established);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const [runA, runB] = await Promise.all(sipp);
    const tEnd = Date.now() - t0;
    sampling = false;
    await sampler;
    const busy = { a: nodeUsage(nodeA.pid!), b: nodeUsage(nodeB.pid!) };
    await page.evaluate(() => (window as unknown as Bench).bench.scaleElementsStop()).catch(() => undefined);
    await page.evaluate(() => (window as unknown as Bench).bench.elementPairStop()).catch(() => undefined);

    const steady = samples.filter((s) => s.t >= tLoad);
    const runs = [runA!, runB!];
    const exchange = runs.flatMap((r) => r.exchangeMs);
    const successful = runs.reduce((n, r) => n + r.successful, 0);
    const failed = runs.reduce((n, r) => n + r.failed, 0);
    const seconds = tEnd / 1000;
    const peak = (k: 'a' | 'b') => Math.max(...usage.map((u) => u[k].pssBytes));
    const node = (k: 'a' | 'b') => ({
      cpuPercent: Math.round(((busy[k].cpuSeconds - idle[k].cpuSeconds) / seconds) * 1000) / 10,
      pssIdleMB: Math.round(idle[k].pssBytes / 1e5) / 10,
      pssPeakMB: Math.round(peak(k) / 1e5) / 10,
      processes: busy[k].processes,
    });
    return {
      sippUsers: o.sippUsers,
      elements: o.elements,
      refreshes: o.refreshes,
      loadSeconds: Math.round(seconds),
      registration: {
        sippUsersAllRefreshesOk: successful,
        sippUsersFailed: failed,
        sippExitCodes: runs.map((r) => r.code),
        successRate: Math.round((successful / o.sippUsers) * 10000) / 100,
        elementsRegisteredMs: Math.round(registered.all),
        elementSocketsRetried: registered.socketsFailed,
        /** Per sample during the load, both nodes: the lowest share of the expected bindings held. */
        minHeldShare: steady.length ? Math.round((Math.min(...steady.map((s) => s.held)) / expected.size) * 10000) / 100 : NaN,
        expectedBindings: expected.size,
      },
      refresh: {
        exchangeMs: { n: exchange.length, median: median(exchange), p95: pct(exchange, 0.95), max: Math.max(...exchange) },
        /** Lowest seconds left on any binding at any sample (registrations last 30 s, refreshed every 15 s). */
        minSecondsLeft: steady.length ? Math.min(...steady.map((s) => s.minExpires)) : NaN,
      },
      calls: {
        unloaded: { n: unloaded.length, median: Math.round(median(unloaded)), p95: Math.round(pct(unloaded, 0.95)) },
        loaded: { n: loaded.length, median: Math.round(median(loaded)), p95: Math.round(pct(loaded, 0.95)) },
        ratioMedian: Math.round((median(loaded) / median(unloaded)) * 100) / 100,
      },
      nodes: { a: node('a'), b: node('b') },
      sippErrors: runs.map((r) => r.stderr.trim().split('\n').slice(-3).join(' | ')).filter(Boolean),
    };
  } finally {
    stop.abort();
    await context.close();
  }
}
