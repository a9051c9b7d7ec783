/**
 * The lab's park orbit: a real SIP endpoint standing in for a PBX parking lot (see README.md).
 *
 * startParkOrbit() creates one account per slot in the lab's accounts database (random password
 * per run), launches a headless Chromium, and runs one registered SIP.js user agent per slot in a
 * page (orbit-page.ts), with real WebRTC media. stop() hangs up, closes that browser and removes
 * the slot accounts again.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { deleteAccount, openAccountsDb, upsertAccount } from '../accounts-db.js';
import { launchLabChromium, openLabPage } from './browser.js';
import type { PageHost } from './browser.js';
import type { OrbitEvent, OrbitPageConfig, ParkedCall } from './protocol.js';

export type { OrbitEvent, ParkedCall } from './protocol.js';

export interface ParkOrbitOptions {
  /** The lab server's SIP-over-WebSocket URL, e.g. ws://127.0.0.1:8088 */
  wsUrl: string;
  /** The lab server's SIP domain, e.g. server1.test */
  domain: string;
  /** The SQLite accounts database the lab server authenticates against. */
  dbFile: string;
  /** Slot numbers; default '701'..'720'. */
  slots?: string[];
  /** Seconds a parked call waits before it is given back to whoever parked it; default 120. */
  timeoutSeconds?: number;
  /** Seconds the parker's phone rings when a call comes back; default 30. */
  ringSeconds?: number;
  /** Unanswered returns after which the parked call is hung up; default 3. */
  maxReturns?: number;
  /** Appends one line per orbit event (parked, refused, retrieved, returned...). */
  logFile?: string;
  /** Called for every orbit event. */
  onEvent?: (event: OrbitEvent) => void;
  /** How long to wait for every slot to register; default 15 s. */
  readyTimeoutMs?: number;
  /**
   * A Chromium to open the orbit's page in (e.g. one orbit per lab server sharing one browser);
   * stop() then closes only that page. Default: the orbit launches and closes its own browser.
   */
  browser?: Browser;
}

export interface ParkOrbit {
  slots: string[];
  /** Parked calls by slot (established, not yet retrieved or given back). */
  occupied(): Promise<Record<string, ParkedCall>>;
  /** Slots currently registered. */
  registered(): Promise<string[]>;
  /** Resolves when every slot is registered (again, e.g. after a lab server restart). */
  ready(timeoutMs?: number): Promise<void>;
  /** Hangs up every call, closes the browser, deletes the slot accounts. Idempotent. */
  stop(): Promise<void>;
}

export function defaultSlots(first = 701, last = 720): string[] {
  const slots: string[] = [];
  for (let n = first; n <= last; n += 1) slots.push(String(n));
  return slots;
}

export async function startParkOrbit(options: ParkOrbitOptions): Promise<ParkOrbit> {
  const slots = options.slots ?? defaultSlots();
  if (slots.length === 0) throw new Error('park orbit needs at least one slot');
  const config: OrbitPageConfig = {
    wsUrl: options.wsUrl,
    domain: options.domain,
    slots: slots.map((slot) => ({ slot, password: randomBytes(12).toString('hex') })),
    timeoutSeconds: options.timeoutSeconds ?? 120,
    ringSeconds: options.ringSeconds ?? 30,
    maxReturns: options.maxReturns ?? 3,
  };

  const log = (event: OrbitEvent): void => {
    if (options.logFile) {
      appendFileSync(options.logFile, `${new Date().toISOString()} ${JSON.stringify(event)}\n`);
    }
    options.onEvent?.(event);
  };

  const db = openAccountsDb(options.dbFile);
  const runDir = mkdtempSync(join(tmpdir(), 'park-orbit-'));
  const ownBrowser = options.browser === undefined;
  let browser: Browser | undefined = options.browser;
  let host: PageHost | undefined;
  let page: Page | undefined;
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      try {
        await page?.evaluate(() => window.parkOrbit?.stop()).catch(() => undefined);
      } finally {
        if (ownBrowser) await browser?.close().catch(() => undefined);
        else await page?.close().catch(() => undefined);
        await host?.close();
        try {
          for (const { slot } of config.slots) deleteAccount(db, slot, options.domain);
        } finally {
          db.close();
          rmSync(runDir, { recursive: true, force: true });
        }
      }
    })();
    return stopped;
  };

  try {
    for (const { slot, password } of config.slots) {
      upsertAccount(db, { username: slot, domain: options.domain, password });
    }
    browser ??= await launchLabChromium();
    const opened = await openLabPage(browser, runDir, 'orbit-page.ts', 'park orbit');
    host = opened.host;
    const orbitPage = (page = opened.page);
    orbitPage.on('pageerror', (error) => log({ type: 'error', message: `page: ${error.message}` }));
    await orbitPage.exposeFunction('parkOrbitEvent', (event: OrbitEvent) => log(event));
    await orbitPage.evaluate((cfg) => window.parkOrbit.start(cfg), config);

    const registered = (): Promise<string[]> => orbitPage.evaluate(() => window.parkOrbit.registered());
    const ready = async (timeoutMs = options.readyTimeoutMs ?? 15_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = await registered();
        const missing = slots.filter((s) => !now.includes(s));
        if (missing.length === 0) return;
        if (Date.now() > deadline) throw new Error(`park orbit slots not registered: ${missing.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await ready();

    return {
      slots: [...slots],
      occupied: () => orbitPage.evaluate(() => window.parkOrbit.occupied()),
      registered,
      ready,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
