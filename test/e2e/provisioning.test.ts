/**
 * Agent login end to end: the reference provisioning server on the lab's accounts database, the
 * lab's Kamailio authenticating against it, and `<soft-phone>` in Chromium logging in through its
 * login step. A user created through the admin API registers at once, calls with audio, and when it
 * is deleted its number goes to the next user with the forwarding reset. A full pool is the
 * localized "no free number".
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { startProvisioningServer, type ProvisioningServer } from '../../lab/provisioning/server.js';
import { apiOf, onServer1 } from './provisioning-api.js';
import { openPhonePage, peerBytes, Phone, sleep, toneWav, until, withLab } from './harness.js';

describe('agent login through the provisioning server', () => {
  const fx = withLab({ lab: { servers: ['server1'] }, fakeAudioFile: () => toneWav(440) });
  let prov: ProvisioningServer;
  let page: Page;
  let agent: Phone;
  let target: Phone;

  const api = apiOf(() => prov.url);

  /** Kamailio's view of an extension, through the admin API. */
  async function registration(number: string): Promise<string | undefined> {
    const list = (await api('GET', '/admin/registrations')).body as { number: string; state: string }[];
    return list.find((r) => r.number === number)?.state;
  }

  const addAgentPhone = (p: Page, id: string, agentId: string, lang = 'en'): Promise<Phone> =>
    Phone.addAgent(p, { id, provisioningUrl: prov.url, agent: agentId, domain: fx.lab.servers.server1.domain, lang });
  const choices = (p: Phone): Promise<string[]> => p.choices();

  before(async () => {
    // Two numbers: enough to recycle one and to fill the pool.
    prov = await startProvisioningServer({ ...onServer1(fx.lab), range: { from: 100, to: 101 } });
    page = await openPhonePage(fx.browser, fx.web.url);
  });
  after(async () => {
    await prov?.close();
  });

  fx.test('a user created through the admin API logs in by choosing the extension, registers on Kamailio and calls with audio', async () => {
    const created = await api('POST', '/admin/users', { id: 'anna', name: 'Anna Agent' });
    assert.equal(created.status, 201);
    assert.equal(created.body.extension, '100');

    agent = await addAgentPhone(page, 'agent-phone', 'anna');
    assert.deepEqual(await choices(agent), ['100', 'automatic']);
    assert.equal(await agent.registrationState(), 'unregistered', 'nothing registers before the login');
    await page.locator('#agent-phone [data-number="100"]').click();
    const registered = await agent.waitForEvent('softphone-registered');
    assert.equal(registered.detail.aor, `100@${fx.lab.servers.server1.domain}`);
    await until(async () => (await registration('100')) === 'registered', 'Kamailio has 100 registered');
    assert.equal(await agent.prop('status'), 'available');
    assert.deepEqual((await agent.events('softphone-status-changed')).map((e) => e.detail.status), ['available']);
    assert.ok(created.body.password, 'the admin API gave the new account a password');
    assert.ok(!(await agent.dom()).includes(created.body.password), 'the SIP password is not in the DOM or attributes');
    assert.ok(!JSON.stringify(await agent.events()).includes(created.body.password), 'nor in an event');

    // 3999 is a lab account on a second phone in its own page; it answers.
    const other = await openPhonePage(fx.browser, fx.web.url);
    const account = fx.lab.accounts.server1.find((a) => a.extension === '3999')!;
    target = await Phone.add(other, { server: fx.lab.servers.server1.wsUrl, account });
    await target.waitForEvent('softphone-registered');
    await other.evaluate((id) => (window as unknown as { __test: { autoAnswer(id: string, on: boolean): void } }).__test.autoAnswer(id, true), target.id);
    await agent.invoke('call', '3999');
    const established = await agent.waitForEvent('softphone-call-established');
    assert.equal(established.detail.call?.remote.number, '3999');
    assert.equal(await agent.prop('status'), 'outgoing call', 'the status shows the call');
    const incoming = await target.waitForEvent('softphone-incoming-call');
    assert.equal(incoming.detail.call?.remote.number, '100');
    assert.equal(incoming.detail.call?.remote.displayName, 'Anna Agent');
    const first = [(await peerBytes(page)).at(-1)!, (await peerBytes(other)).at(-1)!];
    await sleep(1500);
    const second = [(await peerBytes(page)).at(-1)!, (await peerBytes(other)).at(-1)!];
    for (const [i, side] of ['agent', '3999'].entries()) {
      assert.ok(second[i]!.sent > first[i]!.sent, `${side} sends audio (${first[i]!.sent} -> ${second[i]!.sent})`);
      assert.ok(second[i]!.received > first[i]!.received, `${side} receives audio (${first[i]!.received} -> ${second[i]!.received})`);
    }
    await agent.invoke('hangup');
    await agent.waitForEvent('softphone-call-ended');
    assert.equal(await agent.prop('status'), 'available', 'back to the chosen status');
    const sessions = (await api('GET', '/admin/sessions')).body as { agent: string; status: string }[];
    assert.equal(sessions.find((s) => s.agent === 'anna')?.status, 'available');
  });

  fx.test('a deleted user frees the number: the next user gets it, with the forwarding reset, and registers there', async () => {
    assert.deepEqual(await agent.invoke('setForwarding', { busy: '3999', noAnswer: { target: '3999', seconds: 15 } }), {
      busy: '3999',
      noAnswer: { target: '3999', seconds: 15 },
    });
    assert.equal((await api('DELETE', '/admin/users/anna')).status, 204);
    await until(async () => (await registration('100')) !== 'registered', 'Kamailio drops 100');
    // The server no longer knows anna: the element logs out here all the same, and says so.
    await assert.rejects(agent.invoke('logout'), /PROVISIONING_ERROR: .*404 UNKNOWN_AGENT/);
    assert.equal(await agent.registrationState(), 'unregistered');

    const bob = await api('POST', '/admin/users', { id: 'bob', name: 'Bob Agent' });
    assert.equal(bob.body.extension, '100', 'the recycled number');
    // The same element, now for bob: the login step lists bob's extensions.
    await page.evaluate(() => document.getElementById('agent-phone')!.setAttribute('agent', 'bob'));
    assert.deepEqual(await choices(agent), ['100', 'automatic']);
    await page.locator('#agent-phone [data-number="100"]').click();
    await agent.waitForEvent('softphone-registered', { count: 2 });
    await until(async () => (await registration('100')) === 'registered', 'Kamailio has 100 registered again');
    assert.deepEqual(await agent.invoke('getForwarding'), {}, 'forwarding reset to the defaults');
    await page.locator('#agent-phone [data-action=forwarding]').click();
    await page.locator('#agent-phone input[name=busy]').waitFor();
    assert.equal(await page.locator('#agent-phone input[name=busy]').inputValue(), '');
  });

  fx.test('a full pool: the automatic login shows the localized "no free number"', async () => {
    assert.equal((await api('POST', '/admin/users', { id: 'cyd', name: 'Cyd' })).body.extension, '101');
    const full = await api('POST', '/admin/users', { id: 'dee', name: 'Dee' });
    assert.equal(full.status, 409);
    assert.equal(full.body.code, 'NO_FREE_NUMBER');
    assert.equal((await api('POST', '/admin/users', { id: 'dee', name: 'Dee', extension: null })).status, 201);

    const p = await openPhonePage(fx.browser, fx.web.url);
    const dee = await addAgentPhone(p, 'dee-phone', 'dee', 'pl');
    assert.deepEqual(await choices(dee), ['100', '101', 'automatic']);
    await p.locator('#dee-phone [data-number=automatic]').click();
    const alert = p.locator('#dee-phone .login [role=alert]');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Brak wolnego numeru lub numer nieprawidłowy/);
    const error = await dee.waitForEvent('softphone-error');
    assert.equal(error.detail.code, 'NO_FREE_NUMBER');
    assert.equal(await dee.registrationState(), 'unregistered');
    assert.deepEqual(await choices(dee), ['100', '101', 'automatic'], 'the list stays');
    await agent.invoke('logout');
  });
});
