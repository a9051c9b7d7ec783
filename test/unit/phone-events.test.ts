// From the phone's state changes to the element's DOM events, without a DOM: a PhoneState drives
// PhoneEvents the way the engine drives the element.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PhoneState } from '../../src/core/phone-state.js';
import { CONNECTION_LOST_MESSAGE, PhoneEvents, type PhoneOutcome } from '../../src/element/phone-events.js';

const remote = { number: '4002', kind: 'internal' as const };
const quality = { mos: 4.3, rttMs: 20, jitterMs: 2, lossPct: 0, lossPctOut: 0, audioLevelIn: 0.1, audioLevelOut: 0.1 };

/** A phone whose every change goes through PhoneEvents; `outcomes` keeps what each change gave. */
function phone(): { state: PhoneState; outcomes: PhoneOutcome[]; names: () => string[] } {
  const state = new PhoneState();
  const events = new PhoneEvents();
  const outcomes: PhoneOutcome[] = [];
  state.subscribe((change) =>
    outcomes.push(
      events.next(change, { registration: state.registration, calls: state.calls, firstServer: 'ws://a', aor: '4001@server1.test', expires: 30 }),
    ),
  );
  return { state, outcomes, names: () => outcomes.flatMap((o) => o.events.map((e) => e.name.replace('softphone-', ''))) };
}

describe('phone events', () => {
  it('registering, registered, the connection lost and restored: the events a host sees, in order', () => {
    const { state, outcomes, names } = phone();
    state.setRegistration('registering');
    state.setRegistration('registered', { expires: 25 });
    state.setRegistration('connection-lost');
    state.notify({ type: 'registering', server: 'ws://b' });
    state.setRegistration('registered', { server: 'ws://b' });
    assert.deepEqual(names(), ['registering', 'registered', 'connection-lost', 'registering', 'registered', 'connection-restored']);
    assert.deepEqual(outcomes[1]!.events[0]!.detail, { aor: '4001@server1.test', server: 'ws://a', expires: 25 });
    assert.deepEqual(outcomes[2]!.events[0]!.detail, { message: CONNECTION_LOST_MESSAGE });
    assert.equal(outcomes[1]!.registered, true);
  });

  it('an incoming call rings, is answered, held, resumed and hung up: each change once, the end recorded', () => {
    const { state, outcomes, names } = phone();
    state.addCall({ id: 'c1', direction: 'inbound', state: 'ringing', remote });
    assert.equal(outcomes.at(-1)!.announce?.id, 'c1', 'the ringing call is announced');
    state.moveCall('c1', 'established');
    assert.equal(outcomes.at(-1)!.announce, null, 'the announcement clears once nothing rings');
    state.moveCall('c1', 'held');
    state.moveCall('c1', 'established');
    state.moveCall('c1', 'established', { muted: true });
    state.moveCall('c1', 'ended', { endCause: 'hangup' });
    assert.deepEqual(names(), [
      'call-state', 'incoming-call',
      'call-state', 'call-established',
      'call-state', 'call-held',
      'call-state', 'call-resumed',
      'call-state',
      'call-state', 'call-ended',
    ]);
    const end = outcomes.at(-1)!;
    assert.equal(end.lastEnded?.endCause, 'hangup');
    assert.equal(end.idle, true);
    assert.equal(end.record?.call.id, 'c1');
  });

  it('quality: figures alone fire nothing; a warning fires once when it starts and once when it ends; the end carries the summary', () => {
    const { state, outcomes, names } = phone();
    state.addCall({ id: 'c1', direction: 'outbound', state: 'established', remote });
    state.setQuality('c1', quality, []);
    state.setQuality('c1', { ...quality, mos: 4.2 }, []);
    state.setQuality('c1', { ...quality, mos: 2.5 }, ['low-mos']);
    state.setQuality('c1', { ...quality, mos: 2.4 }, ['low-mos']);
    state.setQuality('c1', quality, []);
    state.moveCall('c1', 'ended', { endCause: 'hangup' });
    assert.deepEqual(names(), ['call-state', 'call-established', 'call-quality', 'call-quality', 'call-state', 'call-ended']);
    assert.deepEqual(outcomes.slice(1, 6).map((o) => o.render), [true, false, true, false, true], 'a render only for a warning or other bars');
    const ended = outcomes.at(-1)!.events.at(-1)!;
    assert.equal(ended.name, 'softphone-call-ended');
    assert.equal((ended.detail as { quality?: { mosMin: number } }).quality?.mosMin, 2.4);
  });

  it('reconnecting calls are remembered until they are back or end; notices become events of the same name', () => {
    const { state } = phone();
    const events = new PhoneEvents();
    const call = state.addCall({ id: 'c1', direction: 'outbound', state: 'established', remote });
    const ctx = { registration: state.registration, calls: state.calls, firstServer: '', aor: '', expires: 30 };
    const out = events.next({ kind: 'notice', notice: { type: 'call-reconnecting', call, reason: 'media' } }, ctx);
    assert.deepEqual(out.events, [{ name: 'softphone-call-reconnecting', detail: { call, reason: 'media' } }]);
    assert.equal(events.reconnectReason('c1'), 'media');
    events.next({ kind: 'notice', notice: { type: 'call-reconnected', call } }, ctx);
    assert.equal(events.reconnectReason('c1'), undefined);
    assert.equal(events.next({ kind: 'notice', notice: { type: 'microphone-fallback', call } }, ctx).micFallback, true);
    assert.deepEqual(events.next({ kind: 'notice', notice: { type: 'parked-changed', parked: [] } }, ctx).events, []);
  });
});
