/**
 * Park and retrieve end to end, against the lab's park orbit (lab/park-orbit/: slots registered
 * on server1 as real SIP endpoints with real media). alice (3999) is the customer, carol (4000) the
 * agent who parks her, dave (4001) a colleague who picks her up, erin (4002) a second customer.
 * Every microphone is a 440 Hz tone; the orbit's music on hold is a melody between 523 and 880 Hz.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { startParkOrbit, type ParkOrbit } from '../../lab/park-orbit/park-orbit.js';
import { connect, hearEachOther, listen, openPhonePage, Phone, toneWav, until, withLab, type CallSnapshot } from './harness.js';

const TONE_HZ = 440;
const ms = (n: number): string => `${Math.round(n)} ms`;

interface Parked {
  slot: string;
  remote: { number: string; displayName?: string };
  parkedAt: number;
}

describe('park and retrieve with real audio', () => {
  const fx = withLab({ lab: { servers: ['server1'] }, fakeAudioFile: () => toneWav(TONE_HZ) });
  let orbit: ParkOrbit | undefined;
  /** One slot with a short timeout, for the call that comes back. */
  let quickOrbit: ParkOrbit | undefined;
  before(async () => {
    const s = fx.lab.servers.server1;
    const base = { wsUrl: s.wsUrl, domain: s.domain, dbFile: fx.lab.dbFile, browser: fx.browser };
    orbit = await startParkOrbit({ ...base, slots: ['701', '702', '703'] });
    quickOrbit = await startParkOrbit({ ...base, slots: ['719'], timeoutSeconds: 4, ringSeconds: 20 });
  });
  after(async () => {
    await quickOrbit?.stop();
    await orbit?.stop();
  });

  let alice: Phone;
  let carol: Phone;
  let dave: Phone;
  let erin: Phone;

  async function phone(ext: string, attrs: Record<string, string> = {}): Promise<Phone> {
    const page: Page = await openPhonePage(fx.browser, fx.web.url);
    const a = fx.lab.accounts.server1.find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    const p = await Phone.add(page, { server: fx.lab.servers.server1.wsUrl, account: a, attrs });
    await p.waitForEvent('softphone-registered');
    return p;
  }

  /** Through the orbit's bridge: listens a little longer than on a direct call. */
  const BRIDGED = { toneHz: TONE_HZ, listenMs: 1200 };

  /** The parked caller hears the orbit's music (not a 440 Hz microphone). */
  async function hearsMusic(p: Phone): Promise<void> {
    const heard = await listen(p.page, [TONE_HZ], 1500);
    assert.ok(heard.peak.freq > 500 && heard.peak.freq < 900 && heard.peak.db > -60, `${p.id} hears music on hold (${heard.peak.freq} Hz at ${heard.peak.db} dBFS)`);
  }

  fx.test('carol parks alice: slot 701, the call ends parked, alice hears music on hold', async () => {
    alice = await phone('3999');
    carol = await phone('4000', { 'park-slots': '701-703' });
    dave = await phone('4001');
    erin = await phone('4002');
    const [aliceCall, atCarol] = await connect(alice, carol);
    const t0 = Date.now();
    const parked = await carol.invoke<Parked>('park', atCarol.id);
    console.log(`  park (REFER to the slot answered): ${ms(Date.now() - t0)}`);
    assert.equal(parked.slot, '701');
    assert.equal(parked.remote.number, '3999');
    const event = await carol.waitForEvent('softphone-call-parked');
    assert.equal(event.detail.slot, '701');
    assert.equal(event.detail.call?.endCause, 'parked');
    assert.deepEqual((await carol.prop<Parked[]>('parkedCalls')).map((p) => p.slot), ['701']);
    assert.deepEqual(await carol.calls(), []);
    assert.equal((await alice.waitForEvent('softphone-call-ended', { where: (e) => e.detail.call?.id === aliceCall.id })).detail.call?.endCause, 'transferred');
    await until(async () => (await orbit!.occupied())['701'], 'slot 701 occupied');
    assert.equal((await orbit!.occupied())['701']?.parkedBy, '4000');
    await hearsMusic(alice);
    // the UI lists it with slot, caller and a retrieve button, and the count
    const ui = await carol.page.evaluate((id) => {
      const root = document.getElementById(id)!.shadowRoot!;
      return {
        label: root.querySelector('[part=parked] .label')?.textContent,
        row: root.querySelector('[part=parked] li')?.textContent?.replace(/\s+/g, ' ').trim(),
        button: root.querySelector('[part=parked] [data-action=retrieve]')?.getAttribute('aria-label'),
      };
    }, carol.id);
    assert.equal(ui.label, 'Parked calls: 1');
    assert.match(ui.row ?? '', /^701 Alice /);
    assert.equal(ui.button, 'Retrieve Alice from slot 701');
  });

  fx.test('a second call parked while 701 is taken goes to 702 (the orbit refuses 701 with 486)', async () => {
    const [, atCarol] = await connect(erin, carol);
    const parked = await carol.invoke<Parked>('park', atCarol.id);
    assert.equal(parked.slot, '702');
    assert.deepEqual((await carol.prop<Parked[]>('parkedCalls')).map((p) => [p.slot, p.remote.number]), [['701', '3999'], ['702', '4002']]);
    await until(async () => (await orbit!.occupied())['702'], 'slot 702 occupied');
    await hearsMusic(erin);
  });

  fx.test('dave retrieves 701 by calling the slot: alice and dave hear each other', async () => {
    const call = await dave.invoke<CallSnapshot>('retrieve', '701');
    await until(async () => (await dave.calls()).find((c) => c.id === call.id && c.state === 'established'), 'dave connected to 701');
    await hearEachOther(alice, dave, BRIDGED);
    await dave.invoke('hangup');
    await until(async () => (await alice.calls()).length === 0, 'alice hung up by the orbit');
    // carol cannot know that someone else picked the call up (no park-state subscription in the lab):
    // it stays in her list, documented in README as a limit
  });

  fx.test('carol retrieves 702 with one click on the parked list: erin is back, the slot leaves the list', async () => {
    await carol.page.evaluate((id) => {
      const root = document.getElementById(id)!.shadowRoot!;
      root.querySelector<HTMLButtonElement>('[part=parked] li[data-slot="702"] [data-action=retrieve]')!.click();
    }, carol.id);
    await until(async () => (await carol.calls()).find((c) => c.state === 'established'), 'carol connected to 702');
    await until(async () => !(await carol.prop<Parked[]>('parkedCalls')).some((p) => p.slot === '702'), '702 leaves the list');
    await hearEachOther(erin, carol, BRIDGED);
    await carol.invoke('hangup');
    await until(async () => (await erin.calls()).length === 0, 'erin hung up');
  });

  fx.test('a parked call nobody retrieves comes back to carol from "Park 719", showing the caller', async () => {
    await carol.page.evaluate((id) => document.getElementById(id)!.setAttribute('park-slots', '719'), carol.id);
    const [, atCarol] = await connect(alice, carol);
    const rings = (await carol.events('softphone-incoming-call')).length;
    const parked = await carol.invoke<Parked>('park', atCarol.id);
    assert.equal(parked.slot, '719');
    const back = await carol.waitForEvent('softphone-incoming-call', { count: rings + 1, timeoutMs: 20_000 });
    assert.deepEqual([back.detail.call?.remote.number, back.detail.call?.remote.displayName], ['3999', 'Park 719']);
    assert.ok((await carol.prop<Parked[]>('parkedCalls')).some((p) => p.slot === '719'), 'still parked while it rings');
    await carol.invoke('answer', back.detail.call!.id);
    await until(async () => !(await carol.prop<Parked[]>('parkedCalls')).some((p) => p.slot === '719'), '719 leaves the list');
    await hearEachOther(alice, carol, BRIDGED);
    await carol.invoke('hangup');
  });

  fx.test('park is refused on a call the agent placed (NOT_ALLOWED) unless callPolicy allows it', async () => {
    const [placed] = await connect(carol, dave);
    await assert.rejects(carol.invoke('park', placed.id), /NOT_ALLOWED.*calls the agent placed/);
    assert.equal((await carol.calls())[0]?.state, 'established');
    await carol.page.evaluate((id) => {
      const el = document.getElementById(id) as HTMLElement & { callPolicy: unknown };
      el.setAttribute('park-slots', '701-703');
      el.callPolicy = { outbound: { park: true } };
    }, carol.id);
    const parked = await carol.invoke<Parked>('park', placed.id);
    assert.equal(parked.slot, '701');
    await hearsMusic(dave);
    await dave.invoke('hangup');
  });
});
