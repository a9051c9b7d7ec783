/**
 * Accessibility of the demo pages, checked by axe-core (injected into the page as it runs) in all
 * four languages: the lab demo with several phones on one page, and the CRM demo. Both are checked
 * with the phones registered and idle, then with a call ringing and a call connected, so the cards
 * and buttons of a live call are checked too, in the light and the dark color scheme. Any violation fails, with its rule, help and targets.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe } from 'node:test';
import type { Page } from 'playwright-core';
import { until, withLab } from './harness.js';
import { openHostPage, phoneRegistered, serveLabInfo } from './host-pages.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe-core on the whole page (shadow roots included); the violations, one readable line each. */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return JSON.parse(JSON.stringify(result.violations)) as unknown[];
  });
  return (found as AxeViolation[]).map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}${v.nodes[0]?.failureSummary ? ` - ${v.nodes[0].failureSummary.replace(/\s+/g, ' ')}` : ''}`,
  );
}

async function assertAccessible(page: Page, what: string): Promise<void> {
  const found = await violations(page);
  assert.deepEqual(found, [], `${what}: ${found.length} axe violation(s):\n${found.join('\n')}`);
}

/** What the page's phones show, shadow DOM included (to see a language change arrive). */
const phonesText = (page: Page) =>
  page.evaluate(() => [...document.querySelectorAll('soft-phone')].map((el) => el.shadowRoot?.textContent ?? '').join('|').replace(/\s+/g, ' '));

/**
 * Checks the page in each language, switched with the page's own language buttons (the phones stay
 * registered and keep their calls): a language other than English has arrived when the phones show
 * other text than they did in English. `only`: these languages alone.
 */
const LANGUAGES = [['en', 'English'], ['ja', '日本語'], ['he', 'עברית'], ['pl', 'Polski']] as const;

async function assertAccessibleInEveryLanguage(page: Page, what: string, only?: readonly string[]): Promise<void> {
  await page.getByRole('button', { name: 'English' }).click();
  await until(async () => (await page.evaluate(() => [...document.querySelectorAll('soft-phone')].every((el) => el.lang === 'en'))) || undefined, 'English');
  const english = await phonesText(page);
  for (const [lang, button] of LANGUAGES.filter(([l]) => !only || only.includes(l))) {
    await page.getByRole('button', { name: button }).click();
    if (lang !== 'en') await until(async () => (await phonesText(page)) !== english || undefined, `the phones in ${lang}`);
    await assertAccessible(page, `${what}, ${lang}`);
  }
}

type PhoneEl = HTMLElement & { call(n: string): Promise<{ id: string }>; answer(id?: string): Promise<void>; hangup(id?: string): Promise<void>; calls: { state: string }[] };
const callStateOn = (page: Page, selector: string, state: string) =>
  until(async () => (await page.evaluate(({ selector, state }) => (document.querySelector(selector) as PhoneEl).calls.some((c) => c.state === state), { selector, state })) || undefined, `${selector} ${state}`);

describe('accessibility (axe-core) of the demo pages in every language', () => {
  const fx = withLab({ lab: { servers: ['server1', 'server2'] } });

  fx.test('lab demo: several phones on one page, idle and in a call in en, ja, he and pl, ringing in en and he; ringing and in a call in the dark scheme in en and he', async () => {
    serveLabInfo(fx.web, fx.lab);
    const page = await openHostPage(fx.browser, `${fx.web.url}/demo/`);
    try {
      await phoneRegistered(page, '#a');
      await phoneRegistered(page, '#b');
      await assertAccessibleInEveryLanguage(page, 'lab demo, idle');

      // Phone A calls phone B (its linked number); B rings, then answers.
      await phoneRegistered(page, '#a');
      await phoneRegistered(page, '#b');
      await page.evaluate(() => (document.querySelector('#a') as PhoneEl).call(`12${document.querySelector('#b')!.getAttribute('extension')}`));
      await callStateOn(page, '#b', 'ringing');
      // Left to ring for long, the call is given up (60 s): while it rings, left to right and right to left.
      await assertAccessibleInEveryLanguage(page, 'lab demo, ringing', ['en', 'he']);
      await page.emulateMedia({ colorScheme: 'dark' });
      await assertAccessibleInEveryLanguage(page, 'lab demo, dark scheme, ringing', ['en', 'he']);
      await page.emulateMedia({ colorScheme: 'light' });
      await page.evaluate(() => (document.querySelector('#b') as PhoneEl).answer());
      await callStateOn(page, '#a', 'established');
      await assertAccessibleInEveryLanguage(page, 'lab demo, in a call');
      await page.emulateMedia({ colorScheme: 'dark' });
      await assertAccessibleInEveryLanguage(page, 'lab demo, dark scheme, in a call', ['en', 'he']);
      await page.evaluate(() => (document.querySelector('#a') as PhoneEl).hangup());
    } finally {
      await page.context().close();
    }
  }, { timeout: 300_000 });

  fx.test('CRM demo: contacts, the phone and an open record, in en, ja, he and pl', async () => {
    serveLabInfo(fx.web, fx.lab);
    const page = await openHostPage(fx.browser, `${fx.web.url}/demo/crm.html`);
    try {
      await phoneRegistered(page);
      await page.getByRole('button', { name: 'Carol Nowak' }).click();
      assert.match(await page.locator('#record').innerText(), /Globex/);
      await assertAccessibleInEveryLanguage(page, 'CRM demo');
    } finally {
      await page.context().close();
    }
  }, { timeout: 300_000 });
});
