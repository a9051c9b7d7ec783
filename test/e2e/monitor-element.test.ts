/**
 * The supervisor's `<soft-phone-monitor>` in Chromium (the self-contained monitor bundle, nothing
 * of the phone's), against the reference provisioning server watching both lab Kamailios, with real
 * `<soft-phone>` elements making the changes: alice (3999) on server1, bob (2099) on server2, a
 * phone that registers during the test (4002), an agent logging in and changing status, a linked
 * call and a park. Every change must show in the monitor's table within 1 s; each lag is measured
 * from the moment the change happened (the phone's own event, or the API answer) to the moment the
 * table shows it, both on this machine's clock, and printed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { LabAccount, ServerName } from '../../lab/lab.js';
import { startParkOrbit } from '../../lab/park-orbit/park-orbit.js';
import type { ProvisioningServer } from '../../lab/provisioning/server.js';
import { after, before, describe } from 'node:test';
import { openPhonePage, Phone, REPO_ROOT, toneWav, withLab, type RecordedEvent } from './harness.js';
import { LINKED, startMonitorProvisioning } from './monitor-setup.js';

/** `<soft-phone-monitor>` on its own page, read through its shadow DOM. */
class MonitorView {
  constructor(readonly page: Page) {}

  static async open(page: Page, provisioningUrl: string): Promise<MonitorView> {
    await page.waitForFunction(() => customElements.get('soft-phone-monitor') !== undefined, undefined, { timeout: 15_000 });
    await page.evaluate((url) => {
      const el = document.createElement('soft-phone-monitor');
      el.setAttribute('provisioning-url', url);
      document.body.append(el);
    }, provisioningUrl);
    return new MonitorView(page);
  }

  /** The text of one cell of an extension's row (`remote`, `state`, `registered`, …), '' when absent. */
  cell(server: string, number: string, column: string): Promise<string> {
    return this.page.evaluate(
      ({ server, number, column }) =>
        document
          .querySelector('soft-phone-monitor')!
          .shadowRoot!.querySelector(`tr[data-server="${server}"][data-number="${number}"] .${column}`)
          ?.textContent?.replace(/\s+/g, ' ')
          .trim() ?? '',
      { server, number, column },
    );
  }

  /**
   * Starts watching for every listed cell (`server/number/column` -> text; `server/-/column` for
   * the servers table) to show its text. A MutationObserver in the page (pages/monitor.html) notes
   * the moment the shadow DOM first shows them all (not when the test gets round to looking).
   * Install it before the change.
   */
  async watch(expected: Record<string, string>): Promise<{ shown(timeoutMs?: number): Promise<number> }> {
    const id = await this.page.evaluate((want) => (window as unknown as { __watch(w: Record<string, string>): number }).__watch(want), expected);
    return {
      shown: async (timeoutMs = 10_000) => {
        const handle = await this.page.waitForFunction(
          (i) => (window as unknown as { __watches: { at?: number }[] }).__watches[i]!.at ?? false,
          id,
          { polling: 50, timeout: timeoutMs },
        );
        return (await handle.jsonValue()) as number;
      },
    };
  }

  /** Resolves once every listed cell shows its text (see `watch`), with the epoch ms it first did. */
  async shows(expected: Record<string, string>, timeoutMs = 10_000): Promise<number> {
    return (await this.watch(expected)).shown(timeoutMs);
  }

  rows(): Promise<string[]> {
    return this.page.evaluate(() =>
      [...document.querySelector('soft-phone-monitor')!.shadowRoot!.querySelectorAll<HTMLElement>('table.extensions tbody tr[data-number]')].map((r) => `${r.dataset.server}/${r.dataset.number}`),
    );
  }

  connectionStates(): Promise<string[]> {
    return this.page.evaluate(() =>
      (window as unknown as { __monitorEvents: { type: string; detail: { state?: string } }[] }).__monitorEvents
        .filter((e) => e.type === 'softphone-monitor-connection')
        .map((e) => e.detail.state!),
    );
  }
}

/** Epoch ms of a phone's recorded event (its time is the page's performance.now()). */
async function epochOf(p: Phone, e: RecordedEvent): Promise<number> {
  return (await p.page.evaluate(() => performance.timeOrigin)) + e.t;
}

const lags: { what: string; total: number; element: number }[] = [];
/**
 * The delay from a change (`from`, epoch ms) to the table showing it (`shown`), split at the last
 * stream event that reached the page before it: the server's share (polling Kamailio, pushing) and
 * the element's (applying the event, rendering). The element's share must stay small on a loaded
 * machine; the whole delay is held to 1 s over the file (median) at the end, each one printed.
 */
async function lag(view: MonitorView, what: string, from: number, shown: number): Promise<void> {
  const arrivals = await view.page.evaluate(() => (window as unknown as { __streamEvents: { at: number }[] }).__streamEvents.map((e) => e.at));
  const arrival = Math.max(...arrivals.filter((at) => at <= shown));
  const total = Math.round(shown - from);
  const element = Math.round(shown - arrival);
  lags.push({ what, total, element });
  console.log(`[monitor element] ${what} -> shown in the table: ${total} ms (stream event -> table: ${element} ms)`);
  assert.ok(element < 500, `${what}: the element showed the stream's event within 0.5 s (${element} ms)`);
}

describe('the supervisor\'s <soft-phone-monitor> against the lab', () => {
  const fx = withLab({ fakeAudioFile: () => toneWav(440) });
  let prov: ProvisioningServer;
  let view: MonitorView;
  let alice: Phone;
  let bob: Phone;
  const requested: string[] = [];

  const account = (server: ServerName, ext: string): LabAccount => fx.lab.accounts[server].find((a) => a.extension === ext)!;

  before(async () => {
    prov = await startMonitorProvisioning(fx.lab);
    const phones = await openPhonePage(fx.browser, fx.web.url);
    alice = await Phone.add(phones, { server: fx.lab.servers.server1.wsUrl, account: account('server1', '3999'), attrs: LINKED.server1 });
    bob = await Phone.add(phones, { server: fx.lab.servers.server2.wsUrl, account: account('server2', '2099'), attrs: LINKED.server2 });
    for (const p of [alice, bob]) await p.waitForEvent('softphone-registered');
    const page = await (await fx.browser.newContext()).newPage();
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${fx.web.url}/test/e2e/pages/monitor.html`);
    view = await MonitorView.open(page, prov.url);
  });

  after(async () => {
    await prov?.close();
  });

  fx.test('loads only its own bundle, connects, lists both servers and the registered phones', async () => {
    await view.shows({ 'server1/-/concurrent': '0 (no limit)', 'server2/-/concurrent': '0 (no limit)', 'server1/3999/registered': 'Yes', 'server2/2099/registered': 'Yes' });
    const states = await view.connectionStates();
    assert.deepEqual([states[0], states.at(-1)], ['connecting', 'connected'], `connection states: ${states.join(', ')}`);
    assert.ok(requested.includes('/dist/soft-phone-monitor.bundle.js'));
    assert.ok(!requested.some((p) => p.includes('soft-phone.bundle')), `the phone's bundle is not loaded (${requested.join(', ')})`);
    const phoneBundle = readFileSync(path.join(REPO_ROOT, 'dist/soft-phone.bundle.js'), 'utf8');
    assert.ok(!phoneBundle.includes('soft-phone-monitor'), 'the phone bundle carries nothing of the monitor');
  });

  fx.test('a phone that registers shows as registered within 1 s, and as not registered once it is removed', async () => {
    const phones = alice.page;
    const registeredRow = await view.watch({ 'server1/4002/registered': 'Yes' });
    const erin = await Phone.add(phones, { server: fx.lab.servers.server1.wsUrl, account: account('server1', '4002'), attrs: LINKED.server1 });
    const registered = await erin.waitForEvent('softphone-registered');
    await lag(view, '4002 registered', await epochOf(erin, registered), await registeredRow.shown());
    const unregisteredRow = await view.watch({ 'server1/4002/registered': 'No' });
    const removedAt = Date.now();
    await erin.remove();
    const gone = await unregisteredRow.shown();
    console.log(`[monitor element] 4002 removed -> not registered in the table: ${Math.round(gone - removedAt)} ms (includes the un-REGISTER)`);
  });

  fx.test('an agent logs in and changes status: agent and status show within 1 s', async () => {
    const created = (await (
      await fetch(`${prov.url}/admin/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'mia', name: 'Mia' }) })
    ).json()) as { extension: string };
    const agentRow = await view.watch({ [`server1/${created.extension}/agent`]: 'mia', [`server1/${created.extension}/status`]: 'available' });
    const login = await fetch(`${prov.url}/agents/mia/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(login.status, 200);
    const loggedIn = Date.now();
    await lag(view, 'agent login', loggedIn, await agentRow.shown());
    const breakRow = await view.watch({ [`server1/${created.extension}/status`]: 'break' });
    const put = await fetch(`${prov.url}/agents/mia/status`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'break' }) });
    assert.equal(put.status, 200);
    await lag(view, 'status break', Date.now(), await breakRow.shown());
  });

  fx.test('bob on server2 calls alice: server1\'s view shows 122099 on alice\'s row, 113999 on bob\'s, a ticking duration; alice parks it: parked on server1 within 1 s', async () => {
    const s1 = fx.lab.servers.server1;
    const orbit = await startParkOrbit({ wsUrl: s1.wsUrl, domain: s1.domain, dbFile: fx.lab.dbFile, browser: fx.browser, slots: ['701', '702'] });
    try {
      const ringingRow = await view.watch({ 'server1/3999/state': 'Ringing', 'server1/3999/remote': '122099 (server2)', 'server1/3999/direction': 'Incoming' });
      const talkingRows = await view.watch({
        'server1/3999/state': 'Talking',
        'server1/3999/remote': '122099 (server2)',
        'server2/2099/state': 'Talking',
        'server2/2099/remote': '113999 (server1)',
        'server2/2099/direction': 'Outgoing',
        'server1/-/concurrent': '1 (no limit)',
        'server2/-/concurrent': '1 (no limit)',
      });
      await bob.invoke('call', '113999');
      const ring = await alice.waitForEvent('softphone-incoming-call');
      await lag(view, 'ringing', await epochOf(alice, ring), await ringingRow.shown());
      // from the answer on: the servers confirm the dialog with the 200 OK, before the phones'
      // established events (those wait for the media path too)
      const answered = Date.now();
      await alice.invoke('answer', ring.detail.call!.id);
      await lag(view, 'linked call answered', answered, await talkingRows.shown());
      await alice.waitForCallState('established');
      await bob.waitForCallState('established');
      const since = await view.cell('server1', '3999', 'since');
      assert.match(since, /^\d+:\d\d$/);
      await view.page.waitForFunction(
        (before) => document.querySelector('soft-phone-monitor')!.shadowRoot!.querySelector('tr[data-number="3999"] .since')?.textContent?.trim() !== before,
        since,
        { timeout: 5000 },
      );
      // the "on a call" filter: only the two on the call
      await view.page.evaluate(() => document.querySelector('soft-phone-monitor')!.shadowRoot!.querySelector<HTMLInputElement>('input[name=on-call]')!.click());
      await view.page.waitForFunction(() => document.querySelector('soft-phone-monitor')!.shadowRoot!.querySelectorAll('table.extensions tbody tr[data-number]').length === 2);
      assert.deepEqual(await view.rows(), ['server1/3999', 'server2/2099']);
      await view.page.evaluate(() => document.querySelector('soft-phone-monitor')!.shadowRoot!.querySelector<HTMLInputElement>('input[name=on-call]')!.click());

      const parkedRows = await view.watch({ 'server1/-/parked': '1', 'server2/2099/remote': '11701 (server1)', 'server1/3999/remote': '' });
      const parked = await alice.invoke<{ slot: string }>('park');
      assert.equal(parked.slot, '701');
      const parkedEvent = await alice.waitForEvent('softphone-call-parked');
      await lag(view, 'call parked', await epochOf(alice, parkedEvent), await parkedRows.shown());
    } finally {
      for (const c of await bob.calls()) if (c.state !== 'ended') await bob.invoke('hangup', c.id).catch(() => undefined);
      await orbit.stop();
    }
    await view.shows({ 'server1/-/parked': '0', 'server2/2099/remote': '' });
  });

  fx.test('the provisioning server goes away and comes back on its port: "Reconnecting…", then live again by itself', async () => {
    const port = prov.port;
    await prov.close();
    await view.page.waitForFunction(() => document.querySelector('soft-phone-monitor')!.getAttribute('connection-state') !== 'connected', undefined, { timeout: 10_000 });
    assert.equal((await view.connectionStates()).at(-1), 'reconnecting');
    const restarted = Date.now();
    prov = await startMonitorProvisioning(fx.lab, port);
    const back = await view.page.waitForFunction(() => document.querySelector('soft-phone-monitor')!.getAttribute('connection-state') === 'connected' && Date.now(), undefined, {
      timeout: 20_000,
    });
    console.log(`[monitor element] provisioning server back -> monitor live again: ${Math.round(((await back.jsonValue()) as number) - restarted)} ms (retry backoff)`);
    await view.shows({ 'server1/3999/registered': 'Yes', 'server2/2099/registered': 'Yes' });
    assert.deepEqual((await view.connectionStates()).slice(-2), ['reconnecting', 'connected']);
  });

  fx.test('every change above reached the table within 1 s (median; each printed)', async () => {
    assert.ok(lags.length >= 6, `measured ${lags.length} changes`);
    const totals = lags.map((l) => l.total).sort((a, b) => a - b);
    const median = totals[Math.floor(totals.length / 2)]!;
    console.log(`[monitor element] change -> table, ms: ${lags.map((l) => `${l.what} ${l.total} (element ${l.element})`).join('; ')}; median ${median}, max ${totals.at(-1)}`);
    assert.ok(median < 1000, `median change -> table ${median} ms`);
  });
});
