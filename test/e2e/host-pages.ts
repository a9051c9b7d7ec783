/**
 * Pages a host builds around `<soft-phone>` (the CRM demo, the framework examples), opened as they
 * ship, with what every e2e page gets: ICE limited to 127.0.0.1 (test/e2e/pages/instrument.js, added
 * before the page's own scripts), console lines collected, and the lab described at `/lab.json` as
 * `npm start` serves it.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { labInfo } from '../../lab/lab-info.js';
import type { Lab } from '../../lab/lab.js';
import { jsonRoute, type WebServer } from '../../lab/web.js';
import { consoleLines, REPO_ROOT } from './harness.js';

const INSTRUMENT = path.join(REPO_ROOT, 'test', 'e2e', 'pages', 'instrument.js');

/** Serves `/lab.json` for `lab` from `web`, as `npm start` does. */
export function serveLabInfo(web: WebServer, lab: Lab): void {
  web.route('/lab.json', jsonRoute(() => labInfo(lab)));
}

/** Opens `url` in a fresh browser context (its own storage, microphone and peer connections). */
export async function openHostPage(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript({ path: INSTRUMENT });
  const page = await context.newPage();
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return page;
}

/** Waits until the page's `<soft-phone>` matching `selector` shows itself registered. */
export async function phoneRegistered(page: Page, selector = 'soft-phone', timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (s) => (document.querySelector(s) as (Element & { registrationState?: string }) | null)?.registrationState === 'registered',
    selector,
    { timeout },
  );
}
