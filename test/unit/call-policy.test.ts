import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BLOCK_REASONS,
  CALL_OPERATIONS,
  DEFAULT_CALL_POLICY,
  POLICY_OPERATIONS,
  assertAllowed,
  assertCallOperation,
  assertTransferPair,
  blockReason,
  describeOperations,
  isAllowed,
  notAllowedReason,
  parseCallPolicy,
  resolveCallPolicy,
  stateBlockReason,
  type CallOperation,
  type CallPolicy,
} from '../../src/core/call-policy.js';
import { CallState, type CallDirection, type CallInfo } from '../../src/core/types.js';
import { SoftPhoneError } from '../../src/errors.js';

function call(direction: CallDirection, state: CallState = CallState.Established, linked = false, id = 'c1'): CallInfo {
  return {
    id,
    direction,
    state,
    remote: linked ? { number: '122099', kind: 'linked', prefix: '12', server: 'Osaka' } : { number: '4000', kind: 'internal' },
    muted: false,
    reconnecting: false,
    local: true,
    held: state === CallState.Held,
    warnings: [],
    startedAt: 1000,
  };
}

function rejects(fn: () => unknown, code: string, ...mentions: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SoftPhoneError, `expected a SoftPhoneError, got ${String(e)}`);
    assert.equal(e.code, code);
    for (const m of mentions) assert.ok(e.message.includes(m), `message ${JSON.stringify(e.message)} names ${m}`);
    return true;
  });
}

const ALL_STATES = Object.values(CallState);

describe('the default call policy', () => {
  it('an agent who placed a call may not #-transfer, *-transfer or park it', () => {
    const placed = call('outbound');
    for (const op of ['blindTransfer', 'attendedTransfer', 'park'] as const) {
      assert.equal(isAllowed(placed, op), false, op);
      assert.equal(notAllowedReason(placed, op), 'policy.outbound');
    }
    rejects(() => assertAllowed(placed, 'blindTransfer'), 'NOT_ALLOWED', "'#' transfer", 'calls the agent placed', 'c1');
    rejects(() => assertAllowed(placed, 'attendedTransfer'), 'NOT_ALLOWED', "'*' transfer");
    rejects(() => assertAllowed(placed, 'park'), 'NOT_ALLOWED', 'park');
  });

  it('an agent who received a call may transfer it either way and park it', () => {
    const received = call('inbound');
    for (const op of CALL_OPERATIONS) {
      assert.equal(isAllowed(received, op), true, op);
      assert.doesNotThrow(() => assertAllowed(received, op));
    }
  });

  it('a hold transfer is allowed on every call', () => {
    assert.ok(isAllowed(call('outbound'), 'holdTransfer'));
    assert.ok(isAllowed(call('inbound'), 'holdTransfer'));
    assert.ok(isAllowed(call('outbound', CallState.Held, true), 'holdTransfer'));
  });

  it('a call with Osaka follows exactly the same rule (no linked-server exception)', () => {
    for (const direction of ['outbound', 'inbound'] as const) {
      for (const op of CALL_OPERATIONS) {
        assert.equal(isAllowed(call(direction, CallState.Established, true), op), isAllowed(call(direction), op), `${direction} ${op}`);
      }
    }
    rejects(() => assertCallOperation(call('outbound', CallState.Established, true), 'park'), 'NOT_ALLOWED', 'park');
  });

  it('hold, mute, DTMF, answer and hang-up are always allowed by the policy', () => {
    for (const direction of ['outbound', 'inbound'] as const) {
      for (const op of ['hold', 'unhold', 'mute', 'unmute', 'dtmf', 'answer', 'decline', 'hangup'] as const) {
        assert.ok(isAllowed(call(direction), op), `${direction} ${op}`);
      }
    }
  });

  it('is the table API.md describes', () => {
    assert.deepEqual(resolveCallPolicy(), DEFAULT_CALL_POLICY);
    assert.deepEqual(DEFAULT_CALL_POLICY.outbound, {
      blindTransfer: false,
      attendedTransfer: false,
      holdTransfer: true,
      park: false,
      hold: true,
      mute: true,
      dtmf: true,
    });
    assert.ok(Object.values(DEFAULT_CALL_POLICY.inbound).every(Boolean));
  });
});

describe('a host overriding the policy', () => {
  it('a CRM lets agents #-transfer, *-transfer and park calls they placed', () => {
    const policy = parseCallPolicy({ outbound: { blindTransfer: true, attendedTransfer: true, park: true } });
    for (const op of ['blindTransfer', 'attendedTransfer', 'park'] as const) assert.ok(isAllowed(call('outbound'), op, policy));
    // what it did not name keeps its default
    assert.ok(isAllowed(call('outbound'), 'holdTransfer', policy));
  });

  it('a CRM forbids parking received calls: the refusal says why', () => {
    const policy = parseCallPolicy({ inbound: { park: false } });
    assert.equal(notAllowedReason(call('inbound'), 'park', policy), 'policy.inbound');
    rejects(() => assertCallOperation(call('inbound'), 'park', policy), 'NOT_ALLOWED', 'park', 'calls the agent received');
    assert.ok(isAllowed(call('inbound'), 'blindTransfer', policy));
  });

  it('bad policies are INVALID_CONFIG naming the key', () => {
    rejects(() => parseCallPolicy({ outbound: { blindTransfr: true } }), 'INVALID_CONFIG', 'callPolicy.outbound.blindTransfr');
    rejects(() => parseCallPolicy({ outbound: { park: 'yes' } }), 'INVALID_CONFIG', 'callPolicy.outbound.park', '"yes"');
    rejects(() => parseCallPolicy({ outgoing: {} }), 'INVALID_CONFIG', 'callPolicy.outgoing');
    rejects(() => parseCallPolicy({ inbound: { hangup: false } }), 'INVALID_CONFIG', 'callPolicy.inbound.hangup', 'cannot be restricted');
    rejects(() => parseCallPolicy({ inbound: true }), 'INVALID_CONFIG', 'callPolicy.inbound');
    rejects(() => parseCallPolicy('allow all'), 'INVALID_CONFIG', 'callPolicy');
    rejects(() => parseCallPolicy([]), 'INVALID_CONFIG', 'callPolicy');
    assert.deepEqual(parseCallPolicy(undefined), {});
    assert.deepEqual(parseCallPolicy(null), {});
    assert.deepEqual(parseCallPolicy({ inbound: undefined }), {});
  });

  it('never throws anything but INVALID_CONFIG, and what it accepts decides exactly as written', () => {
    const rulesArb = fc.dictionary(
      fc.oneof(fc.constantFrom(...POLICY_OPERATIONS, 'hangup', 'answer'), fc.string({ maxLength: 8 })),
      fc.oneof(fc.boolean(), fc.anything()),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('outbound', 'inbound', 'other'), rulesArb, { maxKeys: 3 })),
        (value) => {
          let policy: CallPolicy;
          try {
            policy = parseCallPolicy(value);
          } catch (e) {
            assert.ok(e instanceof SoftPhoneError && e.code === 'INVALID_CONFIG', String(e));
            return;
          }
          for (const direction of ['outbound', 'inbound'] as const) {
            for (const op of POLICY_OPERATIONS) {
              const set: boolean | undefined = policy[direction]?.[op];
              const expected: boolean = set ?? DEFAULT_CALL_POLICY[direction][op];
              assert.equal(isAllowed(call(direction), op, policy), expected);
              assert.equal(resolveCallPolicy(policy)[direction][op], expected);
            }
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('what the state of a call allows', () => {
  /** The states in which each operation is possible (policy aside). */
  const possible: Record<CallOperation, (c: CallInfo) => boolean> = {
    answer: (c) => c.direction === 'inbound' && c.state === 'ringing',
    decline: (c) => c.direction === 'inbound' && c.state === 'ringing',
    hangup: (c) => c.state !== 'ended',
    mute: (c) => c.state !== 'ended',
    unmute: (c) => c.state !== 'ended',
    hold: (c) => c.state === 'established',
    dtmf: (c) => c.state === 'established',
    unhold: (c) => c.state === 'held',
    holdTransfer: (c) => c.state === 'held',
    blindTransfer: (c) => c.state === 'established' || c.state === 'held',
    attendedTransfer: (c) => c.state === 'established' || c.state === 'held',
    park: (c) => c.state === 'established' || c.state === 'held',
  };

  it('every operation in every state of both directions, table-driven', () => {
    for (const direction of ['outbound', 'inbound'] as const) {
      for (const state of ALL_STATES) {
        for (const op of CALL_OPERATIONS) {
          const c = call(direction, state);
          const reason = stateBlockReason(c, op);
          assert.equal(reason === undefined, possible[op](c), `${op} on a ${direction} ${state} call`);
          if (reason) {
            assert.ok(reason in BLOCK_REASONS);
            rejects(() => assertCallOperation({ ...c, id: 'call-7' }, op, { outbound: { blindTransfer: true, attendedTransfer: true, park: true } }), 'NOT_ALLOWED', 'call-7', BLOCK_REASONS[reason]);
          }
        }
      }
    }
  });

  it('an agent cannot hold a call that is still ringing, nor one that has ended', () => {
    assert.equal(blockReason(call('outbound', CallState.Ringing), 'hold'), 'state.not-established');
    assert.equal(blockReason(call('inbound', CallState.Ended), 'hold'), 'state.ended');
    assert.equal(blockReason(call('inbound', CallState.Held), 'hold'), 'state.held');
    assert.equal(blockReason(call('inbound', CallState.Transferring), 'blindTransfer'), 'state.transferring');
    assert.equal(blockReason(call('outbound', CallState.Ringing), 'answer'), 'state.not-inbound');
    assert.equal(blockReason(call('inbound', CallState.Established), 'answer'), 'state.not-ringing');
  });

  it('state reasons come before policy reasons', () => {
    assert.equal(blockReason(call('outbound', CallState.Ringing), 'park'), 'state.not-established');
    assert.equal(blockReason(call('outbound', CallState.Established), 'park'), 'policy.outbound');
    assert.equal(blockReason(call('outbound', CallState.Held), 'holdTransfer'), undefined);
  });

  it('describes every button for the UI', () => {
    const ops = describeOperations(call('outbound', CallState.Established, true));
    assert.deepEqual(Object.keys(ops).sort(), [...CALL_OPERATIONS].sort());
    assert.equal(ops.hold, undefined);
    assert.equal(ops.blindTransfer, 'policy.outbound');
    assert.equal(ops.unhold, 'state.not-held');
  });
});

describe('completing a transfer', () => {
  const heldCaller = { ...call('inbound', CallState.Held), id: 'held' };
  const consult = { ...call('outbound', CallState.Established), id: 'consult' };

  it('the agent held a caller, called a colleague, and joins them: a hold transfer', () => {
    assert.doesNotThrow(() => assertTransferPair(heldCaller, consult, 'holdTransfer'));
    // even when the held call is one the agent placed
    assert.doesNotThrow(() => assertTransferPair({ ...heldCaller, direction: 'outbound' }, consult, 'holdTransfer'));
    assert.doesNotThrow(() => assertTransferPair(heldCaller, { ...consult, state: CallState.Held }, 'attendedTransfer'));
  });

  it('refuses when the first call is not on hold or the second not connected', () => {
    rejects(() => assertTransferPair({ ...heldCaller, state: CallState.Established }, consult, 'holdTransfer'), 'NOT_ALLOWED', 'held', 'not on hold');
    rejects(() => assertTransferPair(heldCaller, { ...consult, state: CallState.Ringing }, 'attendedTransfer'), 'NOT_ALLOWED', 'consult', 'not connected');
    rejects(() => assertTransferPair(heldCaller, { ...consult, state: CallState.Ended }, 'attendedTransfer'), 'NOT_ALLOWED', 'ended');
    rejects(() => assertTransferPair(heldCaller, heldCaller, 'holdTransfer'), 'NOT_ALLOWED', 'two different calls');
  });

  it('a host that forbids hold transfers is obeyed', () => {
    rejects(() => assertTransferPair(heldCaller, consult, 'holdTransfer', { inbound: { holdTransfer: false } }), 'NOT_ALLOWED', 'hold transfer');
    // an attended transfer's policy was checked when it started
    assert.doesNotThrow(() => assertTransferPair(heldCaller, consult, 'attendedTransfer', { inbound: { attendedTransfer: false } }));
  });
});
