/**
 * Call control with a PSTN caller, real processes only: the lab's SIPp carrier calls in (caller
 * number +48..., its voice an 1800 Hz tone) to carol (4000, `<soft-phone>` on server1), who then
 * hands the caller on: '#' to desk phone 4101 (baresip), '*' and hold transfer to dave (4001), park
 * and retrieve by dave, and '#' to bob (2099) on the linked server2 (dialled 122099).
 *
 * The carrier is the transferee: it follows the REFER itself, as a phone would (lab/pstn/call-in.xml:
 * 202, NOTIFY, a new INVITE to the Refer-To target with Referred-By and, for '*' and hold transfer,
 * Replaces). Audio is checked by content at the new far end: the element hears 1800 Hz (WebAudio FFT),
 * the desk phone's recording holds 1800 Hz (Goertzel). Every element's microphone is 440 Hz.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { startParkOrbit, type ParkOrbit } from '../../lab/park-orbit/park-orbit.js';
import { CARRIER_TONES, type CallIn } from '../../lab/pstn.js';
import { listen, mediaFlows, openPhonePage, Phone, sleep, toneWav, until, withLab, type CallSnapshot } from './harness.js';

const TONE_HZ = 440;
const CALLER = '+48601234567';

describe('transfers and park of a PSTN caller (the SIPp carrier follows the REFERs)', () => {
  const fx = withLab({ lab: { pbx: true }, fakeAudioFile: () => toneWav(TONE_HZ) });
  const LINKED = {
    server1: { prefix: '11', 'linked-servers': JSON.stringify([{ prefix: '12', label: 'Osaka' }]), 'park-slots': '701-703' },
    server2: { prefix: '12', 'linked-servers': JSON.stringify([{ prefix: '11', label: 'Tokyo' }]) },
  };
  let orbit: ParkOrbit | undefined;
  let call: CallIn | undefined;
  before(async () => {
    const s = fx.lab.servers.server1;
    orbit = await startParkOrbit({ wsUrl: s.wsUrl, domain: s.domain, dbFile: fx.lab.dbFile, browser: fx.browser, slots: ['701', '702', '703'] });
  });
  after(async () => {
    await call?.stop().catch(() => undefined);
    await orbit?.stop();
  });

  let carol: Phone;
  let dave: Phone;
  let bob: Phone;

  async function phone(ext: string, server: 'server1' | 'server2'): Promise<Phone> {
    const page: Page = await openPhonePage(fx.browser, fx.web.url);
    const a = fx.lab.accounts[server].find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext} on ${server}`);
    const p = await Phone.add(page, { server: fx.lab.servers[server].wsUrl, account: a, attrs: LINKED[server] });
    await p.waitForEvent('softphone-registered');
    return p;
  }

  const count = async (p: Phone, type: string): Promise<number> => (await p.events(type)).length;

  /** `p`'s newest live call keeps receiving and sending, and it hears `hz` loudest. */
  async function hears(p: Phone, hz: number, what: string, ms = 1000): Promise<void> {
    await mediaFlows(p.page, `${what}: ${p.id}`);
    const heard = await until(async () => {
      const h = await listen(p.page, [hz], ms);
      return Math.abs(h.peak.freq - hz) < 25 && h.peak.db > -60 ? h : undefined;
    }, `${what}: ${p.id} hears ${hz} Hz`, 6000).catch(async () => listen(p.page, [hz], ms));
    assert.ok(Math.abs(heard.peak.freq - hz) < 25 && heard.peak.db > -60, `${what}: ${p.id} hears ${heard.peak.freq.toFixed(0)} Hz at ${heard.peak.db.toFixed(1)} dBFS, wanted ${hz} Hz`);
  }

  /** The carrier calls carol (server1) as CALLER; carol answers and hears the caller. */
  async function callerWithCarol(): Promise<CallSnapshot> {
    // a call-in left over by a failed test is ended first (one call-in at a time)
    await call?.stop();
    for (const p of [carol, dave, bob]) for (const c of await p.calls()) await p.invoke('hangup', c.id).catch(() => undefined);
    const rings = await count(carol, 'softphone-incoming-call');
    const s1 = fx.lab.servers.server1;
    call = await fx.lab.carrier!.callIn('4000', CALLER, { port: s1.sipPort, domain: s1.domain });
    const incoming = await carol.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.deepEqual([incoming.detail.call!.remote.number, incoming.detail.call!.remote.kind], [CALLER, 'external']);
    await carol.invoke('answer', incoming.detail.call!.id);
    await until(async () => (await carol.calls()).find((c) => c.id === incoming.detail.call!.id && c.state === 'established'), 'carol talks to the caller');
    await hears(carol, CARRIER_TONES.caller, 'caller -> carol');
    return incoming.detail.call!;
  }

  /** The carrier's run ends cleanly once the last far end hung up. */
  async function carrierDone(): Promise<void> {
    const c = call!;
    const done = await Promise.race([c.done, sleep(15_000).then(() => undefined)]);
    assert.ok(done?.ok, `the carrier's call-in ended cleanly (SIPp ${done ? `exit ${done.exitCode}` : 'still running'}, log ${c.logFile})`);
    call = undefined;
  }

  async function endedAs(p: Phone, id: string, cause: string): Promise<void> {
    const e = await p.waitForEvent('softphone-call-ended', { where: (x) => x.detail.call?.id === id });
    assert.equal(e.detail.call?.endCause, cause);
  }

  fx.test("'#' transfer of a PSTN caller to desk phone 4101: the carrier calls 4101, 4101 hears the caller", async () => {
    carol = await phone('4000', 'server1');
    dave = await phone('4001', 'server1');
    bob = await phone('2099', 'server2');
    const d = fx.lab.deskPhone('4101');
    const est = d.eventsOf('CALL_ESTABLISHED').length;
    const atCarol = await callerWithCarol();
    await carol.invoke('transfer', '4101', { mode: 'blind' }, atCarol.id);
    const done = await carol.waitForEvent('softphone-transfer-completed');
    assert.deepEqual([done.detail.mode, done.detail.target], ['blind', '4101']);
    await endedAs(carol, atCarol.id, 'transferred');
    const established = await d.waitFor('CALL_ESTABLISHED', { count: est + 1 });
    assert.match(established.peeruri ?? '', /^sip:\+48601234567@/, "the desk phone's call is with the PSTN caller");
    const heard = await until(async () => {
      const h = d.heard(1);
      return Math.abs(h.freq - CARRIER_TONES.caller) <= 10 && h.rms > 0.01 ? h : undefined;
    }, 'desk phone 4101 hears the caller', 8000).catch(() => d.heard(1));
    assert.ok(Math.abs(heard.freq - CARRIER_TONES.caller) <= 10 && heard.rms > 0.01, `4101 heard ${heard.freq} Hz (rms ${heard.rms.toFixed(3)}) in ${heard.file}`);
    assert.deepEqual(await carol.calls(), []);
    const closed = d.eventsOf('CALL_CLOSED').length;
    await d.hangup();
    await d.waitFor('CALL_CLOSED', { count: closed + 1 });
    await carrierDone();
  });

  fx.test("'#' transfer of a PSTN caller on server1 to bob on server2 (122099): bob sees the caller's number", async () => {
    const atCarol = await callerWithCarol();
    const rings = await count(bob, 'softphone-incoming-call');
    const transfer = carol.invoke('transfer', '122099', { mode: 'blind' }, atCarol.id);
    const ringing = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    const r = ringing.detail.call!.remote;
    assert.deepEqual([r.number, r.kind], [CALLER, 'external'], 'the original (PSTN) caller is shown on server2');
    await bob.invoke('answer', ringing.detail.call!.id);
    await transfer;
    await endedAs(carol, atCarol.id, 'transferred');
    await hears(bob, CARRIER_TONES.caller, 'caller -> bob');
    await bob.invoke('hangup', ringing.detail.call!.id);
    await carrierDone();
  });

  fx.test("'*' transfer of a PSTN caller to dave: the caller waits on hold, carol consults dave, complete joins caller and dave", async () => {
    const atCarol = await callerWithCarol();
    const rings = await count(dave, 'softphone-incoming-call');
    const consult = await carol.invoke<CallSnapshot>('transfer', '4001', { mode: 'attended' }, atCarol.id);
    assert.equal((await carol.calls()).find((c) => c.id === atCarol.id)?.state, 'held', 'the carrier accepted the hold');
    const ringing = await dave.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.equal(ringing.detail.call?.remote.number, '4000');
    await dave.invoke('answer', ringing.detail.call!.id);
    await until(async () => (await carol.calls()).find((c) => c.id === consult.id && c.state === 'established'), 'consult established');
    await carol.invoke('completeTransfer');
    const joined = await until(async () => (await dave.calls()).find((c) => c.state === 'established' && c.remote.number === CALLER), 'dave talks to the caller');
    assert.equal(joined.remote.kind, 'external');
    await endedAs(dave, ringing.detail.call!.id, 'replaced');
    await until(async () => (await carol.calls()).length === 0, 'carol has no calls');
    await hears(dave, CARRIER_TONES.caller, 'caller -> dave');
    await dave.invoke('hangup', joined.id);
    await carrierDone();
  });

  fx.test('hold transfer of a PSTN caller: carol holds, calls dave by hand, completeTransfer joins caller and dave', async () => {
    const atCarol = await callerWithCarol();
    await carol.invoke('hold', atCarol.id);
    const rings = await count(dave, 'softphone-incoming-call');
    const second = await carol.invoke<CallSnapshot>('call', '4001');
    const ringing = await dave.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    await dave.invoke('answer', ringing.detail.call!.id);
    await until(async () => (await carol.calls()).find((c) => c.id === second.id && c.state === 'established'), 'carol talks to dave');
    await carol.invoke('completeTransfer', atCarol.id, second.id);
    const joined = await until(async () => (await dave.calls()).find((c) => c.state === 'established' && c.remote.number === CALLER), 'dave talks to the caller');
    await until(async () => (await carol.calls()).length === 0, 'carol has no calls');
    await hears(dave, CARRIER_TONES.caller, 'caller -> dave (hold transfer)');
    await dave.invoke('hangup', joined.id);
    await carrierDone();
  });

  /** Desk phone `ext` hears the PSTN caller (1800 Hz in the last second of its newest recording). */
  async function deskHearsCaller(ext: string, what: string): Promise<void> {
    const d = fx.lab.deskPhone(ext);
    const heard = await until(async () => {
      const h = d.heard(1);
      return Math.abs(h.freq - CARRIER_TONES.caller) <= 10 && h.rms > 0.01 ? h : undefined;
    }, `${what}: desk phone ${ext} hears the caller`, 8000).catch(() => d.heard(1));
    console.log(`# ${what}: ${ext} heard ${heard.freq} Hz, rms ${heard.rms.toFixed(3)} in ${heard.file}`);
    assert.ok(Math.abs(heard.freq - CARRIER_TONES.caller) <= 10 && heard.rms > 0.01, `${what}: ${ext} heard ${heard.freq} Hz (rms ${heard.rms.toFixed(3)}) in ${heard.file}`);
  }

  /** Carol consults desk phone 4102 (it answers by itself) while the caller waits, then completes. */
  async function transferToDesk(mode: 'attended' | 'hold'): Promise<void> {
    const d = fx.lab.deskPhone('4102');
    const est = d.eventsOf('CALL_ESTABLISHED').length;
    const closed = d.eventsOf('CALL_CLOSED').length;
    const atCarol = await callerWithCarol();
    const completed = await count(carol, 'softphone-transfer-completed');
    let consult: CallSnapshot;
    if (mode === 'attended') {
      consult = await carol.invoke<CallSnapshot>('transfer', '4102', { mode: 'attended' }, atCarol.id);
    } else {
      await carol.invoke('hold', atCarol.id);
      consult = await carol.invoke<CallSnapshot>('call', '4102');
    }
    assert.equal((await carol.calls()).find((c) => c.id === atCarol.id)?.state, 'held', 'the carrier accepted the hold');
    await until(async () => (await carol.calls()).find((c) => c.id === consult.id && c.state === 'established'), 'carol talks to 4102');
    await d.waitFor('CALL_ESTABLISHED', { count: est + 1 });
    if (mode === 'attended') await carol.invoke('completeTransfer');
    else await carol.invoke('completeTransfer', atCarol.id, consult.id);
    const done = await carol.waitForEvent('softphone-transfer-completed', { count: completed + 1 });
    assert.equal(done.detail.target, '4102');
    await until(async () => (await carol.calls()).length === 0, 'carol has no calls');
    // the carrier's INVITE with Replaces reached the desk phone (answered by itself: no CALL_INCOMING)
    const established = await d.waitFor('CALL_ESTABLISHED', { count: est + 2 });
    console.log(`# ${mode} transfer to 4102: desk phone events ${d.events.slice(-8).map((e) => `${e.type}(${e.peeruri ?? ''})`).join(' ')}`);
    assert.match(established.peeruri ?? '', /^sip:\+48601234567@/, "the desk phone's call is with the PSTN caller");
    // carol's consult leg to the desk phone ended (carol hung it up after the carrier's NOTIFY 200)
    await d.waitFor('CALL_CLOSED', { count: closed + 1 });
    await deskHearsCaller('4102', `${mode} transfer`);
    await d.hangup();
    await d.waitFor('CALL_CLOSED', { count: closed + 2 });
    await carrierDone();
  }

  fx.test("'*' transfer of a PSTN caller to desk phone 4102: carol consults 4102, complete joins caller and 4102", async () => {
    await transferToDesk('attended');
  });

  fx.test('hold transfer of a PSTN caller to desk phone 4102: carol holds, calls 4102, completeTransfer joins caller and 4102', async () => {
    await transferToDesk('hold');
  });

  /**
   * Across servers (seed §3.2): while carol consults bob on server2 (122099), bob's call shows carol
   * as a linked call, 114000 (server Tokyo), as for any linked call (§3.1). Once joined, bob talks to
   * the PSTN caller: the carrier's INVITE with Replaces comes from the caller's number, so bob's call
   * shows it, kind 'external' (as a '#' transfer shows it).
   */
  async function transferAcross(mode: 'attended' | 'hold'): Promise<void> {
    const atCarol = await callerWithCarol();
    const rings = await count(bob, 'softphone-incoming-call');
    let consult: CallSnapshot;
    if (mode === 'attended') {
      consult = await carol.invoke<CallSnapshot>('transfer', '122099', { mode: 'attended' }, atCarol.id);
    } else {
      await carol.invoke('hold', atCarol.id);
      consult = await carol.invoke<CallSnapshot>('call', '122099');
    }
    const ringing = await bob.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    const r = ringing.detail.call!.remote;
    console.log(`# ${mode} across servers: bob's consult call shows ${JSON.stringify(r)}`);
    assert.deepEqual([r.number, r.kind, r.prefix, r.server], ['114000', 'linked', '11', 'Tokyo'], 'the consult call shows the server1 agent with prefix');
    await bob.invoke('answer', ringing.detail.call!.id);
    await until(async () => (await carol.calls()).find((c) => c.id === consult.id && c.state === 'established'), 'carol talks to bob');
    if (mode === 'attended') await carol.invoke('completeTransfer');
    else await carol.invoke('completeTransfer', atCarol.id, consult.id);
    const joined = await until(async () => (await bob.calls()).find((c) => c.state === 'established' && c.id !== ringing.detail.call!.id), 'bob talks to the caller');
    const by = (joined as CallSnapshot & { transferredBy?: string }).transferredBy;
    console.log(`# ${mode} across servers: after the transfer bob's call shows ${JSON.stringify(joined.remote)}, transferredBy ${by}`);
    assert.deepEqual([joined.remote.number, joined.remote.kind], [CALLER, 'external'], 'after the transfer bob talks to the PSTN caller');
    // the agent who transferred is a linked number on server2, shown with its prefix like any other
    assert.equal(by, '114000', 'transferredBy shows the server1 agent with prefix');
    await endedAs(bob, ringing.detail.call!.id, 'replaced');
    await until(async () => (await carol.calls()).length === 0, 'carol has no calls');
    await hears(bob, CARRIER_TONES.caller, `caller -> bob (${mode} across servers)`);
    await bob.invoke('hangup', joined.id);
    await carrierDone();
  }

  fx.test("'*' transfer of a PSTN caller across servers: bob (122099) sees carol as 114000 while consulted, then talks to the caller", async () => {
    await transferAcross('attended');
  });

  fx.test('hold transfer of a PSTN caller across servers: carol holds, calls 122099, completeTransfer joins caller and bob', async () => {
    await transferAcross('hold');
  });

  fx.test('carol parks a PSTN caller (slot 701), dave retrieves it: dave hears the caller', async () => {
    const atCarol = await callerWithCarol();
    const parked = await carol.invoke<{ slot: string; remote: { number: string } }>('park', atCarol.id);
    assert.deepEqual([parked.slot, parked.remote.number], ['701', CALLER]);
    await endedAs(carol, atCarol.id, 'parked');
    await until(async () => (await orbit!.occupied())['701'], 'slot 701 occupied');
    const retrieved = await dave.invoke<CallSnapshot>('retrieve', '701');
    await until(async () => (await dave.calls()).find((c) => c.id === retrieved.id && c.state === 'established'), 'dave connected to 701');
    await hears(dave, CARRIER_TONES.caller, 'caller -> dave (retrieved)', 1200);
    await dave.invoke('hangup', retrieved.id);
    await carrierDone();
  });
});
