/**
 * The pure helpers behind the PBX interop fixes of the SIP adapter: RFC 4028 session timers in an
 * UPDATE, the Subscription-State of REFER NOTIFYs, and when a provisional response means early media.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasOptionTag, isEarlyMediaProgress, parseSessionExpires, referNotifyState, sessionTimerAnswer } from '../../src/sip/session-timer.js';

describe('Session-Expires', () => {
  it('reads the interval and the refresher', () => {
    assert.deepEqual(parseSessionExpires('1800;refresher=uac'), { seconds: 1800, refresher: 'uac' });
    assert.deepEqual(parseSessionExpires(' 90 ; Refresher = UAS '), { seconds: 90, refresher: 'uas' });
    assert.deepEqual(parseSessionExpires('600'), { seconds: 600 });
    assert.deepEqual(parseSessionExpires('600;refresher=nobody;x=1'), { seconds: 600 });
  });

  it('refuses what is not a positive whole number of seconds', () => {
    for (const bad of [undefined, '', 'abc', '0', '-5', '1.5', ';refresher=uac', '9999999999999999999']) {
      assert.equal(parseSessionExpires(bad), undefined, String(bad));
    }
  });

  it('finds an option tag in a Supported/Require list', () => {
    assert.equal(hasOptionTag('replaces, Timer ,100rel', 'timer'), true);
    assert.equal(hasOptionTag('timers', 'timer'), false);
    assert.equal(hasOptionTag(undefined, 'timer'), false);
  });
});

describe('our 2xx to a session refresh (RFC 4028 section 9)', () => {
  it('copies the interval and the refresher the far end named, with Require: timer', () => {
    assert.deepEqual(sessionTimerAnswer({ sessionExpires: '90;refresher=uac', supported: 'timer' }), {
      headers: ['Session-Expires: 90;refresher=uac', 'Require: timer'],
    });
  });

  it('without a refresher, the far end (which supports timers) refreshes', () => {
    assert.deepEqual(sessionTimerAnswer({ sessionExpires: '1800', supported: 'replaces, timer' }).headers, [
      'Session-Expires: 1800;refresher=uac',
      'Require: timer',
    ]);
  });

  it('refresher=uas makes us the refresher: we refresh at half the interval', () => {
    assert.deepEqual(sessionTimerAnswer({ sessionExpires: '90;refresher=uas', require: 'timer' }), {
      headers: ['Session-Expires: 90;refresher=uas', 'Require: timer'],
      refreshEveryMs: 45_000,
    });
  });

  it('a far end without timer support cannot refresh: we do, and require nothing of it', () => {
    assert.deepEqual(sessionTimerAnswer({ sessionExpires: '120;refresher=uac' }), {
      headers: ['Session-Expires: 120;refresher=uas'],
      refreshEveryMs: 60_000,
    });
  });

  it('no (or an unreadable) Session-Expires: no session timer, a plain 200', () => {
    assert.deepEqual(sessionTimerAnswer({ supported: 'timer' }), { headers: [] });
    assert.deepEqual(sessionTimerAnswer({ sessionExpires: 'soon', supported: 'timer' }), { headers: [] });
  });
});

describe('NOTIFYs about a REFER we follow', () => {
  it('provisional statuses keep the subscription active with the seconds left', () => {
    assert.deepEqual(referNotifyState(100, 70), { subscriptionState: 'active;expires=70', final: false });
    assert.deepEqual(referNotifyState(180, 12.2), { subscriptionState: 'active;expires=13', final: false });
    assert.deepEqual(referNotifyState(183, -3), { subscriptionState: 'active;expires=1', final: false }, 'never 0 while still active');
  });

  it('a final status, success or failure, ends it with reason=noresource', () => {
    for (const code of [200, 202, 404, 486, 603]) {
      assert.deepEqual(referNotifyState(code, 50), { subscriptionState: 'terminated;reason=noresource', final: true }, String(code));
    }
  });
});

describe('early media on an outbound call', () => {
  it('a 1xx with SDP is early media; without, ringing', () => {
    assert.equal(isEarlyMediaProgress(183, true, false), true);
    assert.equal(isEarlyMediaProgress(180, true, false), true);
    assert.equal(isEarlyMediaProgress(183, false, false), false);
    assert.equal(isEarlyMediaProgress(180, false, false), false);
  });

  it('a 180 after early media keeps early media (the far end still plays its audio)', () => {
    assert.equal(isEarlyMediaProgress(180, false, true), true);
  });

  it('100 Trying and final responses are not progress', () => {
    assert.equal(isEarlyMediaProgress(100, true, false), false);
    assert.equal(isEarlyMediaProgress(200, true, true), false);
  });
});
