/**
 * Calls with real audio, end to end: `<soft-phone>` elements in Chromium (each in its own page, as
 * two agents would be) against the lab's Kamailio. Chromium's microphone is a 440 Hz tone, so a test
 * can check that exactly that tone arrives at the far end. Set-up times are printed, not asserted.
 */
import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { SipWsClient, type SipMessage } from '../../lab/sip-ws-client.js';
import { listen, mediaLeft, openPhonePage, peerBytes, Phone, PlainSipJs, sipFrames, sleep, toneWav, until, withLab, type RecordedEvent } from './harness.js';

const TONE_HZ = 440;
/** DTMF '1' is 697 Hz + 1209 Hz (RFC 4733 events, played out by the receiving WebRTC stack). */
const DTMF_1 = [697, 1209];

const ms = (n: number): string => `${Math.round(n)} ms`;

describe('calls with real audio', () => {
  const fx = withLab({ fakeAudioFile: () => toneWav(TONE_HZ) });
  const scripted: SipWsClient[] = [];
  after(async () => {
    for (const c of scripted) await c.close().catch(() => undefined);
  });

  let alice: Phone;
  let carol: Phone;
  const account = (ext: string) => {
    const a = fx.lab.accounts.server1.find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    return a;
  };
  // Both servers know each other: server1 (prefix 11, "Tokyo") and server2 (prefix 12, "Osaka").
  const linked = {
    server1: { prefix: '11', 'linked-servers': JSON.stringify([{ prefix: '12', label: 'Osaka' }]) },
    server2: { prefix: '12', 'linked-servers': JSON.stringify([{ prefix: '11', label: 'Tokyo' }]) },
  };
  async function phone(ext: string, server: 'server1' | 'server2' = 'server1'): Promise<Phone> {
    const page: Page = await openPhonePage(fx.browser, fx.web.url);
    const a = fx.lab.accounts[server].find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext} on ${server}`);
    const p = await Phone.add(page, { server: fx.lab.servers[server].wsUrl, account: a, attrs: linked[server] });
    await p.waitForEvent('softphone-registered');
    return p;
  }
  /** A far end scripted in Node: registers `ext` and answers every INVITE with `status`. */
  async function scriptedPhone(ext: string, status: number, reason: string): Promise<SipWsClient> {
    const a = account(ext);
    const client = await SipWsClient.connect({ wsUrl: fx.lab.servers.server1.wsUrl, domain: a.domain, user: a.extension, password: a.password });
    scripted.push(client);
    client.onrequest = (request: SipMessage) => {
      if (request.method === 'INVITE') client.reply(request, status, reason);
      else client.reply(request, 200, 'OK');
    };
    const answer = await client.register(30);
    assert.equal(answer.status, 200);
    return client;
  }
  const ended = async (p: Phone, n: number): Promise<RecordedEvent> => p.waitForEvent('softphone-call-ended', { count: n });
  const endedCount = async (p: Phone): Promise<number> => (await p.events('softphone-call-ended')).length;

  /** alice dials, carol answers; returns alice's dial -> established time (measured in alice's page). */
  async function connect(autoAnswer: boolean): Promise<number> {
    const before = (await alice.events('softphone-call-established')).length;
    if (!autoAnswer) {
      const rings = (await carol.events('softphone-incoming-call')).length;
      await alice.invoke('call', '4000');
      await carol.waitForEvent('softphone-incoming-call', { count: rings + 1 });
      await carol.invoke('answer');
    } else {
      await alice.invoke('call', '4000');
    }
    const established = await alice.waitForEvent('softphone-call-established', { count: before + 1 });
    const dialing = (await alice.events('softphone-call-state')).find(
      (e) => e.detail.call?.id === established.detail.call?.id && e.detail.call?.state === 'dialing',
    );
    assert.ok(dialing, 'a dialing state before established');
    await until(async () => (await carol.calls()).some((c) => c.state === 'established') || undefined, 'carol established');
    return established.t - dialing.t;
  }

  async function hangUpAll(): Promise<void> {
    for (const p of [alice, carol]) {
      for (const c of await p.calls()) await p.invoke('hangup', c.id).catch(() => undefined);
    }
    await until(async () => ((await alice.calls()).length === 0 && (await carol.calls()).length === 0) || undefined, 'no calls left');
  }

  const autoAnswer = (p: Phone, on: boolean): Promise<void> =>
    p.page.evaluate(
      ({ id, on }) => (window as unknown as { __test: { autoAnswer(id: string, on: boolean): void } }).__test.autoAnswer(id, on),
      { id: p.id, on },
    );

  fx.test('alice calls carol, carol answers, and both hear each other (440 Hz tone both ways)', async () => {
    alice = await phone('3999');
    carol = await phone('4000');
    // The first call of fresh pages: cold microphone, first peer connection.
    await autoAnswer(carol, true);
    const firstCall = await connect(true);
    await autoAnswer(carol, false);
    console.log(`  call to established (first call): ${ms(firstCall)}`);
    const ringing = await carol.waitForEvent('softphone-incoming-call');
    assert.equal(ringing.detail.call?.remote.number, '3999');
    assert.equal(ringing.detail.call?.remote.displayName, 'Alice');
    assert.equal(ringing.detail.call?.direction, 'inbound');
    const established = await alice.waitForEvent('softphone-call-established');
    assert.equal(established.detail.call?.remote.number, '4000');
    assert.equal(established.detail.call?.direction, 'outbound');

    // Audio flows both ways: every byte counter keeps growing.
    const first = [await peerBytes(alice.page), await peerBytes(carol.page)];
    await sleep(1500);
    const second = [await peerBytes(alice.page), await peerBytes(carol.page)];
    for (const [side, i] of [['alice', 0], ['carol', 1]] as const) {
      const a = first[i]!.at(-1)!;
      const b = second[i]!.at(-1)!;
      assert.ok(b.received > a.received, `${side} receives audio (${a.received} -> ${b.received} bytes)`);
      assert.ok(b.sent > a.sent, `${side} sends audio (${a.sent} -> ${b.sent} bytes)`);
    }
    // And it is the tone the other side's microphone picks up.
    for (const [side, p] of [['carol', carol], ['alice', alice]] as const) {
      const heard = await listen(p.page, [TONE_HZ], 1500);
      console.log(`  ${side} hears a peak at ${heard.peak.freq.toFixed(0)} Hz, ${heard.peak.db.toFixed(1)} dBFS`);
      assert.ok(Math.abs(heard.peak.freq - TONE_HZ) < 25, `${side} hears ${heard.peak.freq} Hz, expected ${TONE_HZ} Hz`);
      assert.ok(heard.peak.db > -60, `${side} hears the tone loud enough (${heard.peak.db} dBFS)`);
    }
  });

  fx.test('alice hangs up: hangup for alice, remote-hangup for carol', async () => {
    const [a, c] = [await endedCount(alice), await endedCount(carol)];
    await alice.invoke('hangup');
    assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'hangup');
    assert.equal((await ended(carol, c + 1)).detail.call?.endCause, 'remote-hangup');
    assert.deepEqual(await alice.calls(), []);
  });

  fx.test('DTMF goes as RFC 4733 events and is heard at the far end', async () => {
    await connect(false);
    const quiet = await listen(carol.page, DTMF_1, 800);
    await alice.invoke('sendDtmf', '1111');
    const during = await listen(carol.page, DTMF_1, 1200);
    console.log(`  DTMF 1 at carol: 697 Hz ${quiet.levels['697']!.toFixed(1)} -> ${during.levels['697']!.toFixed(1)} dBFS, 1209 Hz ${quiet.levels['1209']!.toFixed(1)} -> ${during.levels['1209']!.toFixed(1)} dBFS`);
    for (const f of DTMF_1) {
      assert.ok(during.levels[String(f)]! - quiet.levels[String(f)]! > 15, `${f} Hz rises when alice presses 1`);
    }
    await assert.rejects(alice.invoke('sendDtmf', '12x'), /INVALID_NUMBER.*12x/);
    await hangUpAll();
  });

  fx.test('carol hangs up: remote-hangup for alice, whose phone answers the BYE with 200', async () => {
    await connect(false);
    const [a, c] = [await endedCount(alice), await endedCount(carol)];
    await carol.invoke('hangup');
    assert.equal((await ended(carol, c + 1)).detail.call?.endCause, 'hangup');
    assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'remote-hangup');
    // The far end (and the server's transaction) learn the BYE arrived: one 200 from alice, and carol
    // never sees the server give up on it (a 408 or a retransmitted BYE).
    const bye = await until(async () => sipFrames(alice.page).find((f) => f.direction === 'received' && f.text.startsWith('BYE ')), 'the BYE at alice');
    const callId = /^Call-ID:\s*(\S+)/im.exec(bye.text)?.[1];
    const answered = () => sipFrames(alice.page).filter((f) => f.direction === 'sent' && f.text.startsWith('SIP/2.0 200') && /^CSeq:\s*\d+ BYE/im.test(f.text) && f.text.includes(callId ?? '?'));
    await until(async () => answered().length > 0, "alice's 200 to the BYE");
    const byeReplies = () => sipFrames(carol.page).filter((f) => f.direction === 'received' && /^SIP\/2\.0 \d+/.test(f.text) && /^CSeq:\s*\d+ BYE/im.test(f.text) && f.text.includes(callId ?? '?'));
    await until(async () => byeReplies().length > 0, "the answer to carol's BYE");
    assert.deepEqual(byeReplies().map((f) => f.text.split('\r\n')[0]), ['SIP/2.0 200 OK'], "carol's BYE is answered 200, once");
  });

  fx.test('carol declines: declined on both sides', async () => {
    const [a, c] = [await endedCount(alice), await endedCount(carol)];
    const rings = (await carol.events('softphone-incoming-call')).length;
    await alice.invoke('call', '4000');
    await carol.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    await carol.invoke('decline');
    assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'declined');
    assert.equal((await ended(carol, c + 1)).detail.call?.endCause, 'declined');
  });

  fx.test('alice cancels before carol answers: hangup for alice, remote-hangup (missed) for carol', async () => {
    const [a, c] = [await endedCount(alice), await endedCount(carol)];
    const rings = (await carol.events('softphone-incoming-call')).length;
    await alice.invoke('call', '4000');
    await carol.waitForEvent('softphone-incoming-call', { count: rings + 1 });
    await alice.waitForCallState('ringing', { count: rings + 1 });
    await alice.invoke('hangup');
    assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'hangup');
    // One 180 Ringing per call: every extra one is a message the caller has to parse.
    const frames = sipFrames(carol.page);
    const invite = frames.filter((f) => f.direction === 'received' && f.text.startsWith('INVITE ')).at(-1);
    const callId = /^Call-ID:\s*(\S+)/im.exec(invite?.text ?? '')?.[1];
    assert.ok(callId, 'carol got the INVITE');
    const ringing = frames.filter((f) => f.direction === 'sent' && f.text.startsWith('SIP/2.0 180') && f.text.includes(callId));
    assert.equal(ringing.length, 1);
    const missed = await ended(carol, c + 1);
    assert.equal(missed.detail.call?.endCause, 'remote-hangup');
    assert.equal(missed.detail.call?.answeredAt, undefined);
  });

  fx.test('alice calls a plain SIP.js user and the reverse, with audio both ways; an HTML caller name stays text', async () => {
    const displayName = '<img src=x onerror=window.__xss=1> Mallory';
    const plain = await PlainSipJs.open(fx.browser, fx.web.url, { wsUrl: fx.lab.servers.server1.wsUrl, account: account('4001'), displayName, autoAnswer: true });
    const page = plain.page;
    try {
      // The element calls SIP.js.
      const a = await endedCount(alice);
      const est = (await alice.events('softphone-call-established')).length;
      await alice.invoke('call', '4001');
      await alice.waitForEvent('softphone-call-established', { count: est + 1 });
      const before = [(await peerBytes(alice.page)).at(-1)!, (await peerBytes(page)).at(-1)!];
      await sleep(1000);
      const after = [(await peerBytes(alice.page)).at(-1)!, (await peerBytes(page)).at(-1)!];
      for (const i of [0, 1]) assert.ok(after[i]!.received > before[i]!.received, `${i ? 'SIP.js' : 'alice'} receives audio`);
      const heard = await listen(page, [TONE_HZ], 1000);
      assert.ok(Math.abs(heard.peak.freq - TONE_HZ) < 25 && heard.peak.db > -60, `SIP.js hears ${heard.peak.freq} Hz at ${heard.peak.db} dBFS`);
      await alice.invoke('hangup');
      assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'hangup');
      await until(async () => (await plain.events()).includes('hangup') || undefined, 'SIP.js hears the hang-up');

      // SIP.js calls the element; its display name is markup, and must be shown as text.
      const rings = (await alice.events('softphone-incoming-call')).length;
      await plain.call('sip:3999@server1.test');
      const incoming = await alice.waitForEvent('softphone-incoming-call', { count: rings + 1 });
      assert.equal(incoming.detail.call?.remote.number, '4001');
      assert.equal(incoming.detail.call?.remote.displayName, displayName);
      const shown = await alice.page.evaluate((id) => {
        const root = document.getElementById(id)?.shadowRoot;
        return { images: root?.querySelectorAll('img').length ?? -1, text: root?.textContent ?? '', xss: (window as unknown as { __xss?: number }).__xss };
      }, alice.id);
      assert.equal(shown.images, 0, 'no element made from the caller name');
      assert.ok(shown.text.includes(displayName), 'the caller name is shown as text');
      assert.equal(shown.xss, undefined);
      await alice.invoke('answer');
      await alice.waitForEvent('softphone-call-established', { count: est + 2 });
      const heardByAlice = await listen(alice.page, [TONE_HZ], 1000);
      assert.ok(Math.abs(heardByAlice.peak.freq - TONE_HZ) < 25 && heardByAlice.peak.db > -60, 'alice hears SIP.js');
      await plain.hangup();
      assert.equal((await ended(alice, a + 2)).detail.call?.endCause, 'remote-hangup');
    } finally {
      await plain.close();
    }
  });

  fx.test('call waiting: a second call rings while the first is up; answering it holds the first; so does dialing out', async () => {
    const erin = await phone('4002');
    try {
      await connect(false);
      const first = (await alice.calls())[0]!;
      // erin calls alice while alice talks to carol.
      const rings = (await alice.events('softphone-incoming-call')).length;
      await erin.invoke('call', '3999');
      const waiting = await alice.waitForEvent('softphone-incoming-call', { count: rings + 1 });
      const calls = await alice.calls();
      assert.equal(calls.length, 2);
      assert.equal(calls.find((c) => c.id === first.id)?.state, 'established', 'the first call is still up while the second rings');
      await alice.invoke('answer', waiting.detail.call!.id);
      await until(async () => {
        const now = await alice.calls();
        return (now.find((c) => c.id === first.id)?.held && now.find((c) => c.id === waiting.detail.call!.id)?.state === 'established') || undefined;
      }, 'first held, second established');
      await erin.waitForEvent('softphone-call-established');
      // Back to carol; erin's call goes away.
      await alice.invoke('hangup', waiting.detail.call!.id);
      await alice.invoke('unhold', first.id);
      assert.equal((await alice.calls()).find((c) => c.id === first.id)?.state, 'established');

      // Dialing out while talking holds the call in progress too.
      const erinRings = (await erin.events('softphone-incoming-call')).length;
      await alice.invoke('call', '4002');
      await erin.waitForEvent('softphone-incoming-call', { count: erinRings + 1 });
      const after = await alice.calls();
      assert.equal(after.find((c) => c.id === first.id)?.state, 'held');
      await erin.invoke('decline');
    } finally {
      await erin.remove();
    }
    await hangUpAll();
  });

  fx.test('alice calls bob on the linked server (12 + extension); bob sees 113999 from Tokyo; audio both ways', async () => {
    const bob = await phone('2099', 'server2');
    try {
      const est = (await alice.events('softphone-call-established')).length;
      await alice.invoke('call', '12-2099');
      const incoming = await bob.waitForEvent('softphone-incoming-call');
      assert.deepEqual(
        { number: incoming.detail.call?.remote.number, kind: incoming.detail.call?.remote.kind, server: incoming.detail.call?.remote.server },
        { number: '113999', kind: 'linked', server: 'Tokyo' },
      );
      await bob.invoke('answer');
      const established = await alice.waitForEvent('softphone-call-established', { count: est + 1 });
      assert.equal(established.detail.call?.remote.number, '122099');
      assert.equal(established.detail.call?.remote.kind, 'linked');
      const before = [(await peerBytes(alice.page)).at(-1)!, (await peerBytes(bob.page)).at(-1)!];
      await sleep(1000);
      const after = [(await peerBytes(alice.page)).at(-1)!, (await peerBytes(bob.page)).at(-1)!];
      for (const i of [0, 1]) assert.ok(after[i]!.received > before[i]!.received, `${i ? 'bob' : 'alice'} receives audio`);
      await alice.invoke('hangup');
      assert.equal((await bob.waitForEvent('softphone-call-ended')).detail.call?.endCause, 'remote-hangup');
    } finally {
      await bob.remove();
    }
  });

  fx.test('a busy phone (486) ends the call as busy', async () => {
    await scriptedPhone('4002', 486, 'Busy Here');
    const a = await endedCount(alice);
    await alice.invoke('call', '4002');
    assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'busy');
  });

  fx.test('a phone that does not answer (480) ends the call as no-answer', async () => {
    await scriptedPhone('4001', 480, 'Temporarily Unavailable');
    const a = await endedCount(alice);
    await alice.invoke('call', '4001');
    assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'no-answer');
  });

  fx.test('an extension nobody registered ends the call as not-found', async () => {
    const a = await endedCount(alice);
    await alice.invoke('call', '4003');
    assert.equal((await ended(alice, a + 1)).detail.call?.endCause, 'not-found');
    assert.equal(await alice.registrationState(), 'registered');
  });

  fx.test('mute silences alice at carol; hold is confirmed by the far end', async () => {
    await connect(false);
    await alice.invoke('mute');
    assert.equal((await alice.calls())[0]?.muted, true);
    // Let the audio already in flight (jitter buffer) play out before listening.
    await sleep(700);
    const muted = await listen(carol.page, [TONE_HZ], 1000);
    await alice.invoke('unmute');
    const unmuted = await listen(carol.page, [TONE_HZ], 1000);
    console.log(`  440 Hz at carol: muted ${muted.levels['440']!.toFixed(1)} dBFS, unmuted ${unmuted.levels['440']!.toFixed(1)} dBFS`);
    assert.ok(unmuted.levels['440']! - muted.levels['440']! > 20, 'the tone disappears while muted');

    await alice.invoke('hold');
    const held = (await alice.calls())[0];
    assert.equal(held?.state, 'held');
    assert.equal(held?.held, true);
    await alice.waitForEvent('softphone-call-held');
    await alice.invoke('unhold');
    assert.equal((await alice.calls())[0]?.state, 'established');
    await hangUpAll();
  });

  fx.test('call set-up times (dial to established, answered at once by the far end)', async () => {
    await autoAnswer(carol, true);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      times.push(await connect(true));
      await hangUpAll();
    }
    console.log(`  call to established (warm): ${times.map(ms).join(', ')}`);
    assert.equal(times.length, 5);
  });

  fx.test('calls in progress wait for a dead server for call-recovery seconds, then end as connection-lost; the phones come back', async () => {
    const recovery = async (p: Phone, seconds: number): Promise<void> =>
      p.page.evaluate(({ id, seconds }) => {
        (document.getElementById(id) as unknown as { callRecovery: number }).callRecovery = seconds;
      }, { id: p.id, seconds });
    await recovery(alice, 3);
    await recovery(carol, 3);
    await connect(true);
    const [a, c] = [await endedCount(alice), await endedCount(carol)];
    const restored = [(await alice.events('softphone-connection-restored')).length, (await carol.events('softphone-connection-restored')).length];
    const server = fx.lab.servers.server1;
    await server.kill();
    try {
      // The calls stay (reconnecting) while their audio flows, and end once call-recovery is over.
      assert.equal((await alice.calls())[0]?.state, 'established');
      const endedA = await ended(alice, a + 1);
      assert.equal(endedA.detail.call?.endCause, 'connection-lost');
      assert.equal((await ended(carol, c + 1)).detail.call?.endCause, 'connection-lost');
      const reconnecting = (await alice.events('softphone-call-reconnecting')).find((e) => e.detail.call?.id === endedA.detail.call?.id);
      assert.ok(reconnecting, 'the call was reconnecting before it ended');
      assert.ok(endedA.t - reconnecting.t >= 2900, `ended ${Math.round(endedA.t - reconnecting.t)} ms after reconnecting began (call-recovery 3 s)`);
      assert.equal(await alice.registrationState(), 'connection-lost');
    } finally {
      await server.start();
      await recovery(alice, 30);
      await recovery(carol, 30);
    }
    await alice.waitForEvent('softphone-connection-restored', { count: restored[0]! + 1, timeoutMs: 60_000 });
    await carol.waitForEvent('softphone-connection-restored', { count: restored[1]! + 1, timeoutMs: 60_000 });
    assert.deepEqual(await mediaLeft(alice.page), { tracks: 0, peerConnections: 0 });
    // And they can call again.
    await connect(true);
    await hangUpAll();
  });
});
