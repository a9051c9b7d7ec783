/**
 * Shared helpers for the end-to-end tests: the lab (real Kamailio), a static web server for the
 * repository, Chromium with the WebRTC test flags, and `<soft-phone>` elements driven through their
 * public API from a test page (test/e2e/pages/phone.html, which loads dist/soft-phone.bundle.js).
 *
 * Everything a test starts is stopped in `after` hooks, also when the test fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, trustSpkiArgs } from '../../lab/chromium.mjs';
import { startLab, type Lab, type LabAccount, type LabOptions } from '../../lab/lab.js';
import { startWebServer as startLabWebServer, type RouteHandler, type WebServer } from '../../lab/web.js';
import { until as waitUntil } from '../until.js';
import { bundleSizes } from '../../scripts/bundle-files.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = path.join(REPO_ROOT, 'dist', 'soft-phone.bundle.js');

/** Builds dist/ when it is missing (the test scripts normally run `npm run build` first). */
export function ensureBuilt(): void {
  if (process.env.SOFT_PHONE_BUNDLE || existsSync(BUNDLE)) return;
  // One build at a time across test processes; the bundle may exist once the lock is ours.
  execFileSync('flock', ['/tmp/soft-phone-build.lock', 'sh', '-c', 'test -f dist/soft-phone.bundle.js || npm run build'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
}

// --- the web server -------------------------------------------------------------------------

export type { WebServer };

/**
 * Serves the repository root on a free loopback port (lab/web.ts). `SOFT_PHONE_BUNDLE=/path/file.js`
 * serves another build as /dist/soft-phone.bundle.js, with the chunks it imports beside it
 * (handy while developing).
 */
export async function startWebServer(root = REPO_ROOT, options: { https?: { certFile: string; keyFile: string } } = {}): Promise<WebServer> {
  const override = process.env.SOFT_PHONE_BUNDLE;
  const routes: Record<string, RouteHandler> = {};
  for (const { file } of override ? bundleSizes(override).files : []) {
    routes[`/dist/${file === override ? 'soft-phone.bundle.js' : path.relative(path.dirname(override!), file)}`] = (_req: unknown, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(readFileSync(file));
    };
  }
  return startLabWebServer({ root, routes, ...(options.https ? { https: options.https } : {}) });
}

// --- the browser ----------------------------------------------------------------------------

/**
 * Chromium with the WebRTC test flags. `trustSpki`: the lab certificate's SPKI hash (lab.tls.spkiHash),
 * the one certificate it then accepts besides the ones it trusts anyway. `extraArgs`: more flags.
 */
export async function launchBrowser(options: { fakeAudioFile?: string; trustSpki?: string; extraArgs?: string[] } = {}): Promise<Browser> {
  const args = [...CHROMIUM_ARGS];
  if (options.fakeAudioFile) args.push(`--use-file-for-fake-audio-capture=${options.fakeAudioFile}`);
  if (options.trustSpki) args.push(...trustSpkiArgs(options.trustSpki));
  if (options.extraArgs) args.push(...options.extraArgs);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args, headless: true });
}

/** Console lines of every page opened through the harness (to look for secrets). */
export const consoleLines: string[] = [];
/** What the engine logs when the core refuses a state move (`IllegalTransitionError`). */
const ILLEGAL_MOVE = /IllegalTransitionError|illegal (call|registration) transition/;

export interface SipFrame {
  /** Date.now() when the frame went out / came in. */
  at: number;
  direction: 'sent' | 'received';
  url: string;
  text: string;
}

const frames = new WeakMap<Page, SipFrame[]>();

/** Every SIP message the page sent or received over WebSocket, in order. */
export function sipFrames(page: Page): SipFrame[] {
  return frames.get(page) ?? [];
}

/** Start lines of the requests the page sent, e.g. `REGISTER sip:server1.test SIP/2.0`, with their times. */
export function sentRequests(page: Page, method: string): SipFrame[] {
  return sipFrames(page).filter((f) => f.direction === 'sent' && f.text.startsWith(`${method} `));
}

/**
/**
 * Opens the test page in a fresh browser context (its own microphone, peer connections, events), or
 * as another tab of `options.context` (tabs of one browser share Web Locks and BroadcastChannels).
 * `options.prepare` runs on the new page before it loads (init scripts, exposed functions).
 */
export async function openPhonePage(
  browser: Browser,
  webUrl: string,
  file = 'phone.html',
  options: { context?: BrowserContext; prepare?: (page: Page) => Promise<void> } = {},
): Promise<Page> {
  const page = await (options.context ?? (await browser.newContext())).newPage();
  await options.prepare?.(page);
  instrumentPage(page);
  await page.goto(`${webUrl}/test/e2e/pages/${file}`);
  if (file === 'phone.html') {
    await page.waitForFunction(() => customElements.get('soft-phone') !== undefined, undefined, { timeout: 15_000 });
  }
  return page;
}

/**
 * Prepares every window `popOut()` opens in `context` as the CRM's own script in its copy of the
 * pop-out page would, plus the lab's test instrumentation: the phone gets the id `pop-out`, the
 * loopback ICE rule, its events recorded, and `password` when given (none: it gets the agent's
 * login from the CRM tabs). By the window's name: a popup's first page keeps the window of the
 * about:blank it started with.
 */
export async function preparePopOuts(context: BrowserContext, password?: string): Promise<void> {
  const instrument = readFileSync(path.join(REPO_ROOT, 'test/e2e/pages/instrument.js'), 'utf8');
  await context.addInitScript({
    content: `if (window.name.startsWith('soft-phone-pop-out')) {
      ${instrument}
      window.addEventListener('soft-phone-pop-out', (e) => {
        const el = e.detail.phone;
        el.id = 'pop-out';
        ${password === undefined ? '' : `el.password = ${JSON.stringify(password)};`}
        el.iceServers = [];
        el.engineOptions = { candidateFilter: ['127.0.0.1'] };
        window.__test.track(el, 'pop-out');
      });
    }`,
  });
}

/** Collects a page's console lines, page errors and SIP WebSocket frames (for pages the test did not open itself, e.g. popups). */
export function instrumentPage(page: Page): void {
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => {
    consoleLines.push(`pageerror: ${e.message}`);
    if (process.env.PAGE_STACKS) console.log(e.stack);
  });
  const list: SipFrame[] = [];
  frames.set(page, list);
  page.on('websocket', (ws) => {
    const url = ws.url();
    const text = (payload: string | Buffer): string => (typeof payload === 'string' ? payload : payload.toString('utf8'));
    ws.on('framesent', (f) => list.push({ at: Date.now(), direction: 'sent', url, text: text(f.payload) }));
    ws.on('framereceived', (f) => list.push({ at: Date.now(), direction: 'received', url, text: text(f.payload) }));
  });
}

/**
 * A far end that is not `<soft-phone>`: SIP.js's own SimpleUser (pages/plain-sipjs.html), registered
 * and ready. `close()` unregisters it and closes its page; call it in a `finally`.
 */
export class PlainSipJs {
  private constructor(readonly page: Page) {}

  static async open(
    browser: Browser,
    webUrl: string,
    options: { wsUrl: string; account: LabAccount; displayName?: string; autoAnswer?: boolean; referOnAnswer?: string },
  ): Promise<PlainSipJs> {
    const page = await openPhonePage(browser, webUrl, 'plain-sipjs.html');
    const plain = new PlainSipJs(page);
    try {
      await page.waitForFunction(() => (window as unknown as { __plainReady?: boolean }).__plainReady === true);
      const { wsUrl, account, ...rest } = options;
      await page.evaluate((o) => (window as unknown as { __plain: { start(o: unknown): Promise<void> } }).__plain.start(o), {
        wsUrl, ...account, ...rest,
      });
    } catch (error) {
      await plain.close();
      throw error;
    }
    return plain;
  }

  /** What happened so far: 'registered', 'received', 'answered', 'hangup', 'refer accepted', 'refer notify SIP/2.0 200 OK', ... */
  events(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __plainEvents: string[] }).__plainEvents);
  }

  call(target: string): Promise<void> {
    return this.page.evaluate((t) => (window as unknown as { __plain: { call(t: string): Promise<void> } }).__plain.call(t), target);
  }

  hangup(): Promise<void> {
    return this.page.evaluate(() => (window as unknown as { __plain: { hangup(): Promise<void> } }).__plain.hangup());
  }

  async close(): Promise<void> {
    await this.page.evaluate(() => (window as unknown as { __plain: { stop(): Promise<void> } }).__plain.stop()).catch(() => undefined);
    await this.page.context().close();
  }
}

// --- phones ---------------------------------------------------------------------------------

export interface RecordedEvent {
  phone: string;
  type: string;
  detail: Record<string, unknown> & { call?: CallSnapshot };
  /** performance.now() in the page. */
  t: number;
}

export interface CallSnapshot {
  id: string;
  direction: 'inbound' | 'outbound';
  state: string;
  remote: { number: string; displayName?: string; kind: string; prefix?: string; server?: string };
  muted: boolean;
  held: boolean;
  endCause?: string;
  startedAt: number;
  answeredAt?: number;
  reconnecting?: boolean;
}

export interface PhoneOptions {
  /** WebSocket URL(s), failover order. */
  server: string | string[];
  account: LabAccount;
  /** Wrong password etc. */
  password?: string;
  /** Extra attributes, e.g. `{ refresh: '15' }`. */
  attrs?: Record<string, string>;
  /** Seconds between keep-alive pings (engine option). */
  keepAlive?: number;
}

let phoneCounter = 0;

/** A `<soft-phone>` in a test page, driven through its public API. */
/** The events an agent phone (`Phone.addAgent`) records. */
const AGENT_EVENTS = [
  'softphone-registered', 'softphone-unregistered', 'softphone-registration-failed', 'softphone-status-changed',
  'softphone-call-established', 'softphone-call-ended', 'softphone-incoming-call', 'softphone-error', 'softphone-tab-role',
];

export class Phone {
  constructor(
    readonly page: Page,
    readonly id: string,
    readonly account: LabAccount,
  ) {}

  static async add(page: Page, options: PhoneOptions): Promise<Phone> {
    const id = `phone-${options.account.extension}-${++phoneCounter}`;
    await page.evaluate(
      ({ id, o }) => {
        const w = window as unknown as { __test: { addPhone(x: unknown): string } };
        w.__test.addPhone({
          id,
          server: o.server,
          domain: o.account.domain,
          extension: o.account.extension,
          password: o.password ?? o.account.password,
          displayName: o.account.displayName,
          attrs: o.attrs ?? {},
          engineOptions: { candidateFilter: ['127.0.0.1'], ...(o.keepAlive ? { keepAlive: o.keepAlive } : {}) },
        });
      },
      { id, o: options },
    );
    return new Phone(page, id, options.account);
  }

  /**
   * An agent's `<soft-phone>`: only `provisioning-url` and `agent` (and the lab's loopback ICE rule);
   * it registers once the agent logs in. Its softphone-* events are recorded like any phone's.
   */
  static async addAgent(page: Page, o: { id: string; provisioningUrl: string; agent: string; domain: string; lang?: string }): Promise<Phone> {
    await page.evaluate(
      ({ id, url, agent, lang, events }) => {
        const el = document.createElement('soft-phone');
        el.id = id;
        el.setAttribute('provisioning-url', url);
        el.setAttribute('agent', agent);
        el.setAttribute('lang', lang);
        el.iceServers = [];
        el.engineOptions = { candidateFilter: ['127.0.0.1'] };
        const w = window as unknown as { __events: unknown[] };
        for (const type of events) {
          el.addEventListener(type, (e) => w.__events.push({ phone: id, type, detail: JSON.parse(JSON.stringify((e as CustomEvent).detail ?? null)), t: performance.now() }));
        }
        document.body.append(el);
      },
      { id: o.id, url: o.provisioningUrl, agent: o.agent, lang: o.lang ?? 'en', events: AGENT_EVENTS },
    );
    return new Phone(page, o.id, { extension: '', domain: o.domain, password: '' } as LabAccount);
  }

  /** The numbers an agent phone's login step offers, in order (Playwright's CSS reaches into the shadow root). */
  async choices(): Promise<string[]> {
    const buttons = this.page.locator(`#${this.id} .choice`);
    await buttons.last().waitFor({ timeout: 15_000 });
    return buttons.evaluateAll((list) => list.map((b) => (b as HTMLElement).dataset.number ?? ''));
  }

  /** Calls a method of the element; resolves with its (serializable) result, rejects with `code: message`. */
  async invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const result = await this.page.evaluate(
      async ({ id, method, args }) => {
        const el = document.getElementById(id) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
        try {
          const value = await el[method]!(...args);
          return { ok: true as const, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
        } catch (e) {
          const err = e as { code?: string; message?: string };
          return { ok: false as const, code: err.code ?? 'UNKNOWN', message: err.message ?? String(e) };
        }
      },
      { id: this.id, method, args },
    );
    if (!result.ok) throw Object.assign(new Error(`${result.code}: ${result.message}`), { code: result.code });
    return result.value as T;
  }

  async prop<T = unknown>(name: string): Promise<T> {
    return this.page.evaluate(
      ({ id, name }) => JSON.parse(JSON.stringify((document.getElementById(id) as unknown as Record<string, unknown>)[name] ?? null)),
      { id: this.id, name },
    ) as Promise<T>;
  }

  registrationState(): Promise<string> {
    return this.prop<string>('registrationState');
  }

  calls(): Promise<CallSnapshot[]> {
    return this.prop<CallSnapshot[]>('calls');
  }

  async events(type?: string): Promise<RecordedEvent[]> {
    const all = await this.page.evaluate(() => (window as unknown as { __events: RecordedEvent[] }).__events);
    return all.filter((e) => e.phone === this.id && (type === undefined || e.type === type));
  }

  /** Waits for the `count`-th event of a type (counting from the phone's creation) that matches. */
  async waitForEvent(
    type: string,
    options: { count?: number; timeoutMs?: number; where?: (e: RecordedEvent) => boolean } = {},
  ): Promise<RecordedEvent> {
    const count = options.count ?? 1;
    if (count < 1) throw new Error(`waitForEvent(${type}): count must be 1 or more, got ${count}`);
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      const found = (await this.events(type)).filter(options.where ?? (() => true));
      if (found.length >= count) return found[count - 1]!;
      if (Date.now() > deadline) {
        const seen = (await this.events()).map((e) => e.type).join(', ');
        throw new Error(`${this.id}: no ${type} #${count} within ${options.timeoutMs ?? 15_000} ms (seen: ${seen})`);
      }
      await sleep(50);
    }
  }

  waitForCallState(state: string, options: { count?: number; timeoutMs?: number } = {}): Promise<RecordedEvent> {
    return this.waitForEvent('softphone-call-state', { ...options, where: (e) => e.detail.call?.state === state });
  }

  /** The page's clock (performance.now()), to measure against event times. */
  now(): Promise<number> {
    return this.page.evaluate(() => performance.now());
  }

  /** Removes the element from the document (it can be put back with reattach()). */
  remove(): Promise<void> {
    return this.page.evaluate((id) => {
      const w = window as unknown as { __detached?: Record<string, Element> };
      const el = document.getElementById(id);
      if (!el) return;
      (w.__detached ??= {})[id] = el;
      el.remove();
    }, this.id);
  }

  /** Puts the (same) element back into the document. */
  reattach(): Promise<void> {
    return this.page.evaluate((id) => {
      const w = window as unknown as { __detached?: Record<string, Element> };
      const el = w.__detached?.[id];
      if (el) document.body.append(el);
    }, this.id);
  }

  /** outerHTML of the element and its shadow root, and every attribute. */
  dom(): Promise<string> {
    return this.page.evaluate((id) => {
      const el = document.getElementById(id);
      if (!el) return '';
      const attrs = [...el.attributes].map((a) => `${a.name}=${a.value}`).join(' ');
      return `${el.outerHTML}\n${el.shadowRoot?.innerHTML ?? ''}\n${attrs}`;
    }, this.id);
  }
}

/** Byte counters of every peer connection of the page, oldest first. */
export function peerBytes(page: Page): Promise<{ sent: number; received: number; state: string }[]> {
  return page.evaluate(() => (window as unknown as { __test: { bytes(): Promise<{ sent: number; received: number; state: string }[]> } }).__test.bytes());
}

/** Live microphone tracks and open peer connections of the page. */
export function mediaLeft(page: Page): Promise<{ tracks: number; peerConnections: number }> {
  return page.evaluate(() => {
    const t = (window as unknown as { __test: { liveTracks(): number; openPeerConnections(): number } }).__test;
    return { tracks: t.liveTracks(), peerConnections: t.openPeerConnections() };
  });
}

/** Listens to the newest call's remote audio: the strongest level (dBFS) at each frequency, and the peak. */
export function listen(
  page: Page,
  freqs: number[],
  ms: number,
): Promise<{ levels: Record<string, number>; peak: { freq: number; db: number } }> {
  return page.evaluate(
    ({ freqs, ms }) =>
      (
        window as unknown as {
          __test: { listen(f: number[], ms: number): Promise<{ levels: Record<string, number>; peak: { freq: number; db: number } }> };
        }
      ).__test.listen(freqs, ms),
    { freqs, ms },
  );
}

/** `from` calls `to` and `to` answers; the caller's and the callee's call once the caller's is established. */
export async function connect(from: Phone, to: Phone): Promise<[CallSnapshot, CallSnapshot]> {
  const rings = (await to.events('softphone-incoming-call')).length;
  const placed = await from.invoke<CallSnapshot>('call', to.account.extension);
  const incoming = await to.waitForEvent('softphone-incoming-call', { count: rings + 1 });
  await to.invoke('answer', incoming.detail.call!.id);
  await until(async () => (await from.calls()).find((c) => c.id === placed.id && c.state === 'established'), 'caller established');
  return [placed, incoming.detail.call!];
}

/** Byte counters of the page's newest peer connection that is not closed. */
export async function liveBytes(page: Page): Promise<{ sent: number; received: number; state: string }> {
  const live = (await peerBytes(page)).filter((x) => x.state !== 'closed').at(-1);
  if (!live) throw new Error('the page has no open peer connection');
  return live;
}

/**
 * Audio flows both ways on the page's newest peer connection: waits (at most `timeoutMs`) until it
 * has both received and sent more than when called; fails naming `what` otherwise.
 */
export async function mediaFlows(page: Page, what: string, timeoutMs = 5000): Promise<{ before: { sent: number; received: number }; after: { sent: number; received: number } }> {
  const before = await liveBytes(page);
  const after = await until(async () => {
    const now = await liveBytes(page);
    return now.received > before.received && now.sent > before.sent ? now : undefined;
  }, `${what}: audio received and sent (from ${JSON.stringify(before)})`, timeoutMs);
  return { before, after };
}

/**
 * `a` and `b` talk to each other: the newest live peer connection of each page keeps sending and
 * receiving audio, and each hears the other's microphone, a `toneHz` tone.
 */
export async function hearEachOther(a: Phone, b: Phone, { toneHz = 440, listenMs = 1000 } = {}): Promise<void> {
  const live = async (p: Phone) => (await peerBytes(p.page)).filter((x) => x.state !== 'closed').at(-1)!;
  const first = [await live(a), await live(b)];
  await sleep(1000);
  const second = [await live(a), await live(b)];
  for (const [i, p] of [a, b].entries()) {
    assert.ok(second[i]!.received > first[i]!.received, `${p.id} receives audio`);
    assert.ok(second[i]!.sent > first[i]!.sent, `${p.id} sends audio`);
    const heard = await listen(p.page, [toneHz], listenMs);
    assert.ok(Math.abs(heard.peak.freq - toneHz) < 25 && heard.peak.db > -60, `${p.id} hears ${heard.peak.freq} Hz at ${heard.peak.db} dBFS`);
  }
}

// --- fixtures -------------------------------------------------------------------------------

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false. */
export function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  return waitUntil(check, what, { timeoutMs });
}

export interface Fixture {
  lab: Lab;
  web: WebServer;
  browser: Browser;
  /** A test of this file; a failure keeps the lab logs. */
  test(name: string, fn: () => Promise<void>, options?: { timeout?: number; todo?: string }): void;
}

/**
 * Starts the lab, the web server and Chromium in `before`, stops them in `after` (lab logs kept
 * when a test failed). Use inside a `describe`, and declare tests with `fixture.test()`.
 *
 * `https: true`: as a CRM in production. The lab runs with TLS (wss:// on both servers, `lab.tls`),
 * the pages are served over https:// with the lab certificate, and Chromium trusts that one
 * certificate by its SPKI hash (never `--ignore-certificate-errors`). `browserArgs`: more Chromium flags.
 */
export function withLab(
  options: { lab?: LabOptions; fakeAudioFile?: string | (() => string); https?: boolean; browserArgs?: string[] } = {},
): Fixture {
  let failed = false;
  const fixture = {
    // `todo`: a known, intermittent failure under investigation: the test runs and reports, but its
    // failure does not fail the run.
    test(name: string, fn: () => Promise<void>, opts: { timeout?: number; todo?: string } = {}) {
      it(name, { timeout: opts.timeout ?? 120_000, ...(opts.todo ? { todo: opts.todo } : {}) }, async () => {
        const seen = consoleLines.length;
        try {
          await fn();
          // The engine logs a state move the core refuses (a bug it survives): it fails the test here.
          const illegal = consoleLines.slice(seen).filter((line) => ILLEGAL_MOVE.test(line));
          if (illegal.length) throw new Error(`illegal state moves in the browser:\n${illegal.join('\n')}`);
        } catch (error) {
          failed = true;
          throw error;
        }
      });
    },
  } as Fixture;
  before(async () => {
    ensureBuilt();
    fixture.lab = await startLab(options.https ? { ...options.lab, tls: true } : options.lab);
    const tls = options.https ? fixture.lab.tls : undefined;
    if (options.https && !tls) throw new Error('the lab started without TLS');
    fixture.web = await startWebServer(REPO_ROOT, tls ? { https: tls } : {});
    const audio = typeof options.fakeAudioFile === 'function' ? options.fakeAudioFile() : options.fakeAudioFile;
    fixture.browser = await launchBrowser({
      ...(audio ? { fakeAudioFile: audio } : {}),
      ...(tls ? { trustSpki: tls.spkiHash } : {}),
      ...(options.browserArgs ? { extraArgs: options.browserArgs } : {}),
    });
  });
  after(async () => {
    await fixture.browser?.close().catch(() => undefined);
    await fixture.web?.close().catch(() => undefined);
    await fixture.lab?.stop({ keepLogs: failed }).catch(() => undefined);
  });
  return fixture;
}

/**
 * A 440 Hz tone WAV (48 kHz mono, 30 s) made with sox in a temp dir; the dir is removed at exit.
 * `volume` 0 makes digital silence (a microphone that sends nothing audible).
 */
export function toneWav(freq = 440, seconds = 30, volume = 0.5): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'soft-phone-tone-'));
  const file = path.join(dir, `tone-${freq}-${volume}.wav`);
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', file, 'synth', String(seconds), 'sine', String(freq), 'vol', String(volume)]);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return file;
}
