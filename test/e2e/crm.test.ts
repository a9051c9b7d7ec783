/**
 * The CRM demo (demo/crm.html) as an agent uses it, against the lab: a click on a contact's tel: link
 * calls that contact through the page's `<soft-phone>` (handleTelLinks), the call and its notes show
 * beside the phone and stay after a reload, and an incoming call pops the caller's record.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Page } from 'playwright-core';
import { openPhonePage, Phone, until, withLab } from './harness.js';
import { openHostPage, phoneRegistered, serveLabInfo } from './host-pages.js';

describe('CRM demo: click-to-dial, screen pop, call notes', () => {
  const fx = withLab({ lab: { servers: ['server1', 'server2'] } });
  const account = (server: 'server1' | 'server2', ext: string) => {
    const a = fx.lab.accounts[server].find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    return a;
  };
  async function crm(): Promise<Page> {
    serveLabInfo(fx.web, fx.lab);
    const page = await openHostPage(fx.browser, `${fx.web.url}/demo/crm.html`);
    await phoneRegistered(page);
    return page;
  }
  async function farEnd(server: 'server1' | 'server2', ext: string): Promise<Phone> {
    const page = await openPhonePage(fx.browser, fx.web.url);
    const phone = await Phone.add(page, { server: fx.lab.servers[server].wsUrl, account: account(server, ext) });
    await phone.waitForEvent('softphone-registered');
    return phone;
  }
  const text = (page: Page, selector: string) => page.locator(selector).innerText();

  fx.test('a click on a contact\'s tel: link calls them; the call and its notes stay beside the phone', async () => {
    const page = await crm();
    const carol = await farEnd('server1', '4000');
    try {
      await page.getByRole('link', { name: 'Call Carol Nowak, 4000' }).click();
      const ringing = await carol.waitForEvent('softphone-incoming-call');
      assert.equal(ringing.detail.call!.remote.number, '4003', 'Carol sees the agent calling');
      await carol.invoke('answer', ringing.detail.call!.id);
      const entry = page.locator('#calls li').first();
      await until(async () => /established/.test(await entry.innerText()), 'the call shows established in the CRM');
      assert.match(await entry.innerText(), /↗ Carol Nowak \(4000\)/);
      await page.getByLabel(/^Notes: Carol Nowak/).fill('Asked about the double charge on invoice 2026/11');
      await carol.invoke('hangup');
      await until(async () => /\d+ s$/m.test(await entry.innerText()), 'the call shows its duration once ended');

      // After a reload the notes are still there, and Carol's record shows them as earlier notes.
      await page.reload();
      await phoneRegistered(page);
      assert.equal(await page.getByLabel(/^Notes: Carol Nowak/).inputValue(), 'Asked about the double charge on invoice 2026/11');
      await page.getByRole('button', { name: 'Carol Nowak' }).click();
      assert.match(await text(page, '#record'), /Globex Sp\. z o\.o\.[\s\S]*Earlier call notes[\s\S]*double charge/);
    } finally {
      await carol.page.context().close();
      await page.context().close();
    }
  }, { timeout: 180_000 });

  fx.test('an incoming call from a linked server pops the caller\'s record; an unknown caller says so', async () => {
    const page = await crm();
    const bob = await farEnd('server2', '2099');
    const guest = await farEnd('server1', '4002');
    try {
      assert.doesNotMatch(await text(page, '#record'), /Hooli/, 'no record shown before the call');
      const placed = await bob.invoke<{ id: string }>('call', '114003');
      await until(async () => /Incoming call from Bob Cohen/.test(await text(page, '#record')), 'the screen pop');
      const record = await text(page, '#record');
      assert.match(record, /Hooli Israel[\s\S]*Tel Aviv[\s\S]*12-2099/, record);
      assert.ok(await page.locator('#record.pop').count(), 'the record is highlighted while the call rings');
      await bob.invoke('hangup', placed.id);
      await until(async () => (await page.locator('#record.pop').count()) === 0 || undefined, 'the highlight goes with the call');

      const unknown = await guest.invoke<{ id: string }>('call', '4003');
      await until(async () => /No record for 4002/.test(await text(page, '#record')), 'the unknown caller');
      await guest.invoke('hangup', unknown.id);
    } finally {
      await bob.page.context().close();
      await guest.page.context().close();
      await page.context().close();
    }
  }, { timeout: 180_000 });

  fx.test('a tel: link the phone cannot dial is refused with the number named; the phone stays registered', async () => {
    const page = await crm();
    try {
      await page.evaluate(() => {
        const a = document.createElement('a');
        a.href = 'tel:call-me-maybe';
        a.textContent = 'bad link';
        document.body.append(a);
      });
      await page.getByRole('link', { name: 'bad link' }).click();
      await until(async () => /Could not call callmemaybe: .*callmemaybe/.test(await text(page, '#lab-status')), 'the refusal');
      assert.equal(page.url(), `${fx.web.url}/demo/crm.html`, 'the page did not navigate');
      assert.equal(await page.evaluate(() => (document.querySelector('soft-phone') as unknown as { registrationState: string }).registrationState), 'registered');
      assert.equal(await page.evaluate(() => (document.querySelector('soft-phone') as unknown as { calls: unknown[] }).calls.length), 0);
    } finally {
      await page.context().close();
    }
  }, { timeout: 180_000 });
});
