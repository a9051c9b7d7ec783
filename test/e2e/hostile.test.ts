/**
 * Hostile and broken SIP input never breaks the phone. `<soft-phone>` in Chromium meets:
 * - a raw SIP-over-WebSocket server (lab/sip-ws-server.ts) that it registers with, which then sends it
 *   malformed and impossible requests, requests for dialogs that do not exist, re-INVITE glare, a
 *   CANCEL racing the answer, a far end that never ACKs, 50 INVITEs in one second and thousands of
 *   generated mutations of real messages;
 * - the lab's Kamailio with a raw SIP client as the caller, for what passes a real server.
 * Each time the phone must answer with the proper SIP status, throw no uncaught error, leave no call
 * or button stuck, and stay registered and able to call.
 */
import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import { SipWsClient } from '../../lab/sip-ws-client.js';
import { SipWsServer, type RawRequest } from '../../lab/sip-ws-server.js';
import { webrtcSdp } from './sdp.js';
import { consoleLines, hearEachOther, openPhonePage, Phone, toneWav, until, withLab } from './harness.js';

const ACCOUNT = { extension: '3999', password: 'hostile-secret-9', domain: 'hostile.test' };

/** A small seeded PRNG (mulberry32): a failing mutation can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random change to a SIP message's text. */
function mutate(text: string, random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const lines = text.split('\r\n');
  const at = Math.floor(random() * lines.length);
  const junk = ['\u0000', '\u00ff', '\ud83d\ude00', '<', '>', ';', ',', '"', '\\', ':', '@', '%00', ' ', '\t', '\r', '\n', '=', '0', '-1', '99999999999999999999'];
  switch (Math.floor(random() * 10)) {
    case 0: {
      const i = Math.floor(random() * text.length);
      return text.slice(0, i) + pick(junk) + text.slice(i + 1);
    }
    case 1:
      lines.splice(at, 1);
      return lines.join('\r\n');
    case 2:
      lines.splice(at, 0, lines[at] ?? '');
      return lines.join('\r\n');
    case 3:
      return text.slice(0, Math.floor(random() * text.length));
    case 4:
      lines[at] = `${lines[at] ?? ''}${'A'.repeat(1 + Math.floor(random() * 8192))}`;
      return lines.join('\r\n');
    case 5:
      return text.replace(/\d+/g, (d) => (random() < 0.3 ? pick(['0', '-1', '4294967296', '99999999999999999999', '', 'x']) : d));
    case 6: {
      const j = Math.floor(random() * lines.length);
      [lines[at], lines[j]] = [lines[j]!, lines[at]!];
      return lines.join('\r\n');
    }
    case 7:
      return text.replace(/Content-Length: \d+/i, `Content-Length: ${pick(['0', '1', '5', '100000', '-3', 'abc'])}`);
    case 8:
      return text.replace(/:/g, (c) => (random() < 0.2 ? pick(['', '::', ': ', ';']) : c));
    default:
      lines[at] = (lines[at] ?? '').replace(/[<>;@=]/g, () => pick(junk));
      return lines.join('\r\n');
  }
}

describe('hostile and broken SIP input', () => {
  const fx = withLab({ lab: { servers: ['server1'] }, fakeAudioFile: () => toneWav(440) });
  let raw: SipWsServer;
  let phone: Phone;
  const clients: SipWsClient[] = [];
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await raw?.close();
  });

  const pageErrors = (): string[] => consoleLines.filter((l) => l.startsWith('pageerror'));
  const rings = async (): Promise<number> => (await phone.events('softphone-incoming-call')).length;
  const status = async (request: RawRequest, timeoutMs = 5000): Promise<string> => {
    const final = await raw.finalResponse(raw.send(request), timeoutMs);
    return `${final.status} ${final.reason}`;
  };
  /** The phone is alive and well: answers an OPTIONS, registered, no call left, no uncaught error. */
  async function healthy(): Promise<void> {
    assert.equal(await status({ method: 'OPTIONS' }), '200 OK', 'the phone answers OPTIONS');
    assert.equal(await phone.registrationState(), 'registered');
    assert.deepEqual(await phone.calls(), [], 'no call left behind');
    assert.deepEqual(pageErrors(), [], 'no uncaught error in the page');
  }
  /** An incoming call from the raw server, answered by the element and ACKed: the dialog for in-dialog tests. */
  async function establish(): Promise<{ callId: string; fromTag: string; toTag: string; id: string }> {
    const fromTag = 'far1';
    const rang = await rings();
    const sent = raw.send({ method: 'INVITE', body: webrtcSdp(), fromTag });
    const ringing = await phone.waitForEvent('softphone-incoming-call', { count: rang + 1 });
    const id = ringing.detail.call!.id;
    await phone.invoke('answer', id);
    const ok = await raw.finalResponse(sent);
    assert.equal(ok.status, 200);
    const toTag = ok.to.params.tag!;
    raw.send({ method: 'ACK', callId: sent.callId, fromTag, toTag, cseq: 1 });
    await until(async () => (await phone.calls()).find((c) => c.id === id && c.state === 'established'), 'the call established');
    return { callId: sent.callId, fromTag, toTag, id };
  }
  const ended = async (id: string): Promise<string | undefined> =>
    (await phone.events('softphone-call-ended')).find((e) => e.detail.call?.id === id)?.detail.call?.endCause;

  fx.test('the phone registers with a raw server', async () => {
    raw = await SipWsServer.start(ACCOUNT.domain);
    const page = await openPhonePage(fx.browser, fx.web.url);
    phone = await Phone.add(page, { server: raw.url, account: ACCOUNT });
    await phone.waitForEvent('softphone-registered');
    assert.ok(raw.contact, 'the phone registered a Contact');
  });

  fx.test('offers it could never answer are refused before anything rings (415/488)', async () => {
    const before = await rings();
    const many = Array.from({ length: 200 }, (_, i) => String(i % 128)).join(' ');
    const results = {
      'not SDP at all': await status({ method: 'INVITE', body: 'this is not sdp' }),
      'video only': await status({ method: 'INVITE', body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n' }),
      'a text body': await status({ method: 'INVITE', body: 'hello', contentType: 'text/plain' }),
      '200 codecs': await status({ method: 'INVITE', body: webrtcSdp().replace(/^m=audio (\d+) (\S+) .*$/m, `m=audio $1 $2 ${many}`) }),
      'no usable codec': await status({ method: 'INVITE', body: webrtcSdp().replace(/^m=audio (\d+) (\S+) .*$/m, 'm=audio $1 $2 18').replace(/^a=rtpmap:.*\r\n/gm, '') }),
    };
    console.log('  ', JSON.stringify(results));
    assert.deepEqual(results, {
      'not SDP at all': '488 Not Acceptable Here',
      'video only': '488 Not Acceptable Here',
      'a text body': '415 Unsupported Media Type',
      '200 codecs': '488 Not Acceptable Here',
      'no usable codec': '488 Not Acceptable Here',
    });
    assert.equal(await rings(), before, 'none of them rang');
    await healthy();
  });

  fx.test('unknown methods and requests for dialogs that do not exist get 405 and 481', async () => {
    const results: Record<string, string> = {};
    for (const method of ['FOO', 'SUBSCRIBE', 'PUBLISH']) results[method] = await status({ method, headers: ['Event: presence'] });
    for (const method of ['NOTIFY', 'REFER', 'BYE', 'INFO', 'UPDATE', 'PRACK']) {
      results[`${method} (no such dialog)`] = await status({ method, toTag: 'gone', headers: ['Event: refer', 'Subscription-State: active', 'Refer-To: <sip:1@x>'] });
    }
    console.log('  ', JSON.stringify(results));
    for (const method of ['FOO', 'SUBSCRIBE', 'PUBLISH']) assert.equal(results[method], '405 Method Not Allowed', method);
    for (const method of ['NOTIFY', 'REFER', 'BYE', 'INFO', 'UPDATE', 'PRACK']) assert.match(results[`${method} (no such dialog)`]!, /^481 /, method);
    await healthy();
  });

  fx.test('a huge caller name and huge headers ring as a normal call that fits the card; CANCEL ends it as missed', async () => {
    const name = 'Ω'.repeat(3000);
    const rang = await rings();
    const sent = raw.send({ method: 'INVITE', body: webrtcSdp(), from: `"${name}" <sip:5550100@${ACCOUNT.domain}>`, headers: [`X-Junk: ${'j'.repeat(16_000)}`, `Subject: ${'s'.repeat(4000)}`] });
    const ringing = await phone.waitForEvent('softphone-incoming-call', { count: rang + 1 });
    const id = ringing.detail.call!.id;
    const fits = await phone.page.evaluate((pid) => {
      const el = document.getElementById(pid)!;
      const box = el.getBoundingClientRect();
      const widest = Math.max(...[...el.shadowRoot!.querySelectorAll('*')].map((n) => n.getBoundingClientRect().right));
      return { element: Math.round(box.right), widest: Math.round(widest), scroll: el.scrollWidth, width: el.clientWidth };
    }, phone.id);
    assert.ok(fits.widest <= fits.element + 1, `nothing in the phone reaches past its edge: ${JSON.stringify(fits)}`);
    raw.sendRaw(sent.text.replace(/^INVITE /, 'CANCEL ').replace(/CSeq: 1 INVITE/, 'CSeq: 1 CANCEL').replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\n').replace(/Content-Type: .*\r\n/, '').replace(/Content-Length: \d+/, 'Content-Length: 0'));
    const final = await raw.finalResponse(sent);
    assert.equal(final.status, 487, 'the INVITE ends 487 Request Terminated');
    await until(async () => ended(id), 'the call ended');
    assert.equal(await ended(id), 'remote-hangup');
    await healthy();
  });

  fx.test('a CANCEL racing the answer: the phone and the far end agree on how the call ended', async () => {
    const outcomes: string[] = [];
    // The CANCEL leaves before the answer, with it, or up to 200 ms after it: both orders happen.
    const delays = [-1, 0, 10, 25, 50, 100, 200];
    for (let i = 0; i < delays.length; i++) {
      const fromTag = `race${i}`;
      const rang = await rings();
      const sent = raw.send({ method: 'INVITE', body: webrtcSdp(), fromTag });
      const ringing = await phone.waitForEvent('softphone-incoming-call', { count: rang + 1 });
      const id = ringing.detail.call!.id;
      const cancel = sent.text.replace(/^INVITE /, 'CANCEL ').replace(/CSeq: 1 INVITE/, 'CSeq: 1 CANCEL').replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\n').replace(/Content-Type: .*\r\n/, '').replace(/Content-Length: \d+/, 'Content-Length: 0');
      if (delays[i]! < 0) raw.sendRaw(cancel);
      const answering = phone.invoke('answer', id).then(() => 'answered', (e: Error) => e.message);
      if (delays[i]! >= 0) setTimeout(() => raw.sendRaw(cancel), delays[i]);
      // Neither order may leave answer() hanging (a stuck Answer button).
      const result = await Promise.race([answering, new Promise<string>((resolve) => setTimeout(() => resolve('answer() never settled'), 10_000))]);
      const final = await raw.finalResponse(sent);
      if (final.status === 200) {
        // The far end won the race with its 200: it ACKs and hangs up, as a real one would.
        raw.send({ method: 'ACK', callId: sent.callId, fromTag, toTag: final.to.params.tag!, cseq: 1 });
        assert.equal(await status({ method: 'BYE', callId: sent.callId, fromTag, toTag: final.to.params.tag!, cseq: 2 }), '200 OK');
      }
      await until(async () => ended(id), `race ${i}: the call ended`);
      outcomes.push(`${final.status}/${result.replace(/:.*/, '')}/${await ended(id)}`);
      assert.ok(final.status === 200 || final.status === 487, `race ${i}: INVITE answered ${final.status}`);
      assert.equal(result === 'answered', final.status === 200, `race ${i}: answer() says ${result} and the far end got ${final.status}`);
    }
    console.log('   races (INVITE status/answer()/endCause):', outcomes.join(', '));
    await healthy();
  });

  fx.test('re-INVITE glare: the far end gets 491, our hold fails cleanly, and the next hold works', async () => {
    const d = await establish();
    const holding = phone.invoke('hold', d.id).then(() => 'held', (e: Error) => e.message);
    const ours = await raw.waitFor((m) => m.type === 'request' && m.method === 'INVITE' && m.callId === d.callId, 'the hold re-INVITE');
    // Both ends send a re-INVITE at once.
    const theirs = await status({ method: 'INVITE', callId: d.callId, fromTag: d.fromTag, toTag: d.toTag, cseq: 2, body: webrtcSdp({ version: 2 }) });
    assert.equal(theirs, '491 Request Pending');
    raw.reply(ours, 491, 'Request Pending', { toTag: d.fromTag });
    const result = await holding;
    assert.match(result, /^CALL_FAILED: /, `hold() rejects clearly: ${result}`);
    const [call] = await phone.calls();
    assert.deepEqual([call?.state, call?.held], ['established', false], 'the call is still up and not held');
    // The next hold goes through.
    const again = phone.invoke('hold', d.id);
    const second = await raw.waitFor((m) => m.type === 'request' && m.method === 'INVITE' && m.callId === d.callId && m.cseq > ours.cseq, 'the second re-INVITE');
    raw.reply(second, 200, 'OK', { toTag: d.fromTag, body: webrtcSdp({ version: 3, setup: 'passive', direction: 'recvonly' }) });
    await again;
    assert.equal((await phone.calls())[0]?.held, true);
    await phone.invoke('hangup', d.id);
    const bye = await raw.waitFor((m) => m.type === 'request' && m.method === 'BYE' && m.callId === d.callId, 'the BYE');
    raw.reply(bye, 200, 'OK');
    await until(async () => ended(d.id), 'the call ended');
    await healthy();
  });

  fx.test('a far end that never ACKs the answer: the phone hangs up after 32 s (64*T1) and says so', async () => {
    const rang = await rings();
    const sent = raw.send({ method: 'INVITE', body: webrtcSdp(), fromTag: 'noack' });
    const ringing = await phone.waitForEvent('softphone-incoming-call', { count: rang + 1 });
    const id = ringing.detail.call!.id;
    await phone.invoke('answer', id);
    assert.equal((await raw.finalResponse(sent)).status, 200);
    const bye = await raw.waitFor((m) => m.type === 'request' && m.method === 'BYE' && m.callId === sent.callId, 'a BYE for the unconfirmed call', 40_000);
    raw.reply(bye, 200, 'OK');
    await until(async () => ended(id), 'the call ended');
    const retransmitted = raw.received.filter((m) => m.type === 'response' && m.status === 200 && m.callId === sent.callId).length;
    console.log(`   200 sent ${retransmitted} times, then BYE; endCause ${await ended(id)}`);
    assert.ok(retransmitted > 3, 'the 200 was retransmitted while no ACK came');
    assert.equal(await ended(id), 'failed');
    await healthy();
  }, { timeout: 90_000 });

  fx.test('50 INVITEs in one second: a few ring, the rest are busy (486), all are answered, nothing sticks', async () => {
    const before = await rings();
    const sent = Array.from({ length: 50 }, (_, i) => raw.send({ method: 'INVITE', body: webrtcSdp(), fromTag: `flood${i}` }));
    const busy: string[] = [];
    const ringingCalls: typeof sent = [];
    for (const s of sent) {
      const first = await raw.waitFor((m) => m.type === 'response' && m.status > 100 && (m.header('via') ?? '').includes(s.branch), 'an answer to each INVITE');
      if (first.status === 486) busy.push(s.callId);
      else if (first.status === 180) ringingCalls.push(s);
      else assert.fail(`unexpected ${first.status} ${first.reason}`);
    }
    console.log(`   ${ringingCalls.length} rang, ${busy.length} were busy`);
    assert.equal(ringingCalls.length + busy.length, 50);
    assert.ok(ringingCalls.length >= 1 && ringingCalls.length <= 8, `${ringingCalls.length} ring at once`);
    assert.equal((await rings()) - before, ringingCalls.length, 'an event for each call that rings, none for the busy ones');
    for (const call of await phone.calls()) await phone.invoke('decline', call.id);
    for (const s of ringingCalls) assert.equal((await raw.finalResponse(s)).status, 603, 'declined');
    await healthy();
  });

  fx.test('thousands of mutated messages: every one answered or dropped, none breaks the phone', async () => {
    const seeds: string[] = [
      raw.send({ method: 'OPTIONS' }).text,
      raw.send({ method: 'NOTIFY', toTag: 'gone', headers: ['Event: refer', 'Subscription-State: terminated;reason=noresource', 'Content-Type: message/sipfrag'], body: 'SIP/2.0 200 OK' }).text,
      raw.send({ method: 'BYE', toTag: 'gone' }).text,
      raw.send({ method: 'MESSAGE', body: 'hello', contentType: 'text/plain' }).text,
    ];
    // A real incoming call (cancelled at once) and a response nobody asked for complete the seeds.
    const invite = raw.send({ method: 'INVITE', body: webrtcSdp(), fromTag: 'seed' });
    await raw.waitFor((m) => m.type === 'response' && m.status === 180 && (m.header('via') ?? '').includes(invite.branch), 'ringing');
    for (const call of await phone.calls()) await phone.invoke('decline', call.id);
    seeds.push(invite.text, 'SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bKnobody\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: nobody\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');
    const random = prng(20261202);
    const total = 2000;
    let sentCount = 0;
    for (let batch = 0; batch < total / 100; batch++) {
      for (let i = 0; i < 100; i++) {
        let text = seeds[Math.floor(random() * seeds.length)]!;
        const changes = 1 + Math.floor(random() * 3);
        for (let c = 0; c < changes; c++) text = mutate(text, random);
        raw.sendRaw(text);
        sentCount++;
      }
      // After every 100: still answering, still registered; calls that a mutated INVITE made ring are declined.
      assert.equal(await status({ method: 'OPTIONS' }, 10_000), '200 OK', `alive after ${sentCount} mutations`);
      for (const call of await phone.calls()) {
        if (call.state === 'ringing') await phone.invoke('decline', call.id);
      }
    }
    const rang = (await phone.events('softphone-incoming-call')).length;
    console.log(`   ${sentCount} mutations sent; ${raw.received.length} messages back from the phone; ${rang} calls rang in all`);
    await until(async () => (await phone.calls()).length === 0 || undefined, 'every call ended');
    await healthy();
    assert.ok(!(await phone.dom()).includes(ACCOUNT.password), 'the password is nowhere in the DOM');
  }, { timeout: 300_000 });

  fx.test('through Kamailio: refused offers and unknown methods reach the caller; the phone then calls with audio', async () => {
    const account = (ext: string) => fx.lab.accounts.server1.find((a) => a.extension === ext)!;
    const page = await openPhonePage(fx.browser, fx.web.url);
    const alice = await Phone.add(page, { server: fx.lab.servers.server1.wsUrl, account: account('3999') });
    const carol = await Phone.add(await openPhonePage(fx.browser, fx.web.url), { server: fx.lab.servers.server1.wsUrl, account: account('4001') });
    await alice.waitForEvent('softphone-registered');
    await carol.waitForEvent('softphone-registered');
    const a = account('4002');
    const caller = await SipWsClient.connect({ wsUrl: fx.lab.servers.server1.wsUrl, domain: a.domain, user: a.extension, password: a.password, timeoutMs: 10_000 });
    clients.push(caller);
    assert.equal((await caller.register(60)).status, 200);
    const answers: Record<string, number> = {};
    answers['garbage SDP'] = (await caller.invite('3999', { sdp: 'this is not sdp' })).response.status;
    answers['video only'] = (await caller.invite('3999', { sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\n' })).response.status;
    answers['FOO'] = (await caller.request('FOO', { uri: `sip:3999@${a.domain}` })).status;
    console.log('  ', JSON.stringify(answers));
    assert.deepEqual(answers, { 'garbage SDP': 488, 'video only': 488, FOO: 405 });
    assert.equal((await alice.events('softphone-incoming-call')).length, 0, 'nothing rang');
    // And a real call still works, with audio both ways.
    await alice.invoke('call', '4001');
    const incoming = await carol.waitForEvent('softphone-incoming-call');
    await carol.invoke('answer', incoming.detail.call!.id);
    await alice.waitForCallState('established');
    await hearEachOther(alice, carol);
    await alice.invoke('hangup');
    await carol.waitForEvent('softphone-call-ended');
    assert.deepEqual(pageErrors(), []);
  });
});

