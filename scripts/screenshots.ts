/**
 * `npm run screenshots`: the README's pictures, taken from the CRM demo (demo/crm.html) against a lab of
 * its own, in English and in Hebrew (right to left): the agent has called a contact by its tel: link and
 * written a note, and a caller from the linked server rings, with the caller's record popped.
 * Writes docs/screenshots/crm-<lang>.png. Stops everything it started, also on failure.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLab, type Lab } from '../lab/lab.js';
import { launchBrowser, openPhonePage, Phone, REPO_ROOT, startWebServer, until, type WebServer } from '../test/e2e/harness.js';
import { openHostPage, phoneRegistered, serveLabInfo } from '../test/e2e/host-pages.js';

const OUT = path.join(REPO_ROOT, 'docs', 'screenshots');
const LANGS = ['en', 'he'] as const;

async function farEnd(browser: Browser, web: WebServer, lab: Lab, server: 'server1' | 'server2', extension: string): Promise<Phone> {
  const account = lab.accounts[server].find((a) => a.extension === extension);
  if (!account) throw new Error(`no lab account ${extension} on ${server}`);
  const phone = await Phone.add(await openPhonePage(browser, web.url), { server: lab.servers[server].wsUrl, account });
  await phone.waitForEvent('softphone-registered');
  return phone;
}

async function shoot(browser: Browser, web: WebServer, lab: Lab, lang: string): Promise<string> {
  const page: Page = await openHostPage(browser, `${web.url}/demo/crm.html?lang=${lang}`);
  const carol = await farEnd(browser, web, lab, 'server1', '4000');
  const bob = await farEnd(browser, web, lab, 'server2', '2099');
  try {
    await page.setViewportSize({ width: 1280, height: 760 });
    await phoneRegistered(page);
    // An earlier call, placed from the contact list, with a note.
    await page.getByRole('link', { name: 'Call Carol Nowak, 4000' }).click();
    const ringing = await carol.waitForEvent('softphone-incoming-call');
    await carol.invoke('answer', ringing.detail.call!.id);
    await carol.waitForEvent('softphone-call-established');
    await page.getByLabel(/^Notes: Carol Nowak/).fill('Double charge on invoice 2026/11: refund requested.');
    await carol.invoke('hangup');
    await carol.waitForEvent('softphone-call-ended');
    // Now Bob rings from the linked server: the CRM pops his record.
    await bob.invoke('call', '114003');
    await until(async () => /Incoming call from Bob Cohen/.test(await page.locator('#record').innerText()), 'the screen pop');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const file = path.join(OUT, `crm-${lang}.png`);
    await page.screenshot({ path: file });
    await bob.invoke('hangup');
    return file;
  } finally {
    await carol.page.context().close();
    await bob.page.context().close();
    await page.context().close();
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const lab = await startLab({ servers: ['server1', 'server2'] });
  let web: WebServer | undefined;
  let browser: Browser | undefined;
  try {
    web = await startWebServer();
    serveLabInfo(web, lab);
    browser = await launchBrowser();
    for (const lang of LANGS) process.stdout.write(`${path.relative(REPO_ROOT, await shoot(browser, web, lab, lang))}\n`);
  } finally {
    await browser?.close().catch(() => undefined);
    await web?.close().catch(() => undefined);
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
