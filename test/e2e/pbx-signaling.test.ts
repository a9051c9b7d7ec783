/**
 * What PBX, desk-phone and carrier stacks send that SIP.js 0.21.2 alone gets wrong, against the
 * real lab (Kamailio) and `<soft-phone>` in Chromium:
 * - a raw SIP client (lab/sip-ws-client.ts, registered as 4002) as the far end of a call with the
 *   element: UPDATE without SDP (RFC 3311/4028 session refresh), UPDATE with SDP, re-INVITE
 *   refreshes (same SDP, moved media, no SDP), and a REFER whose NOTIFYs it checks;
 * - a plain SIP.js page as a far end that answers `183` with SDP (early media, its 440 Hz
 *   microphone), then `180`, then `200`, and takes only G.711 (PCMU).
 * The raw client's SDP is a plausible WebRTC offer Chromium accepts; no media flows on those calls
 * (signaling only). The early-media call has real audio both ways.
 */
import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import { SipWsClient, type SipMessage, type UacDialog } from '../../lab/sip-ws-client.js';
import { webrtcSdp } from './sdp.js';
import { listen, openPhonePage, peerBytes, Phone, PlainSipJs, sipFrames, toneWav, until, withLab, type CallSnapshot } from './harness.js';

const TONE_HZ = 440;
describe('PBX signaling: UPDATE, refresh re-INVITEs, REFER NOTIFYs, early media and G.711', () => {
  const fx = withLab({ lab: { servers: ['server1'] }, fakeAudioFile: () => toneWav(TONE_HZ) });
  const clients: SipWsClient[] = [];
  const plains: PlainSipJs[] = [];
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const p of plains) await p.close().catch(() => undefined);
  });

  let alice: Phone;
  let far: SipWsClient;
  let dialog: UacDialog;
  /** Requests the raw far end received (answered 200), in order. */
  const farRequests: SipMessage[] = [];

  const account = (ext: string) => {
    const a = fx.lab.accounts.server1.find((x) => x.extension === ext);
    assert.ok(a, `lab account ${ext}`);
    return a;
  };
  async function rawClient(ext: string, onrequest: (r: SipMessage, c: SipWsClient) => void): Promise<SipWsClient> {
    const a = account(ext);
    const c = await SipWsClient.connect({ wsUrl: fx.lab.servers.server1.wsUrl, domain: a.domain, user: a.extension, password: a.password, timeoutMs: 15_000 });
    clients.push(c);
    c.onrequest = (r) => onrequest(r, c);
    assert.equal((await c.register(60)).status, 200);
    return c;
  }
  const eventCount = async (): Promise<number> => (await alice.events()).length;
  const aliceCall = async (): Promise<CallSnapshot> => {
    const calls = await alice.calls();
    assert.equal(calls.length, 1, 'alice has one call');
    return calls[0]!;
  };

  fx.test('the raw far end calls the element; the element answers and lists UPDATE in Allow', async () => {
    const page = await openPhonePage(fx.browser, fx.web.url);
    alice = await Phone.add(page, { server: fx.lab.servers.server1.wsUrl, account: account('3999') });
    await alice.waitForEvent('softphone-registered');
    far = await rawClient('4002', (r, c) => {
      farRequests.push(r);
      c.reply(r, 200, 'OK');
    });
    const invited = far.invite('3999', { sdp: webrtcSdp() });
    const incoming = await alice.waitForEvent('softphone-incoming-call');
    await alice.invoke('answer', incoming.detail.call!.id);
    const result = await invited;
    assert.equal(result.response.status, 200);
    assert.ok(result.dialog);
    dialog = result.dialog;
    await alice.waitForCallState('established');
    assert.ok(result.response.headerValues('allow').includes('UPDATE'), `Allow: ${result.response.headerValues('allow').join(',')}`);
  });

  fx.test('UPDATE without SDP (session refresh) is answered 200 with the session timer, and the call stays as it is', async () => {
    const before = await eventCount();
    const stateBefore = await aliceCall();
    const ok = await far.inDialog('UPDATE', dialog, { extraHeaders: ['Session-Expires: 90;refresher=uac', 'Supported: timer'] });
    assert.equal(ok.status, 200, `UPDATE answered ${ok.status} ${ok.reason}`);
    assert.match(ok.header('session-expires') ?? '', /^90;refresher=uac$/);
    assert.ok(ok.headerValues('require').includes('timer'), 'Require: timer, as the far end refreshes');
    // Without a session timer at all: a plain 200.
    const plain = await far.inDialog('UPDATE', dialog);
    assert.equal(plain.status, 200);
    assert.equal(plain.header('session-expires'), undefined);
    assert.ok(ok.header('contact'), 'a 2xx to UPDATE (a target refresh request) has a Contact');
    const after = await aliceCall();
    assert.deepEqual([after.state, after.held, (after as { remoteHeld?: boolean }).remoteHeld ?? false], [stateBefore.state, false, false]);
    assert.equal(await eventCount(), before, 'no event for a refresh');
  });

  fx.test('UPDATE with an SDP offer is applied like a re-INVITE: hold and resume by UPDATE; a bad offer gets 488', async () => {
    const hold = await far.inDialog('UPDATE', dialog, { body: webrtcSdp({ version: 2, direction: 'sendonly' }) });
    assert.equal(hold.status, 200, `UPDATE answered ${hold.status} ${hold.reason}`);
    assert.match(hold.body, /a=recvonly/, 'the answer to a sendonly offer is recvonly');
    await until(async () => (await aliceCall() as { remoteHeld?: boolean }).remoteHeld === true || undefined, 'alice shows remoteHeld');
    const resume = await far.inDialog('UPDATE', dialog, { body: webrtcSdp({ version: 3 }) });
    assert.equal(resume.status, 200);
    assert.match(resume.body, /a=sendrecv/);
    await until(async () => (await aliceCall() as { remoteHeld?: boolean }).remoteHeld === false || undefined, 'alice shows the resume');
    const before = await eventCount();
    const bad = await far.inDialog('UPDATE', dialog, { body: 'v=0\r\nthis is not SDP\r\n' });
    assert.equal(bad.status, 488);
    const call = await aliceCall();
    assert.deepEqual([call.state, call.held], ['established', false]);
    assert.equal(await eventCount(), before, 'a refused offer changes nothing');
    // the offer/answer state is clean again: a refresh re-INVITE right after works
    assert.equal((await far.inDialog('INVITE', dialog, { body: webrtcSdp({ version: 4 }) })).status, 200);
  });

  fx.test('UPDATE asking us to refresh (refresher=uas): the element refreshes with its own UPDATE at half the interval', async () => {
    const seen = farRequests.length;
    const t0 = Date.now();
    const ok = await far.inDialog('UPDATE', dialog, { extraHeaders: ['Session-Expires: 4;refresher=uas', 'Supported: timer'] });
    assert.equal(ok.status, 200);
    assert.match(ok.header('session-expires') ?? '', /^4;refresher=uas$/);
    const refresh = await until(async () => farRequests.slice(seen).find((r) => r.method === 'UPDATE'), 'the element refreshes', 6000);
    const after = Date.now() - t0;
    console.log(`  element's refresh UPDATE after ${after} ms (interval 4 s)`);
    assert.ok(after >= 1500 && after < 4000, `refresh at about half the interval (${after} ms)`);
    assert.match(refresh.header('session-expires') ?? '', /^4;refresher=uac$/);
    assert.equal(refresh.body, '');
    // back to the far end refreshing, so no more refreshes from us
    assert.equal((await far.inDialog('UPDATE', dialog, { extraHeaders: ['Session-Expires: 90;refresher=uac', 'Supported: timer'] })).status, 200);
    assert.equal((await aliceCall()).state, 'established');
  });

  fx.test('refresh re-INVITEs (same SDP, moved media, no SDP) are answered 200 and change nothing', async () => {
    const before = await eventCount();
    const same = await far.inDialog('INVITE', dialog, { body: webrtcSdp({ version: 5 }) });
    assert.equal(same.status, 200);
    assert.match(same.body, /a=sendrecv/);
    const moved = await far.inDialog('INVITE', dialog, { body: webrtcSdp({ port: 40020, version: 6 }) });
    assert.equal(moved.status, 200);
    // No SDP: our 200 carries the offer, the ACK the answer.
    // (the element stays the DTLS client it became on the first answer: our answer is passive)
    const noSdp = await far.inDialog('INVITE', dialog, { ackSdp: webrtcSdp({ port: 40020, version: 7, setup: 'passive' }) });
    assert.equal(noSdp.status, 200);
    assert.match(noSdp.body, /m=audio /, 'the 200 to a re-INVITE without SDP carries an offer');
    // the element applies the answer in our ACK (a re-INVITE before that would get 500 Retry-After)
    await until(
      () =>
        alice.page.evaluate(() => {
          const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!;
          return pc.signalingState === 'stable' && / 7 IN IP4 /.test(pc.remoteDescription?.sdp ?? '');
        }),
      'the answer in the ACK applied',
    );
    // one more refresh after it: the call is fine
    const again = await far.inDialog('INVITE', dialog, { body: webrtcSdp({ port: 40020, version: 8 }) });
    assert.equal(again.status, 200);
    const call = await aliceCall();
    assert.deepEqual([call.state, call.held, (call as { remoteHeld?: boolean }).remoteHeld ?? false], ['established', false, false]);
    const extra = (await alice.events()).slice(before).map((e) => `${e.type} ${JSON.stringify(e.detail)}`);
    assert.deepEqual(extra, [], 'no held/remoteHeld flicker, no event at all');
  });

  /** The NOTIFYs the far end got for its REFER, as `<status line> | <Subscription-State>`. */
  async function referAndCollect(target: string): Promise<string[]> {
    const seen = farRequests.length;
    const refer = await far.inDialog('REFER', dialog, { extraHeaders: [`Refer-To: <${target}>`, `Referred-By: <sip:4002@server1.test>`] });
    assert.equal(refer.status, 202);
    const notifies = (): SipMessage[] => farRequests.slice(seen).filter((r) => r.method === 'NOTIFY');
    await until(async () => notifies().find((n) => /^terminated/.test(n.header('subscription-state') ?? '')), 'the final NOTIFY', 20_000);
    return notifies().map((n) => `${n.body.trim()} | ${n.header('subscription-state') ?? ''}`);
  }

  fx.test('REFER to a busy target: NOTIFYs active while trying, terminated with the 486; the call stays', async () => {
    await rawClient('4001', (r, c) => c.reply(r, r.method === 'INVITE' ? 486 : 200, r.method === 'INVITE' ? 'Busy Here' : 'OK'));
    const sequence = await referAndCollect('sip:4001@server1.test');
    console.log(`  NOTIFYs: ${sequence.join(' ; ')}`);
    assert.match(sequence[0]!, /^SIP\/2\.0 100 Trying \| active;expires=\d+$/);
    assert.match(sequence.at(-1)!, /^SIP\/2\.0 486 Busy Here \| terminated;reason=noresource$/);
    assert.ok(sequence.slice(0, -1).every((s) => /\| active;expires=\d+$/.test(s)), 'every NOTIFY before the last is active');
    await until(async () => (await alice.calls()).length === 1 || undefined, 'the failed follow-up call is gone');
    assert.equal((await aliceCall()).state, 'established');
  });

  fx.test('REFER to a target that answers: 100 and 180 active, 200 terminated; the element leaves the old call transferred', async () => {
    const target = await PlainSipJs.open(fx.browser, fx.web.url, { wsUrl: fx.lab.servers.server1.wsUrl, account: account('4003'), autoAnswer: true });
    plains.push(target);
    const old = await aliceCall();
    const sequence = await referAndCollect('sip:4003@server1.test');
    console.log(`  NOTIFYs: ${sequence.join(' ; ')}`);
    assert.match(sequence[0]!, /^SIP\/2\.0 100 Trying \| active;expires=\d+$/);
    assert.ok(sequence.some((s) => /^SIP\/2\.0 180 Ringing \| active;expires=\d+$/.test(s)), '180 reported, subscription active');
    assert.match(sequence.at(-1)!, /^SIP\/2\.0 200 OK \| terminated;reason=noresource$/);
    const ended = await alice.waitForEvent('softphone-call-ended', { where: (e) => e.detail.call?.id === old.id });
    assert.equal(ended.detail.call?.endCause, 'transferred');
    for (const c of await alice.calls()) await alice.invoke('hangup', c.id).catch(() => undefined);
    await until(async () => (await alice.calls()).length === 0 || undefined, 'no calls left');
  });

  fx.test('183 with SDP: early-media, the far end heard before the answer, a 180 after it keeps early-media; G.711 only works both ways', async () => {
    const plain = await PlainSipJs.open(fx.browser, fx.web.url, { wsUrl: fx.lab.servers.server1.wsUrl, account: account('4000'), autoAnswer: false });
    plains.push(plain);
    // the far end's answers keep only PCMU (+ telephone-event): a G.711-only far end
    await plain.page.evaluate(() => {
      const w = window as unknown as { __g711: (d: RTCSessionDescriptionInit) => Promise<RTCSessionDescriptionInit> };
      w.__g711 = (d) => {
        const lines = (d.sdp ?? '').split('\r\n');
        const keep = new Set<string>();
        for (const l of lines) {
          const m = /^a=rtpmap:(\d+) (PCMU|telephone-event)\/8000/.exec(l);
          if (m) keep.add(m[1]!);
        }
        const out = lines
          .map((l) => (l.startsWith('m=audio') ? [...l.split(' ').slice(0, 3), ...l.split(' ').slice(3).filter((pt) => keep.has(pt))].join(' ') : l))
          .filter((l) => {
            const m = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)/.exec(l);
            return !m || keep.has(m[1]!);
          });
        return Promise.resolve({ type: d.type, sdp: out.join('\r\n') });
      };
      // which <audio>/<video> elements were told to play, to see the element's own audio element
      const w2 = window as unknown as { __played: HTMLMediaElement[] };
      w2.__played = [];
    });
    await alice.page.evaluate(() => {
      const w = window as unknown as { __played: HTMLMediaElement[]; __toneOut: Set<AudioNode> };
      w.__played = [];
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
        w.__played.push(this);
        return play.call(this);
      };
      // The phone's own tones (ringback) are Web Audio nodes wired to the speakers: count those.
      w.__toneOut = new Set();
      const connect = AudioNode.prototype.connect as (this: AudioNode, ...a: unknown[]) => unknown;
      const disconnect = AudioNode.prototype.disconnect as (this: AudioNode, ...a: unknown[]) => unknown;
      (AudioNode.prototype as unknown as { connect: unknown }).connect = function (this: AudioNode, ...a: unknown[]) {
        if (a[0] instanceof AudioDestinationNode) w.__toneOut.add(this);
        return connect.apply(this, a);
      };
      (AudioNode.prototype as unknown as { disconnect: unknown }).disconnect = function (this: AudioNode, ...a: unknown[]) {
        w.__toneOut.delete(this);
        return disconnect.apply(this, a);
      };
    });
    const tonePlaying = (): Promise<boolean> => alice.page.evaluate(() => (window as unknown as { __toneOut: Set<AudioNode> }).__toneOut.size > 0);
    type PlainSession = { __plainUser: { session: { progress(o: unknown): Promise<unknown>; accept(o: unknown): Promise<void> } } };
    const placed = await alice.invoke<CallSnapshot>('call', '4000');
    await until(async () => (await plain.events()).includes('received') || undefined, 'the far end receives the call');
    // SIP.js far ends send 180 at once: the call rings, and the phone plays its ringback
    await alice.waitForCallState('ringing');
    await until(tonePlaying, 'ringback plays while ringing');
    // The INVITE offers Opus, PCMU, PCMA and telephone-event.
    const invite = sipFrames(alice.page).find((f) => f.direction === 'sent' && f.text.startsWith('INVITE sip:4000@'));
    assert.ok(invite, 'the INVITE went out');
    for (const codec of ['opus/48000/2', 'PCMU/8000', 'PCMA/8000', 'telephone-event/8000']) {
      assert.match(invite.text, new RegExp(`a=rtpmap:\\d+ ${codec}`), `the offer has ${codec}`);
    }
    await plain.page.evaluate(() => {
      const w = window as unknown as PlainSession & { __g711: unknown };
      return w.__plainUser.session.progress({ statusCode: 183, sessionDescriptionHandlerModifiers: [w.__g711] }).then(() => undefined);
    });
    await alice.waitForCallState('early-media');
    await until(async () => !(await tonePlaying()) || undefined, 'ringback stops on early media');
    // early media plays: the tone arrives, and the element's audio element plays the remote track
    const heard = await until(async () => {
      const h = await listen(alice.page, [TONE_HZ], 500);
      return h.levels[String(TONE_HZ)]! > -50 ? h : undefined;
    }, 'the early audio is heard', 10_000);
    console.log(`  early media: ${TONE_HZ} Hz at ${heard.levels[String(TONE_HZ)]!.toFixed(1)} dBFS before the answer`);
    const playing = await alice.page.evaluate(() => {
      const w = window as unknown as { __played: HTMLMediaElement[]; __pcs: RTCPeerConnection[] };
      const pc = w.__pcs.at(-1)!;
      const remote = pc.getReceivers().map((r) => r.track.id);
      return w.__played.some((a) => !a.paused && a.srcObject instanceof MediaStream && a.srcObject.getAudioTracks().some((t) => remote.includes(t.id) && t.readyState === 'live'));
    });
    assert.ok(playing, "the element's audio element plays the far end's early audio");
    // a 180 after the 183: still early-media (no ringback over the far end's audio)
    await plain.page.evaluate(() => (window as unknown as PlainSession).__plainUser.session.progress({ statusCode: 180 }).then(() => undefined));
    await until(async () => sipFrames(alice.page).some((f) => f.direction === 'received' && f.text.startsWith('SIP/2.0 180')) || undefined, 'the 180 arrived');
    assert.equal((await alice.calls()).find((c) => c.id === placed.id)?.state, 'early-media');
    assert.equal(await tonePlaying(), false, 'no ringback over the early media after the 180');
    await plain.page.evaluate(() => {
      const w = window as unknown as PlainSession & { __g711: unknown };
      return w.__plainUser.session.accept({ sessionDescriptionHandlerModifiers: [w.__g711] });
    });
    await alice.waitForCallState('established');
    const states = (await alice.events('softphone-call-state')).filter((e) => e.detail.call?.id === placed.id).map((e) => e.detail.call!.state);
    // (SIP.js far ends send 180 at once, so the call rang first; after the 183 it never rings again)
    assert.deepEqual(states.slice(states.indexOf('early-media')), ['early-media', 'established'], `states: ${states.join(' -> ')}`);

    // G.711 both ways: the codec in use is PCMU, bytes flow both ways, and each hears the other's tone.
    const codec = await alice.page.evaluate(async () => {
      const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!;
      const stats = await pc.getStats();
      const mime: string[] = [];
      stats.forEach((s: { type: string; mimeType?: string }) => {
        if (s.type === 'codec' && s.mimeType) mime.push(s.mimeType);
      });
      return mime;
    });
    assert.ok(codec.includes('audio/PCMU') && !codec.includes('audio/opus'), `codecs in use: ${codec.join(', ')}`);
    const a1 = (await peerBytes(alice.page)).at(-1)!;
    const p1 = (await peerBytes(plain.page)).at(-1)!;
    const farHears = await listen(plain.page, [TONE_HZ], 1000);
    const aliceHears = await listen(alice.page, [TONE_HZ], 1000);
    const a2 = (await peerBytes(alice.page)).at(-1)!;
    const p2 = (await peerBytes(plain.page)).at(-1)!;
    assert.ok(a2.sent > a1.sent && a2.received > a1.received, 'alice sends and receives G.711');
    assert.ok(p2.sent > p1.sent && p2.received > p1.received, 'the far end sends and receives G.711');
    assert.ok(farHears.levels[String(TONE_HZ)]! > -50, `the far end hears alice (${farHears.levels[String(TONE_HZ)]} dBFS)`);
    assert.ok(aliceHears.levels[String(TONE_HZ)]! > -50, `alice hears the far end (${aliceHears.levels[String(TONE_HZ)]} dBFS)`);
    await alice.invoke('hangup', placed.id);
  });
});
