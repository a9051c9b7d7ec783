/**
 * One agent login per browser, end to end: tabs (pages of ONE browser context) with an agent's
 * `<soft-phone>` (only `provisioning-url` and `agent`) against the reference provisioning server and
 * the lab's Kamailio authenticating against it. The agent logs in in one tab; every tab shows that
 * login, status and calls; the server has one session and Kamailio one registration; a status chosen
 * in one tab is the agent's status everywhere; the tab that holds the phone closes and another takes
 * over with a session of its own; a logout in one tab logs out all. The caller is a lab account in a
 * browser of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { startProvisioningServer, type ProvisioningServer } from '../../lab/provisioning/server.js';
import { apiOf, onServer1 } from './provisioning-api.js';
import type { LabAccount } from '../../lab/lab.js';
import { hearEachOther, instrumentPage, openPhonePage, Phone, preparePopOuts, toneWav, until, withLab } from './harness.js';

const SLOW = 300_000;
/** As in tabs.test.ts: a takeover well before a dead tab's registration would expire (30 s); the figure is printed. */
const TAKEOVER_BOUND = 25_000;

/** Records every message the page posts on a BroadcastChannel (to prove the password never crosses). */
async function recordChannels(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const posted: string[] = [];
    (window as unknown as { __posted: string[] }).__posted = posted;
    const post = BroadcastChannel.prototype.postMessage;
    BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, message: unknown) {
      posted.push(`${this.name} ${JSON.stringify(message)}`);
      return post.call(this, message);
    };
  });
}

describe('one agent login per browser (tabs)', () => {
  const fx = withLab({ lab: { servers: ['server1'] }, fakeAudioFile: () => toneWav(440) });
  let prov: ProvisioningServer;

  const api = apiOf(() => prov.url);
  const sessionsOf = async (agent: string): Promise<{ extension: string; status: string; startedAt: number }[]> =>
    ((await api('GET', '/admin/sessions')).body as { agent: string; extension: string; status: string; startedAt: number }[]).filter((s) => s.agent === agent);
  const registrationsOf = async (ext: string): Promise<number> =>
    (await fx.lab.servers.server1.registrations()).filter((aor) => aor === `sip:${ext}@${fx.lab.servers.server1.domain}`).length;

  before(async () => {
    prov = await startProvisioningServer({ ...onServer1(fx.lab), range: { from: 100, to: 101 } });
  });
  after(async () => {
    await prov?.close();
  });

  fx.test('three tabs, one login: one session and one registration; status and calls everywhere; the holder closes and another tab takes over; a logout logs out all',
    async () => {
      const created = await api('POST', '/admin/users', { id: 'tina', name: 'Tina Tabs' });
      assert.equal(created.status, 201);
      const ext = created.body.extension as string;
      const password = created.body.password as string;
      assert.ok(password, 'the account has a password');
      const browser: BrowserContext = await fx.browser.newContext();
      const others: BrowserContext[] = [];
      try {
        let n = 0;
        const openTab = async (): Promise<Phone> => {
          const page = await openPhonePage(fx.browser, fx.web.url, 'phone.html', { context: browser, prepare: recordChannels });
          return Phone.addAgent(page, { id: `tab${++n}`, provisioningUrl: prov.url, agent: 'tina', domain: fx.lab.servers.server1.domain });
        };
        const [t1, t2] = [await openTab(), await openTab()];
        assert.deepEqual(await t1.choices(), [ext, 'automatic']);
        assert.deepEqual(await t2.choices(), [ext, 'automatic']);

        // The agent logs in in tab 2: both tabs are logged in and registered, with one session and one registration.
        await t2.page.locator(`#tab2 [data-number="${ext}"]`).click();
        await t2.waitForEvent('softphone-registered');
        await t1.waitForEvent('softphone-registered');
        assert.equal(await t2.prop('tabRole'), 'leader');
        assert.equal(await t1.prop('tabRole'), 'follower');
        await t1.page.locator('#tab1 [part=agent]').waitFor();
        assert.equal(await t1.page.locator('#tab1 .choice').count(), 0, 'tab 1 no longer shows the login step');
        assert.equal(await t1.prop('status'), 'available');
        assert.equal(await t1.prop('extension'), ext);
        const [session] = await sessionsOf('tina');
        assert.equal((await sessionsOf('tina')).length, 1);
        await until(async () => (await registrationsOf(ext)) === 1 || undefined, `one registration of ${ext}`);

        // A tab opened later shows the login at once: no login of its own (the session is the same one).
        const t3 = await openTab();
        await until(async () => (await t3.registrationState()) === 'registered' && (await t3.prop('status')) === 'available' || undefined, 'tab 3 shows the login');
        assert.equal(await t3.page.locator('#tab3 .choice').count(), 0);
        assert.deepEqual(await sessionsOf('tina'), [session], 'still the session tab 2 started');
        const tabs = [t1, t2, t3];

        // A status chosen in tab 3 is the agent's status in every tab and at the server.
        await t3.invoke('setStatus', 'break');
        for (const t of tabs) await t.waitForEvent('softphone-status-changed', { where: (e) => e.detail.status === 'break' });
        assert.equal((await sessionsOf('tina'))[0]!.status, 'break');

        // A call rings in all three tabs, is answered in tab 1 (a follower): 'incoming call' everywhere, 'break' after.
        const callerPage = await openPhonePage(fx.browser, fx.web.url);
        others.push(callerPage.context());
        const caller = await Phone.add(callerPage, { server: fx.lab.servers.server1.wsUrl, account: fx.lab.accounts.server1.find((a) => a.extension === '3999')! });
        await caller.waitForEvent('softphone-registered');
        await caller.invoke('call', ext);
        const rung = await Promise.all(tabs.map((t) => t.waitForEvent('softphone-incoming-call')));
        assert.equal(new Set(rung.map((e) => e.detail.call!.id)).size, 1, 'one call id in every tab');
        await t1.invoke('answer', rung[0]!.detail.call!.id);
        for (const t of tabs) await t.waitForEvent('softphone-status-changed', { where: (e) => e.detail.status === 'incoming call' });
        await until(async () => (await sessionsOf('tina'))[0]?.status === 'incoming call' || undefined, 'the server has the call status');
        await hearEachOther(t2, caller);
        await caller.invoke('hangup');
        for (const t of tabs) await t.waitForEvent('softphone-status-changed', { count: 2, where: (e) => e.detail.status === 'break' });
        await until(async () => (await sessionsOf('tina'))[0]?.status === 'break' || undefined, 'the server has the chosen status again');

        // Tab 2 (it holds the phone) closes: another tab takes over with a session of its own and registers.
        const closed = Date.now();
        await t2.page.close();
        const survivors = [t1, t3];
        const leader = await until(async () => {
          for (const t of survivors) if ((await t.prop('tabRole')) === 'leader' && (await t.registrationState()) === 'registered') return t;
          return undefined;
        }, 'a tab took over and registered', TAKEOVER_BOUND);
        console.log(`  the tab that held the agent's phone closed: ${leader.id} registered after ${Date.now() - closed} ms (its session started again)`);
        for (const t of survivors) {
          assert.deepEqual((await t.events('softphone-error')).map((e) => e.detail.code), [], `${t.id}: no error (it had a password to take over with)`);
        }
        const renewed = await sessionsOf('tina');
        assert.equal(renewed.length, 1);
        assert.equal(renewed[0]!.extension, ext, 'the same extension');
        assert.ok(renewed[0]!.startedAt > session!.startedAt, 'the tab that took over started the session again (for a password of its own)');
        await until(async () => (await sessionsOf('tina'))[0]?.status === 'break' || undefined, 'the chosen status saved again');
        for (const t of survivors) assert.equal(await t.prop('status'), 'break');
        await until(async () => (await registrationsOf(ext)) === 1 || undefined, `one registration of ${ext} after the takeover`);

        // The next call works through the new holder, with audio.
        await caller.invoke('call', ext);
        const next = await Promise.all(survivors.map((t) => t.waitForEvent('softphone-incoming-call', { count: 2 })));
        const follower = survivors.find((t) => t !== leader)!;
        await follower.invoke('answer', next[0]!.detail.call!.id);
        await leader.waitForEvent('softphone-call-established', { count: 2 });
        await hearEachOther(leader, caller);
        await follower.invoke('hangup', next[0]!.detail.call!.id);
        for (const t of survivors) await t.waitForEvent('softphone-call-ended', { count: 2 });

        // A logout in the follower logs out every tab: the login step everywhere, no registration, no session.
        await follower.invoke('logout');
        for (const t of survivors) {
          assert.deepEqual(await t.choices(), [ext, 'automatic'], `${t.id} shows the login step`);
          await until(async () => (await t.registrationState()) === 'unregistered' || undefined, `${t.id} unregistered`);
          assert.equal(await t.prop('status'), 'available');
        }
        assert.deepEqual(await sessionsOf('tina'), []);
        await until(async () => (await registrationsOf(ext)) === 0 || undefined, `no registration of ${ext}`);

        // The password never crossed between tabs, and no follower's page shows it.
        const posted: string[] = [];
        for (const t of survivors) {
          posted.push(...(await t.page.evaluate(() => (window as unknown as { __posted: string[] }).__posted)));
          assert.ok(!(await t.dom()).includes(password), `${t.id}: no password in the DOM`);
        }
        assert.ok(posted.some((m) => m.startsWith('soft-phone-agent:tina@') && m.includes('"login"')), 'the login went over the agent channel');
        assert.ok(!posted.some((m) => m.includes(password)), 'no password on a channel');
      } finally {
        await browser.close();
        for (const c of others) await c.close();
      }
    },
    { timeout: SLOW },
  );
  fx.test("an agent's pop-out window takes the phone over with a session of its own; the CRM tab answers, the audio plays in the window",
    async () => {
      const created = await api('POST', '/admin/users', { id: 'pia', name: 'Pia Pop' });
      assert.equal(created.status, 201);
      const ext = created.body.extension as string;
      const password = created.body.password as string;
      const domain = fx.lab.servers.server1.domain;
      const browser: BrowserContext = await fx.browser.newContext();
      const others: BrowserContext[] = [];
      try {
        // No password for the window: it gets the agent's login from the CRM tab.
        await preparePopOuts(browser);
        const page = await openPhonePage(fx.browser, fx.web.url, 'phone.html', { context: browser, prepare: recordChannels });
        const crm = await Phone.addAgent(page, { id: 'crm', provisioningUrl: prov.url, agent: 'pia', domain });
        const query = new URLSearchParams({ 'provisioning-url': prov.url, agent: 'pia' });
        await page.evaluate((url) => document.getElementById('crm')!.setAttribute('pop-out-url', url), `/dist/pop-out.html?${query}`);
        assert.equal((await crm.choices())[0], ext, "pia's own extension first");
        await page.locator(`#crm [data-number="${ext}"]`).click();
        await crm.waitForEvent('softphone-registered');
        const [first] = await sessionsOf('pia');

        const opened = browser.waitForEvent('page');
        const asked = Date.now();
        await crm.invoke('popOut');
        const popPage: Page = await opened;
        instrumentPage(popPage);
        const pop = new Phone(popPage, 'pop-out', { extension: ext, domain, password: '' } as LabAccount);
        await popPage.locator('#pop-out').waitFor({ state: 'attached', timeout: 20_000 });
        await until(async () => (await pop.prop('tabRole')) === 'leader' && (await pop.registrationState()) === 'registered' || undefined, 'the window holds the phone', TAKEOVER_BOUND);
        console.log(`  the agent's pop-out window registered ${Date.now() - asked} ms after popOut() (the CRM tab had no call)`);
        await until(async () => (await crm.prop('tabRole')) === 'follower' || undefined, 'the CRM tab follows the window');
        assert.equal(await popPage.locator('#pop-out .choice').count(), 0, 'no login step in the window');
        assert.equal(await pop.prop('status'), 'available');
        const now = await sessionsOf('pia');
        assert.equal(now.length, 1);
        assert.equal(now[0]!.extension, ext);
        assert.ok(now[0]!.startedAt > first!.startedAt, 'the window started the session again for its password');
        assert.deepEqual((await pop.events('softphone-error')).map((e) => e.detail.code), []);
        await until(async () => (await registrationsOf(ext)) === 1 || undefined, `one registration of ${ext}`);

        const callerPage = await openPhonePage(fx.browser, fx.web.url);
        others.push(callerPage.context());
        const caller = await Phone.add(callerPage, { server: fx.lab.servers.server1.wsUrl, account: fx.lab.accounts.server1.find((a) => a.extension === '3999')! });
        await caller.waitForEvent('softphone-registered');
        await caller.invoke('call', ext);
        const rung = await crm.waitForEvent('softphone-incoming-call');
        await crm.invoke('answer', rung.detail.call!.id);
        await pop.waitForEvent('softphone-call-established');
        assert.equal(((await pop.calls())[0] as { local?: boolean } | undefined)?.local, true, 'the media is in the window');
        await hearEachOther(pop, caller);
        await crm.invoke('hangup', rung.detail.call!.id);
        await pop.waitForEvent('softphone-call-ended');

        // A logout in the CRM tab logs the window out too.
        await crm.invoke('logout');
        assert.equal((await pop.choices())[0], ext, 'the window shows the login step');
        assert.deepEqual(await sessionsOf('pia'), []);
        assert.ok(!(await pop.dom()).includes(password), 'no password in the window');
        const posted = await page.evaluate(() => (window as unknown as { __posted: string[] }).__posted);
        assert.ok(!posted.some((m) => m.includes(password)), 'no password on a channel from the CRM tab');
      } finally {
        await browser.close();
        for (const c of others) await c.close();
      }
    },
    { timeout: SLOW },
  );
});
