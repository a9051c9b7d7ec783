/**
 * What the phone refuses in an incoming INVITE before it rings: offers it could never answer and a
 * flood of calls (src/sip/offer-check.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CONCURRENT_CALLS, refuseFlood, refuseOffer } from '../../src/sip/offer-check.js';

const sdp = (...media: string[]): string => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...media, ''].join('\r\n');
const SDP = 'application/sdp';

describe('incoming offers', () => {
  it('takes what a browser, a desk phone or a carrier offers, and an INVITE without an offer', () => {
    assert.equal(refuseOffer(sdp('m=audio 40000 UDP/TLS/RTP/SAVPF 111 0 8 101', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:101 telephone-event/8000'), SDP), undefined);
    assert.equal(refuseOffer(sdp('m=audio 31000 RTP/AVP 8 101', 'a=rtpmap:101 telephone-event/8000'), 'application/SDP; charset=utf-8'), undefined);
    assert.equal(refuseOffer(sdp('m=audio 31000 RTP/AVP 9'), SDP), undefined, 'G.722 by its static payload type');
    assert.equal(refuseOffer(sdp('m=video 9 RTP/AVP 96', 'm=audio 5000 RTP/AVP 0'), SDP), undefined, 'audio beside video');
    assert.equal(refuseOffer(undefined, undefined), undefined);
    assert.equal(refuseOffer('', SDP), undefined);
  });

  it('refuses a body that is not SDP with 415, and nonsense with 488', () => {
    assert.deepEqual(refuseOffer('hello', 'text/plain'), { statusCode: 415, reasonPhrase: 'Unsupported Media Type', why: 'the offer is text/plain, not application/sdp' });
    assert.equal(refuseOffer('hello', undefined)?.statusCode, 415);
    const garbage = refuseOffer('this is not sdp', SDP);
    assert.equal(garbage?.statusCode, 488);
    assert.match(garbage!.why, /not SDP/);
  });

  it('refuses an offer without a usable audio stream', () => {
    assert.match(refuseOffer(sdp('m=video 9 RTP/AVP 96', 'a=rtpmap:96 VP8/90000'), SDP)!.why, /no audio stream/);
    assert.match(refuseOffer(sdp('m=audio 0 RTP/AVP 0'), SDP)!.why, /no audio stream/, 'a rejected (port 0) stream');
    assert.match(refuseOffer(sdp('m=audio 5000 RTP/AVP 18 96', 'a=rtpmap:96 AMR/8000'), SDP)!.why, /no audio codec/);
  });

  it('refuses impossible payload lists: 200 codecs, duplicates, non-numbers, huge offers', () => {
    const many = Array.from({ length: 200 }, (_, i) => String(i)).join(' ');
    assert.match(refuseOffer(sdp(`m=audio 5000 RTP/AVP ${many}`), SDP)!.why, /impossible payload type \(128\)/);
    assert.match(refuseOffer(sdp('m=audio 5000 RTP/AVP 0 8 0'), SDP)!.why, /twice/);
    assert.match(refuseOffer(sdp('m=audio 5000 RTP/AVP 0 x'), SDP)!.why, /impossible payload type \(x\)/);
    assert.match(refuseOffer(sdp('m=audio 5000 RTP/AVP 0', `a=x:${'y'.repeat(40_000)}`), SDP)!.why, /bytes long/);
    // 120 distinct payload types, one of them usable, is odd but answerable.
    const distinct = Array.from({ length: 120 }, (_, i) => String(i)).join(' ');
    assert.equal(refuseOffer(sdp(`m=audio 5000 RTP/AVP ${distinct}`), SDP), undefined);
  });
});

describe('a flood of calls', () => {
  it(`is busy from the ${MAX_CONCURRENT_CALLS + 1}th concurrent call on`, () => {
    assert.equal(refuseFlood(0), undefined);
    assert.equal(refuseFlood(MAX_CONCURRENT_CALLS - 1), undefined);
    assert.deepEqual(refuseFlood(MAX_CONCURRENT_CALLS), { statusCode: 486, reasonPhrase: 'Busy Here', why: `${MAX_CONCURRENT_CALLS} calls are already in progress` });
  });
});
