import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CALL_TRANSITIONS,
  IllegalTransitionError,
  PhoneState,
  REGISTRATION_TRANSITIONS,
  canMoveCall,
  canMoveRegistration,
  type PhoneChange,
} from '../../src/core/phone-state.js';
import { CallState, RegistrationState, type CallInfo, type RemoteParty } from '../../src/core/types.js';

const REG_STATES = Object.values(RegistrationState);
const CALL_STATES = Object.values(CallState);
const alice: RemoteParty = { number: '4000', kind: 'internal', displayName: 'Alice' };

/** The legal moves, spelled out here independently of the table in phone-state.ts. */
const LEGAL_REGISTRATION = new Set([
  'unregistered>registering',
  'registering>registered',
  'registering>unregistered',
  'registering>connection-lost',
  'registered>unregistered',
  'registered>connection-lost',
  'connection-lost>registered',
  'connection-lost>unregistered',
]);
const LEGAL_CALL = new Set([
  'dialing>ringing',
  'dialing>early-media',
  'dialing>established',
  'dialing>ended',
  'ringing>early-media',
  'ringing>established',
  'ringing>ended',
  'early-media>ringing',
  'early-media>established',
  'early-media>ended',
  'established>held',
  'established>transferring',
  'established>ended',
  'held>established',
  'held>transferring',
  'held>ended',
  'transferring>established',
  'transferring>held',
  'transferring>ended',
]);

/** A state machine whose clock the test moves, and a log of every change it announced. */
function phone(start = 1_000) {
  const clock = { now: start };
  const state = new PhoneState(() => clock.now);
  const changes: PhoneChange[] = [];
  state.subscribe((c) => changes.push(c));
  return { state, clock, changes };
}

/** Brings a new call into state `to` by a legal path (dialing/ringing first). */
function callIn(state: PhoneState, to: CallState, id = 'c1'): CallInfo {
  const paths: Record<CallState, CallState[]> = {
    dialing: [],
    ringing: [],
    'early-media': [CallState.EarlyMedia],
    established: [CallState.Established],
    held: [CallState.Established, CallState.Held],
    transferring: [CallState.Established, CallState.Transferring],
    ended: [CallState.Ended],
  };
  let info = state.addCall({ id, direction: to === 'ringing' ? 'inbound' : 'outbound', state: to === 'ringing' ? CallState.Ringing : CallState.Dialing, remote: alice });
  for (const step of paths[to]) info = state.moveCall(id, step);
  return info;
}

/** Brings registration into state `to` by a legal path. */
function registrationIn(state: PhoneState, to: RegistrationState): void {
  const paths: Record<RegistrationState, RegistrationState[]> = {
    unregistered: [],
    registering: [RegistrationState.Registering],
    registered: [RegistrationState.Registering, RegistrationState.Registered],
    'connection-lost': [RegistrationState.Registering, RegistrationState.Registered, RegistrationState.ConnectionLost],
  };
  for (const step of paths[to]) state.setRegistration(step);
}

describe('registration transitions (every pair)', () => {
  it('the table is exactly the diagram', () => {
    for (const from of REG_STATES) {
      for (const to of REG_STATES) {
        if (from === to) continue;
        assert.equal(canMoveRegistration(from, to), LEGAL_REGISTRATION.has(`${from}>${to}`), `${from} -> ${to}`);
      }
    }
    assert.equal(Object.values(REGISTRATION_TRANSITIONS).flat().length, LEGAL_REGISTRATION.size);
  });

  for (const from of REG_STATES) {
    for (const to of REG_STATES) {
      const legal = from === to || LEGAL_REGISTRATION.has(`${from}>${to}`);
      it(`${from} -> ${to}: ${from === to ? 'a no-op' : legal ? 'accepted and announced' : 'rejected'}`, () => {
        const { state, changes } = phone();
        registrationIn(state, from);
        changes.length = 0;
        if (!legal) {
          assert.throws(() => state.setRegistration(to), IllegalTransitionError);
          assert.equal(state.registration, from, 'a rejected move changes nothing');
          assert.equal(changes.length, 0, 'a rejected move is not announced');
          return;
        }
        state.setRegistration(to, { server: 'ws://127.0.0.1:8088' });
        assert.equal(state.registration, to);
        if (from === to) assert.equal(changes.length, 0);
        else assert.deepEqual(changes, [{ kind: 'registration', from, to, detail: { server: 'ws://127.0.0.1:8088' } }]);
      });
    }
  }
});

describe('call transitions (every pair)', () => {
  it('the table is exactly the diagram', () => {
    for (const from of CALL_STATES) {
      for (const to of CALL_STATES) {
        if (from === to) continue;
        assert.equal(canMoveCall(from, to), LEGAL_CALL.has(`${from}>${to}`), `${from} -> ${to}`);
      }
    }
    assert.equal(Object.values(CALL_TRANSITIONS).flat().length, LEGAL_CALL.size);
    assert.deepEqual(CALL_TRANSITIONS.ended, []);
  });

  // an ended call has left the list: moving it is a missing call, covered below
  for (const from of CALL_STATES.filter((s) => s !== 'ended')) {
    for (const to of CALL_STATES) {
      const legal = from === to || LEGAL_CALL.has(`${from}>${to}`);
      it(`${from} -> ${to}: ${from === to ? 'only the patch applies' : legal ? 'accepted and announced' : 'rejected with IllegalTransitionError'}`, () => {
        const { state, changes } = phone();
        const before = callIn(state, from);
        changes.length = 0;
        if (!legal) {
          assert.throws(() => state.moveCall('c1', to), IllegalTransitionError);
          assert.deepEqual(state.getCall('c1'), before, 'a rejected move changes nothing');
          assert.equal(changes.length, 0, 'a rejected move is not announced');
          return;
        }
        const after = state.moveCall('c1', to);
        assert.equal(after.state, to);
        assert.equal(after.held, to === 'held' ? true : to === 'established' ? false : before.held);
        assert.ok(Object.isFrozen(after));
        assert.equal(changes.length, 1);
        assert.deepEqual(changes[0], { kind: 'call', call: after, from, calls: state.calls });
        if (to === 'ended') {
          assert.equal(state.getCall('c1'), undefined, 'an ended call leaves the list');
          assert.deepEqual(state.calls, []);
          assert.equal(after.endCause, 'failed', 'an end without a cause is a failure');
        } else assert.deepEqual(state.getCall('c1'), after);
      });
    }
  }

  it('a call can only start dialing or ringing, or established when it replaces another one', () => {
    for (const s of CALL_STATES) {
      const { state } = phone();
      const add = () => state.addCall({ id: 'c1', direction: 'outbound', state: s, remote: alice });
      if (s === 'dialing' || s === 'ringing' || s === 'established') assert.equal(add().state, s);
      else assert.throws(add, IllegalTransitionError);
    }
  });

  it('a call id is used once', () => {
    const { state } = phone();
    callIn(state, CallState.Dialing);
    assert.throws(() => callIn(state, CallState.Dialing), /exists/);
  });

  it('a call that has ended, or never was, cannot move', () => {
    const { state } = phone();
    callIn(state, CallState.Ended);
    assert.throws(() => state.moveCall('c1', CallState.Established), /no call c1/);
    assert.throws(() => state.patchCall('nope', { muted: true }), /no call nope/);
  });
});

describe('a call from start to end', () => {
  it('alice calls, it rings, she is answered at 3 s, held and resumed, and hangs up at 60 s', () => {
    const { state, clock, changes } = phone(1_000);
    const dialing = state.addCall({ id: 'c1', direction: 'outbound', state: CallState.Dialing, remote: alice });
    assert.deepEqual(
      { ...dialing },
      { id: 'c1', direction: 'outbound', state: 'dialing', remote: alice, muted: false, held: false, warnings: [], reconnecting: false, local: true, startedAt: 1_000 },
    );
    clock.now = 2_000;
    state.moveCall('c1', CallState.Ringing);
    clock.now = 3_000;
    assert.equal(state.moveCall('c1', CallState.Established).answeredAt, 3_000);
    clock.now = 10_000;
    assert.equal(state.moveCall('c1', CallState.Held).held, true);
    clock.now = 20_000;
    const resumed = state.moveCall('c1', CallState.Established);
    assert.equal(resumed.answeredAt, 3_000, 'answeredAt is set once, not again on resume');
    assert.equal(resumed.held, false);
    clock.now = 60_000;
    const ended = state.moveCall('c1', CallState.Ended, { endCause: 'hangup' });
    assert.deepEqual([ended.endedAt, ended.endCause, ended.answeredAt], [60_000, 'hangup', 3_000]);
    assert.deepEqual(
      changes.map((c) => (c.kind === 'call' ? `${c.from ?? 'new'}>${c.call.state}` : c.kind)),
      ['new>dialing', 'dialing>ringing', 'ringing>established', 'established>held', 'held>established', 'established>ended'],
    );
    assert.deepEqual(state.calls, []);
  });

  it('answeredAt is set once, whatever path a call takes', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CALL_STATES), { maxLength: 30 }), (moves) => {
        const { state, clock } = phone(0);
        callIn(state, CallState.Dialing);
        let answeredAt: number | undefined;
        for (const to of moves) {
          clock.now += 1;
          const current = state.getCall('c1');
          if (!current) break;
          if (current.state !== to && !canMoveCall(current.state, to)) {
            assert.throws(() => state.moveCall('c1', to), IllegalTransitionError);
            continue;
          }
          const next = state.moveCall('c1', to);
          if (answeredAt === undefined && to === 'established') answeredAt = clock.now;
          assert.equal(next.answeredAt, answeredAt);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mute and remote changes patch a call without moving it, and are announced', () => {
    const { state, changes } = phone();
    callIn(state, CallState.Established);
    changes.length = 0;
    const muted = state.patchCall('c1', { muted: true, remote: { ...alice, displayName: 'Alice B.' } });
    assert.equal(muted.state, 'established');
    assert.equal(muted.muted, true);
    assert.deepEqual(changes, [{ kind: 'call', call: muted, from: 'established', calls: [muted] }]);
  });

  it('calls stay in the order they started; ended ones leave', () => {
    const { state } = phone();
    callIn(state, CallState.Established, 'first');
    callIn(state, CallState.Ringing, 'second');
    callIn(state, CallState.Held, 'third');
    assert.deepEqual(state.calls.map((c) => c.id), ['first', 'second', 'third']);
    state.moveCall('second', CallState.Ended, { endCause: 'declined' });
    assert.deepEqual(state.calls.map((c) => c.id), ['first', 'third']);
  });
});

describe('listeners', () => {
  it('hear every change, parked calls and notices included, until they unsubscribe', () => {
    const { state } = phone();
    const heard: string[] = [];
    const unsubscribe = state.subscribe((c) => heard.push(c.kind === 'notice' ? c.notice.type : c.kind));
    state.setRegistration(RegistrationState.Registering);
    callIn(state, CallState.Dialing);
    state.setParked([{ slot: '701', remote: alice, parkedAt: 5 }]);
    state.notify({ type: 'registering', server: 'ws://x' });
    assert.deepEqual(heard, ['registration', 'call', 'parked-changed', 'registering']);
    assert.deepEqual(state.parked, [{ slot: '701', remote: alice, parkedAt: 5 }]);
    unsubscribe();
    state.setRegistration(RegistrationState.Registered);
    state.moveCall('c1', CallState.Ended);
    assert.equal(heard.length, 4, 'nothing heard after unsubscribing');
  });

  it('a listener that unsubscribes while being told does not stop the others hearing it', () => {
    const state = new PhoneState();
    const heard: string[] = [];
    const off = state.subscribe(() => {
      heard.push('first');
      off();
    });
    state.subscribe(() => heard.push('second'));
    state.setRegistration(RegistrationState.Registering);
    state.setRegistration(RegistrationState.Registered);
    assert.deepEqual(heard, ['first', 'second', 'second']);
  });
});

describe("another tab's phone, mirrored", () => {
  it('takes the snapshots as given (no transition checks), announces only what differs, and drops an ended call', () => {
    const leader = new PhoneState(() => 5_000);
    const mirror = new PhoneState();
    const heard: PhoneChange[] = [];
    mirror.subscribe((c) => heard.push(c));
    // A tab that joins a registered phone goes straight to registered.
    mirror.mirror({ kind: 'registration', from: 'registering', to: 'registered', detail: { server: 'ws://s' } });
    assert.equal(mirror.registration, 'registered');
    const call = leader.addCall({ id: 'x', direction: 'inbound', state: CallState.Ringing, remote: alice });
    mirror.mirror({ kind: 'call', call, from: undefined, calls: [call] });
    mirror.mirror({ kind: 'call', call, from: undefined, calls: [call] });
    assert.equal(heard.filter((c) => c.kind === 'call').length, 1, 'the same snapshot twice is one change');
    assert.deepEqual(mirror.getCall('x'), call);
    const ended = leader.moveCall('x', CallState.Ended, { endCause: 'hangup' });
    mirror.mirror({ kind: 'call', call: ended, from: 'ringing', calls: [] });
    assert.deepEqual(mirror.calls, []);
    const last = heard.at(-1);
    assert.ok(last?.kind === 'call' && last.from === 'ringing' && last.call.endCause === 'hangup');
  });
});
