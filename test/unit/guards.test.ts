import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { currentCall, parseDtmf, requireCall } from '../../src/core/guards.js';
import { CallState, type CallDirection, type CallInfo } from '../../src/core/types.js';
import { SoftPhoneError } from '../../src/errors.js';

function call(id: string, direction: CallDirection, state: CallState, startedAt: number): CallInfo {
  return { id, direction, state, remote: { number: '4000', kind: 'internal' }, muted: false, held: state === 'held', warnings: [], reconnecting: false, local: true, startedAt };
}

describe('which call a method without an id means', () => {
  it('an agent talking to one caller while another waits on hold hangs up the one they talk to', () => {
    const calls = [call('held', 'inbound', CallState.Held, 1), call('talking', 'inbound', CallState.Established, 2)];
    assert.equal(requireCall(calls, undefined).id, 'talking');
    assert.equal(requireCall(calls, undefined, 'unhold').id, 'held');
  });

  it('two callers ring: answer() picks the one that has waited longest', () => {
    const calls = [call('second', 'inbound', CallState.Ringing, 20), call('first', 'inbound', CallState.Ringing, 10)];
    assert.equal(requireCall(calls, undefined, 'answer').id, 'first');
    assert.equal(currentCall(calls, 'hangup')?.id, 'first');
  });

  it('an agent dialing out while a call is held hangs up the one being dialed', () => {
    const calls = [call('held', 'inbound', CallState.Held, 1), call('dialing', 'outbound', CallState.Dialing, 2)];
    assert.equal(requireCall(calls, undefined).id, 'dialing');
  });

  it('an id names its call; an unknown or ended one is NO_SUCH_CALL naming it', () => {
    const calls = [call('a', 'inbound', CallState.Established, 1), call('gone', 'inbound', CallState.Ended, 0)];
    assert.equal(requireCall(calls, 'a').id, 'a');
    for (const id of ['nope', 'gone']) {
      assert.throws(() => requireCall(calls, id), (e: unknown) => e instanceof SoftPhoneError && e.code === 'NO_SUCH_CALL' && e.message.includes(id));
    }
    assert.throws(() => requireCall([], undefined, 'answer'), (e: unknown) => e instanceof SoftPhoneError && e.code === 'NO_SUCH_CALL');
  });

  it('always picks a live call when there is one and an operation it fits', () => {
    const callArb = fc.record({
      id: fc.uuid(),
      direction: fc.constantFrom<CallDirection>('inbound', 'outbound'),
      state: fc.constantFrom(...Object.values(CallState)),
      startedAt: fc.nat(100),
    });
    fc.assert(
      fc.property(fc.array(callArb, { maxLength: 6 }), (raw) => {
        const calls = raw.map((c) => call(c.id, c.direction, c.state, c.startedAt));
        const live = calls.filter((c) => c.state !== 'ended');
        const picked = currentCall(calls);
        // an inbound call never sits in dialing or early-media; any other live call can be picked
        const pickable = live.filter((c) => c.direction === 'outbound' || (c.state !== 'dialing' && c.state !== 'early-media'));
        assert.equal(picked === undefined, pickable.length === 0);
        if (picked) assert.notEqual(picked.state, 'ended');
        const toAnswer = currentCall(calls, 'answer');
        if (toAnswer) assert.ok(toAnswer.direction === 'inbound' && toAnswer.state === 'ringing');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DTMF digits', () => {
  it('accepts 0-9 * # A-D', () => {
    assert.equal(parseDtmf('0123456789*#ABCD'), '0123456789*#ABCD');
    assert.equal(parseDtmf('abcd'), 'ABCD');
  });

  it('refuses anything else, naming it', () => {
    for (const bad of ['', 'E', '1 2', '12-3', 'x'.repeat(65)]) {
      assert.throws(() => parseDtmf(bad), (e: unknown) => e instanceof SoftPhoneError && e.code === 'INVALID_NUMBER' && e.message.includes(JSON.stringify(bad).slice(0, 10)));
    }
    assert.throws(() => parseDtmf(5), (e: unknown) => e instanceof SoftPhoneError && e.code === 'INVALID_NUMBER');
  });
});
