/**
 * The phone against the lab's PBX media path, real processes only: Kamailio + rtpengine (userspace),
 * baresip desk phones (plain RTP, G.711) and a SIPp carrier (183 + early media, refreshes, 486/404/503,
 * calls in), `<soft-phone>` in Chromium with a 440 Hz microphone.
 *
 * Audio is checked by content both ways: the element hears the far end's known tone (WebAudio FFT
 * of the received track), and the desk phone's recording (Goertzel) holds the element's 440 Hz.
 * rtpengine's own counters show the media went through it.
 */
import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import type { DeskPhone } from '../../lab/desk-phone.js';
import { CARRIER_TONES, PSTN_NUMBERS, type CallIn } from '../../lab/pstn.js';
import { listen, mediaFlows as audioFlows, openPhonePage, Phone, sipFrames, toneWav, until, withLab, type CallSnapshot } from './harness.js';

const TONE_HZ = 440;

describe('PBX media path: rtpengine, desk phones, the PSTN carrier', () => {
  const fx = withLab({ lab: { pbx: true }, fakeAudioFile: () => toneWav(TONE_HZ) });
  const callIns: CallIn[] = [];
  after(async () => {
    for (const c of callIns) await c.stop().catch(() => undefined);
  });

  let alice: Phone;
  const account = (ext: string) => {
    const a = fx.lab.accounts.server1.find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    return a;
  };
  const desk = (ext: string): DeskPhone => fx.lab.deskPhone(ext);
  const current = async (): Promise<CallSnapshot | undefined> => (await alice.calls()).find((c) => c.state !== 'ended');

  /** The element hears `hz` (and it is the loudest thing it hears). */
  async function elementHears(hz: number, what: string, ms = 800): Promise<void> {
    const heard = await listen(alice.page, [hz], ms);
    assert.ok(Math.abs(heard.peak.freq - hz) < 25 && heard.peak.db > -60, `${what}: the element hears ${heard.peak.freq.toFixed(0)} Hz at ${heard.peak.db.toFixed(1)} dBFS, wanted ${hz} Hz`);
  }

  /** The desk phone's recording of the last second holds the element's tone. */
  async function deskHears(phone: DeskPhone, hz: number, what: string): Promise<void> {
    const heard = await until(async () => {
      const h = phone.heard(1);
      return Math.abs(h.freq - hz) <= 10 ? h : undefined;
    }, `${what}: desk phone ${phone.extension} hears ${hz} Hz`, 5000).catch(() => phone.heard(1));
    assert.ok(Math.abs(heard.freq - hz) <= 10 && heard.rms > 0.01, `${what}: desk phone ${phone.extension} heard ${heard.freq} Hz (rms ${heard.rms.toFixed(3)}) in ${heard.file}`);
  }

  /** The element's newest peer connection keeps receiving and sending. */
  async function mediaFlows(what: string): Promise<void> {
    await audioFlows(alice.page, what);
  }

  /** rtpengine relays a session right now, with packets flowing. */
  async function relayedByRtpengine(what: string): Promise<void> {
    const rtpe = fx.lab.rtpengine!;
    const t = await until(async () => {
      const x = await rtpe.totals();
      return (x['Total sessions'] ?? 0) >= 1 && (x['Packets per second (total)'] ?? 0) > 0 ? x : undefined;
    }, `${what}: rtpengine relays packets`, 5000);
    console.log(`  ${what}: rtpengine sessions ${t['Total sessions']}, ${t['Packets per second (total)']} pkt/s, ${t['Bytes per second (total)']} B/s`);
  }

  async function endCall(): Promise<void> {
    const c = await current();
    if (!c) return;
    const ended = (await alice.events('softphone-call-ended')).length;
    await alice.invoke('hangup', c.id);
    await alice.waitForEvent('softphone-call-ended', { count: ended + 1 });
  }

  fx.test('the element registers; the desk phones are registered over UDP with digest auth', async () => {
    const page = await openPhonePage(fx.browser, fx.web.url);
    alice = await Phone.add(page, { server: fx.lab.servers.server1.wsUrl, account: account('3999') });
    await alice.waitForEvent('softphone-registered');
    const s1 = await fx.lab.servers.server1.bindings();
    const s2 = await fx.lab.servers.server2.bindings();
    for (const ext of ['4101', '4102']) {
      const b = s1.find((x) => x.aor === `sip:${ext}@server1.test`);
      assert.ok(b, `${ext} registered on server1`);
      assert.match(b.contact, new RegExp(`^sip:${ext}[-@].*127\\.0\\.0\\.1:\\d+`), 'a UDP contact on loopback');
      assert.equal(b.received, undefined, 'not a WebSocket client');
    }
    assert.ok(s2.some((x) => x.aor === 'sip:2201@server2.test'), '2201 registered on server2');
  });

  fx.test('element calls desk phone 4101: audio both ways through rtpengine, by tone', async () => {
    const d = desk('4101');
    const established = d.eventsOf('CALL_ESTABLISHED').length;
    const placed = await alice.invoke<CallSnapshot>('call', '4101');
    await until(async () => (await alice.calls()).find((c) => c.id === placed.id && c.state === 'established'), 'the element is established');
    await d.waitFor('CALL_ESTABLISHED', { count: established + 1 });
    await mediaFlows('element -> 4101');
    await elementHears(d.toneHz, 'element -> 4101');
    await deskHears(d, TONE_HZ, 'element -> 4101');
    await relayedByRtpengine('element -> 4101');
    // this very call is a session of rtpengine, and its packet counters grow
    const invite = sipFrames(alice.page).filter((f) => f.direction === 'sent' && f.text.startsWith('INVITE sip:4101@')).at(-1);
    const callId = /^Call-ID:\s*(\S+)/im.exec(invite?.text ?? '')?.[1];
    assert.ok(callId, 'the INVITE to 4101 has a Call-ID');
    assert.ok((await fx.lab.rtpengine!.sessions()).includes(callId), `rtpengine relays call ${callId}`);
    const b1 = await fx.lab.rtpengine!.sessionBytes(callId);
    await until(async () => {
      const now = await fx.lab.rtpengine!.sessionBytes(callId);
      return now.packets > b1.packets && now.bytes > b1.bytes ? now : undefined;
    }, `rtpengine's counters of the call grow from ${JSON.stringify(b1)}`, 5000);
    // the element's SDP toward the desk side went through rtpengine: the answer it got is DTLS-SRTP from rtpengine
    const answer = sipFrames(alice.page).filter((f) => f.direction === 'received' && f.text.startsWith('SIP/2.0 200') && /m=audio/.test(f.text)).at(-1);
    assert.ok(answer, 'a 200 with SDP');
    assert.match(answer.text, /RTP\/SAVPF/);
    assert.match(answer.text, /a=fingerprint:/);
    assert.match(answer.text, /a=rtpmap:(0 PCMU|8 PCMA)\/8000/);
  });

  fx.test('DTMF from the element reaches desk phone 4101 as RFC 4733 events', async () => {
    const d = desk('4101');
    const before = d.dtmfReceived();
    await alice.invoke('sendDtmf', '159#*0');
    await until(async () => d.dtmfReceived().length >= before.length + 6 || undefined, 'the desk phone reports 6 digits', 10_000);
    assert.equal(d.dtmfReceived().slice(before.length), '159#*0');
  });

  fx.test('hold and resume from the element; then from the desk phone (the element shows remoteHeld)', async () => {
    const d = desk('4101');
    const c = (await current())!;
    await alice.invoke('hold', c.id);
    await until(async () => (await current())?.held === true || undefined, 'the element holds');
    await alice.invoke('unhold', c.id);
    await until(async () => (await current())?.held === false || undefined, 'the element resumes');
    await mediaFlows('after the element resumed');
    await deskHears(d, TONE_HZ, 'after the element resumed');

    await d.hold();
    await until(async () => ((await current()) as { remoteHeld?: boolean } | undefined)?.remoteHeld === true || undefined, 'remoteHeld');
    await d.resume();
    await until(async () => ((await current()) as { remoteHeld?: boolean } | undefined)?.remoteHeld === false || undefined, 'remoteHeld over');
    await mediaFlows('after the desk phone resumed');
    await elementHears(d.toneHz, 'after the desk phone resumed');
    const closed = d.eventsOf('CALL_CLOSED').length;
    await endCall();
    await d.waitFor('CALL_CLOSED', { count: closed + 1 });
  });

  fx.test('desk phone 4102 calls the element, the element answers: audio both ways; the desk phone hangs up', async () => {
    const d = desk('4102');
    const rings = (await alice.events('softphone-incoming-call')).length;
    const established = d.eventsOf('CALL_ESTABLISHED').length;
    await d.dial('3999');
    const incoming = await alice.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.equal(incoming.detail.call!.remote.number, '4102');
    await alice.invoke('answer', incoming.detail.call!.id);
    await d.waitFor('CALL_ESTABLISHED', { count: established + 1 });
    await mediaFlows('4102 -> element');
    await elementHears(d.toneHz, '4102 -> element');
    await deskHears(d, TONE_HZ, '4102 -> element');
    await relayedByRtpengine('4102 -> element');
    const ended = (await alice.events('softphone-call-ended')).length;
    await d.hangup();
    const e = await alice.waitForEvent('softphone-call-ended', { count: ended + 1 });
    assert.equal(e.detail.call!.endCause, 'remote-hangup');
    // the desk phone's BYE is answered 200 and its call is closed
    await until(async () => sipFrames(alice.page).some((f) => f.direction === 'sent' && f.text.startsWith('SIP/2.0 200') && /CSeq: \d+ BYE/i.test(f.text)) || undefined, 'the element answers the BYE 200');
    await d.waitFor('CALL_CLOSED', { count: d.eventsOf('CALL_CLOSED').length || 1 });
  });

  fx.test('desk phone 4101 calls the element and transfers it (REFER) to desk phone 4102: the element follows, audio with 4102', async () => {
    const d1 = desk('4101');
    const d2 = desk('4102');
    const rings = (await alice.events('softphone-incoming-call')).length;
    const est1 = d1.eventsOf('CALL_ESTABLISHED').length;
    const est2 = d2.eventsOf('CALL_ESTABLISHED').length;
    const closed1 = d1.eventsOf('CALL_CLOSED').length;
    await d1.dial('3999');
    const incoming = await alice.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    await alice.invoke('answer', incoming.detail.call!.id);
    await d1.waitFor('CALL_ESTABLISHED', { count: est1 + 1 });
    await elementHears(d1.toneHz, '4101 -> element');
    await d1.transfer('4102');
    // the element calls 4102 (through rtpengine), 4102 answers by itself
    await d2.waitFor('CALL_ESTABLISHED', { count: est2 + 1 });
    await until(async () => (await alice.calls()).find((c) => c.state === 'established' && c.remote.number === '4102'), 'the element is with 4102');
    // 4101 learns that its transfer succeeded (the final NOTIFY) and closes its call
    await d1.waitFor('CALL_CLOSED', { count: closed1 + 1, timeoutMs: 10_000 });
    await mediaFlows('after the transfer');
    await elementHears(d2.toneHz, 'after the transfer');
    await deskHears(d2, TONE_HZ, 'after the transfer');
    await endCall();
  });

  fx.test('the element calls desk phone 2201 on the linked server2 (122201): audio both ways', async () => {
    const d = desk('2201');
    const placed = await alice.invoke<CallSnapshot>('call', '122201');
    await until(async () => (await alice.calls()).find((c) => c.id === placed.id && c.state === 'established'), 'established');
    await d.waitFor('CALL_ESTABLISHED');
    await mediaFlows('element -> 122201');
    await elementHears(d.toneHz, 'element -> 122201');
    await deskHears(d, TONE_HZ, 'element -> 122201');
    await endCall();
  });

  fx.test('a PSTN call: early media (183) heard before the answer, then the answered tone; refreshes by UPDATE and re-INVITE keep the audio', async () => {
    const placed = await alice.invoke<CallSnapshot>('call', PSTN_NUMBERS.answers[0]);
    await until(async () => (await alice.calls()).find((c) => c.id === placed.id && c.state === 'early-media'), 'early-media');
    await elementHears(CARRIER_TONES.early, 'early media');
    assert.equal((await alice.calls()).find((c) => c.id === placed.id)?.state, 'early-media', 'still not answered while the early media plays');
    await until(async () => (await alice.calls()).find((c) => c.id === placed.id && c.state === 'established'), 'established', 10_000);
    await elementHears(CARRIER_TONES.answer, 'answered');
    // the carrier refreshes: UPDATE without SDP, then a re-INVITE; both answered 200
    const frames = () => sipFrames(alice.page);
    await until(async () => frames().some((f) => f.direction === 'received' && f.text.startsWith('INVITE ') && /CSeq: 2 INVITE/i.test(f.text)) || undefined, 'the refresh re-INVITE', 10_000);
    const update = frames().find((f) => f.direction === 'received' && f.text.startsWith('UPDATE '));
    assert.ok(update, 'the carrier sent an UPDATE');
    const sent200 = (method: string) => frames().some((f) => f.direction === 'sent' && f.text.startsWith('SIP/2.0 200') && new RegExp(`CSeq: \\d+ ${method}`, 'i').test(f.text));
    await until(async () => (sent200('UPDATE') && sent200('INVITE')) || undefined, 'UPDATE and re-INVITE answered 200');
    await mediaFlows('after the refreshes');
    await elementHears(CARRIER_TONES.answer, 'after the refreshes');
    assert.equal((await current())?.state, 'established');
    await endCall();
  });

  for (const [number, cause] of [
    [PSTN_NUMBERS.busy, 'busy'],
    [PSTN_NUMBERS.notFound, 'not-found'],
    [PSTN_NUMBERS.unavailable, 'failed'],
  ] as const) {
    fx.test(`a PSTN number answered ${number.slice(-3)} ends the call with endCause '${cause}'`, async () => {
      const ended = (await alice.events('softphone-call-ended')).length;
      await alice.invoke('call', number);
      const e = await alice.waitForEvent('softphone-call-ended', { count: ended + 1 });
      assert.equal(e.detail.call!.endCause, cause);
    });
  }

  fx.test('the carrier calls in: the element shows the external caller number, answers, hears the caller', async () => {
    const rings = (await alice.events('softphone-incoming-call')).length;
    const s1 = fx.lab.servers.server1;
    const call = await fx.lab.carrier!.callIn('3999', '+48601234567', { port: s1.sipPort, domain: s1.domain });
    callIns.push(call);
    const incoming = await alice.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    assert.equal(incoming.detail.call!.remote.number, '+48601234567');
    assert.equal(incoming.detail.call!.remote.kind, 'external');
    await alice.invoke('answer', incoming.detail.call!.id);
    await alice.waitForCallState('established', { count: (await alice.events('softphone-call-state')).filter((e) => e.detail.call?.state === 'established').length });
    await mediaFlows('carrier -> element');
    await elementHears(CARRIER_TONES.caller, 'carrier -> element');
    await relayedByRtpengine('carrier -> element');
    await endCall();
    const done = await call.done;
    assert.ok(done.ok, `the carrier's call ended cleanly (SIPp exit ${done.exitCode}, log ${call.logFile})`);
  });
});
