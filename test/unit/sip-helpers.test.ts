/**
 * The pure helpers of the SIP adapter: reconnect backoff, the ICE candidate filter, end causes of
 * final responses, and what transfers and park read from SIP messages. sip.js loads in Node (no
 * browser API is touched at import time), so the adapter modules are imported as they are.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, reconnectDelay } from '../../src/sip/connection.js';
import { candidateAllowed, filterCandidates } from '../../src/sip/media.js';
import { endCauseForStatus } from '../../src/sip/sip-engine.js';
import { isBusyStatus, referredByUser, remoteHoldIn, sipfragStatus, transferFailure } from '../../src/sip/transfer.js';

describe('reconnect backoff', () => {
  it('while calls wait for the connection, attempts come at least every 1.5 s; otherwise the backoff stands', () => {
    assert.deepEqual([500, 1000, 2000, 30000].map((b) => reconnectDelay(b, true)), [500, 1000, 1500, 1500]);
    assert.deepEqual([500, 1000, 2000, 30000].map((b) => reconnectDelay(b, false)), [500, 1000, 2000, 30000]);
  });

  it('starts at 0.5 s and doubles up to 30 s', () => {
    const mid = () => 0.5;
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, mid)), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert.equal(backoffDelay(1000, mid), 30000, 'a huge attempt number stays at the cap');
  });

  it('jitters by +-20 %, so phones that lost the same server do not come back in step', () => {
    assert.equal(backoffDelay(2, () => 0), 1600);
    assert.equal(backoffDelay(2, () => 1), 2400);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3);
      assert.ok(d >= 3200 && d <= 4800, `${d} within 4000 +-20 %`);
    }
  });
});

describe('ICE candidate filter', () => {
  const sdp = [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0',
    'a=candidate:2 1 udp 2122194687 192.168.1.20 50001 typ host generation 0',
    'a=candidate:3 1 udp 1686052607 203.0.113.7 50002 typ srflx raddr 192.168.1.20 rport 50001',
    'a=sendrecv',
    '',
  ].join('\r\n');

  it('keeps only candidates for the listed addresses, and every other line', () => {
    const out = filterCandidates(sdp, ['127.0.0.1']);
    assert.deepEqual(out.split('\r\n').filter((l) => l.startsWith('a=candidate')), [
      'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0',
    ]);
    assert.ok(out.includes('a=sendrecv') && out.startsWith('v=0'));
  });

  it('an empty filter keeps everything', () => {
    assert.equal(filterCandidates(sdp, []), sdp);
    assert.equal(candidateAllowed('candidate:2 1 udp 1 10.0.0.1 9 typ host', []), true);
  });

  it('reads the address of a bare candidate string (trickle form) too', () => {
    assert.equal(candidateAllowed('candidate:2 1 udp 1 10.0.0.1 9 typ host', ['127.0.0.1']), false);
    assert.equal(candidateAllowed('candidate:1 1 udp 1 127.0.0.1 9 typ host', ['127.0.0.1']), true);
  });
});

describe('end cause of a final response', () => {
  it('names busy, no-answer, not-found, declined and cancelled calls; the rest failed', () => {
    const table: Record<number, string> = {
      486: 'busy', 600: 'busy', 408: 'no-answer', 480: 'no-answer', 404: 'not-found', 604: 'not-found',
      603: 'declined', 487: 'hangup', 403: 'failed', 500: 'failed', 503: 'failed', 488: 'failed',
    };
    for (const [code, cause] of Object.entries(table)) assert.equal(endCauseForStatus(Number(code)), cause, `status ${code}`);
  });
});

describe('transfer progress (REFER NOTIFY bodies)', () => {
  it('reads the status line of a message/sipfrag body', () => {
    assert.deepEqual(sipfragStatus('SIP/2.0 100 Trying'), { code: 100, reason: 'Trying' });
    assert.deepEqual(sipfragStatus('SIP/2.0 486 Busy Here\r\n'), { code: 486, reason: 'Busy Here' });
    assert.deepEqual(sipfragStatus('SIP/2.0 200 OK\r\nContent-Length: 0\r\n'), { code: 200, reason: 'OK' });
    assert.deepEqual(sipfragStatus('SIP/2.0 603'), { code: 603, reason: '' });
  });

  it('ignores bodies that are not a status line', () => {
    for (const body of ['', 'hello', 'INVITE sip:4000@server1.test SIP/2.0', 'SIP/2.0 abc Nope']) assert.equal(sipfragStatus(body), undefined, body);
  });

  it('a failure keeps the SIP status and a trimmed reason', () => {
    assert.deepEqual(transferFailure(404, ' Not Found '), { ok: false, code: 404, reason: 'Not Found' });
  });
});

describe('park slots', () => {
  it('a slot answering 486 or 600 is occupied (try the next); other refusals end the park', () => {
    assert.equal(isBusyStatus(486), true);
    assert.equal(isBusyStatus(600), true);
    for (const code of [403, 404, 480, 500, 603, 0]) assert.equal(isBusyStatus(code), false, String(code));
  });
});

describe('who transferred a call (Referred-By)', () => {
  it('takes the user part of the header, with or without a display name and parameters', () => {
    assert.equal(referredByUser('<sip:4000@server1.test>'), '4000');
    assert.equal(referredByUser('"Carol" <sip:4000@server1.test;transport=ws>'), '4000');
    assert.equal(referredByUser('sips:113999@server2.test'), '113999');
  });

  it('gives nothing for a missing or odd header', () => {
    assert.equal(referredByUser(undefined), undefined);
    assert.equal(referredByUser(''), undefined);
    assert.equal(referredByUser('<tel:+15550100>'), undefined);
  });
});

describe('hold by the far end (re-INVITE SDP)', () => {
  const offer = (...attrs: string[]) => ['v=0', 's=-', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', ...attrs, ''].join('\r\n');

  it('sendonly or inactive on the audio stream means we are held', () => {
    assert.equal(remoteHoldIn(offer('a=sendonly')), true);
    assert.equal(remoteHoldIn(offer('a=inactive')), true);
  });

  it('sendrecv, recvonly or no direction (sendrecv by default) means not held', () => {
    assert.equal(remoteHoldIn(offer('a=sendrecv')), false);
    assert.equal(remoteHoldIn(offer('a=recvonly')), false);
    assert.equal(remoteHoldIn(offer()), false);
  });

  it('a media-level direction overrides the session-level one', () => {
    const sdp = ['v=0', 'a=sendonly', 'm=audio 9 RTP/AVP 0', 'a=sendrecv', ''].join('\r\n');
    assert.equal(remoteHoldIn(sdp), false);
    assert.equal(remoteHoldIn(['v=0', 'a=inactive', 'm=audio 9 RTP/AVP 0', ''].join('\r\n')), true);
  });

  it('no SDP (a re-INVITE without an offer) tells nothing', () => {
    assert.equal(remoteHoldIn(undefined), undefined);
    assert.equal(remoteHoldIn(''), undefined);
  });
});
