/**
 * The framework examples as built for users (examples/react and examples/vue, Vite builds of the
 * package), in Chromium against the lab: each app's `<soft-phone>` registers, the app places a call
 * to a lab phone from its own form, and what the app renders from its state follows the element's
 * events (registered, established, ended), with the password only ever a property.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { openPhonePage, Phone, REPO_ROOT, until, withLab } from './harness.js';
import { openHostPage, phoneRegistered, serveLabInfo } from './host-pages.js';

const EXAMPLES = [
  { name: 'react', label: 'React 19', button: 'Call from React' },
  { name: 'vue', label: 'Vue 3', button: 'Call from Vue' },
] as const;

/** Builds the examples when a run did not (`npm test` builds them before the e2e tests). */
function ensureExamplesBuilt(): void {
  if (EXAMPLES.every((e) => existsSync(path.join(REPO_ROOT, 'examples', e.name, 'dist', 'index.html')))) return;
  execFileSync('flock', ['/tmp/soft-phone-examples.lock', 'npm', 'run', 'examples'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

describe('framework examples', () => {
  before(ensureExamplesBuilt);
  const fx = withLab({ lab: { servers: ['server1'] } });
  const account = (ext: string) => {
    const a = fx.lab.accounts.server1.find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    return a;
  };
  const text = (page: Page, selector: string) => page.locator(selector).innerText();

  for (const example of EXAMPLES) {
    fx.test(`${example.label}: the app registers, calls a lab phone and shows the events in its state`, async () => {
      serveLabInfo(fx.web, fx.lab);
      const page = await openHostPage(fx.browser, `${fx.web.url}/examples/${example.name}/dist/index.html?extension=4001`);
      const carolPage = await openPhonePage(fx.browser, fx.web.url);
      try {
        const carol = await Phone.add(carolPage, { server: fx.lab.servers.server1.wsUrl, account: account('4000') });
        await carol.waitForEvent('softphone-registered');
        await phoneRegistered(page);
        await until(async () => (await text(page, '#registration')) === 'registered', `${example.label} state: registered`);
        assert.match(await text(page, '#log'), /registered as 4001@server1\.test/);

        // The password went in as a property: no attribute, nothing in the DOM.
        const password = account('4001').password;
        const html = await page.evaluate(() => document.documentElement.outerHTML);
        assert.ok(!html.includes(password), 'the password is not in the DOM');
        assert.equal(await page.evaluate(() => document.querySelector('soft-phone')!.hasAttribute('password')), false);

        // A bad number from the app's form: refused with the value named, nothing else breaks.
        await page.getByLabel('Number', { exact: true }).fill('4000!!');
        await page.getByRole('button', { name: example.button }).click();
        await until(async () => /INVALID_NUMBER: .*4000!!/.test(await text(page, 'main')), `${example.label} shows the refusal`);

        await page.getByLabel('Number', { exact: true }).fill('4000');
        await page.getByRole('button', { name: example.button }).click();
        const ringing = await carol.waitForEvent('softphone-incoming-call');
        assert.equal(ringing.detail.call!.remote.number, '4001');
        await carol.invoke('answer', ringing.detail.call!.id);
        await until(async () => /outbound 4000: established/.test(await text(page, '#calls')), `${example.label} state: established`);
        assert.match(await text(page, '#log'), /call with 4000 established/);

        await carol.invoke('hangup');
        await until(async () => /outbound 4000: ended \(remote-hangup\)/.test(await text(page, '#calls')), `${example.label} state: ended`);
        assert.match(await text(page, '#log'), /call with 4000 ended: remote-hangup/);
        assert.equal(await text(page, '#registration'), 'registered');
      } finally {
        await carolPage.context().close();
        await page.context().close();
      }
    }, { timeout: 180_000 });
  }
});
