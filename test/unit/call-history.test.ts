import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HISTORY_LIMIT,
  addRecord,
  historyStorageKey,
  isMissed,
  parseHistory,
  recordFromCall,
  serializeHistory,
  talkSeconds,
  type CallRecord,
} from '../../src/core/call-history.js';
import { PhoneState } from '../../src/core/phone-state.js';
import { CallState, type EndCause, type RemoteParty } from '../../src/core/types.js';

const bob: RemoteParty = { number: '122099', kind: 'linked', prefix: '12', server: 'Osaka', displayName: 'Bob' };

function record(id: string, startedAt: number, extra: Partial<CallRecord> = {}): CallRecord {
  return { id, direction: 'inbound', remote: { number: '4000', kind: 'internal' }, startedAt, endedAt: startedAt + 5000, endCause: 'hangup', ...extra };
}

const END_CAUSES: EndCause[] = ['hangup', 'remote-hangup', 'declined', 'busy', 'no-answer', 'not-found', 'transferred', 'parked', 'replaced', 'failed', 'connection-lost'];

const remoteArb: fc.Arbitrary<RemoteParty> = fc.oneof(
  fc.record({ number: fc.string({ maxLength: 20 }), kind: fc.constantFrom('internal' as const, 'external' as const) }, { requiredKeys: ['number', 'kind'] }),
  fc.record({ number: fc.constant('122099'), kind: fc.constant('linked' as const), prefix: fc.constant('12'), server: fc.constant('Osaka'), displayName: fc.string() }, { requiredKeys: ['number', 'kind', 'prefix', 'server'] }),
);
const recordArb: fc.Arbitrary<CallRecord> = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 8 }),
    direction: fc.constantFrom('inbound' as const, 'outbound' as const),
    remote: remoteArb,
    startedAt: fc.nat(1e9),
    talk: fc.option(fc.nat(1e6)),
    ring: fc.nat(1e5),
    endCause: fc.constantFrom(...END_CAUSES),
  })
  .map(({ talk, ring, ...r }) => ({
    ...r,
    remote: { ...r.remote }, // fast-check may build null-prototype objects; stored records are plain
    ...(talk === null ? {} : { answeredAt: r.startedAt + ring }),
    endedAt: r.startedAt + ring + (talk ?? 0),
  }));

describe('call history', () => {
  it('Bob on Osaka called; the agent talked 42 s: the record keeps him as a linked extension call', () => {
    let now = 1_000;
    const state = new PhoneState(() => now);
    state.addCall({ id: 'c1', direction: 'inbound', state: CallState.Ringing, remote: bob });
    now = 3_000;
    state.moveCall('c1', CallState.Established);
    now = 45_000;
    const ended = state.moveCall('c1', CallState.Ended, { endCause: 'remote-hangup' });
    const rec = recordFromCall(ended);
    assert.deepEqual(rec, { id: 'c1', direction: 'inbound', remote: bob, startedAt: 1_000, answeredAt: 3_000, endedAt: 45_000, endCause: 'remote-hangup' });
    assert.equal(talkSeconds(rec!), 42);
    assert.equal(isMissed(rec!), false);
  });

  it('a measured call keeps its quality; it survives storage, and a malformed one is left out of the record', () => {
    let now = 1_000;
    const state = new PhoneState(() => now);
    state.addCall({ id: 'c1', direction: 'outbound', state: CallState.Dialing, remote: bob });
    state.moveCall('c1', CallState.Established);
    now = 9_000;
    const ended = state.moveCall('c1', CallState.Ended, { endCause: 'hangup' });
    const quality = { mosAvg: 3.9, mosMin: 2.4, warnings: ['high-packet-loss' as const, 'low-mos' as const] };
    const rec = recordFromCall(ended, quality)!;
    assert.deepEqual(rec.quality, quality);
    assert.deepEqual(parseHistory(serializeHistory([rec])), [rec]);
    assert.equal(recordFromCall(ended)!.quality, undefined);
    for (const bad of [
      { mosAvg: 3.9, mosMin: 4.2, warnings: [] },
      { mosAvg: 9, mosMin: 2, warnings: [] },
      { mosAvg: 3.9, mosMin: 2.4, warnings: ['crackle'] },
      { mosAvg: 3.9, mosMin: 2.4 },
      'good',
    ]) {
      const [back] = parseHistory(serializeHistory([{ ...rec, quality: bad as never }]));
      assert.ok(back, `the record with quality ${JSON.stringify(bad)} is kept`);
      assert.equal(back.quality, undefined, JSON.stringify(bad));
    }
  });

  it('a call still going is not recorded', () => {
    assert.equal(recordFromCall({ id: 'x', direction: 'outbound', state: 'established', remote: bob, muted: false, held: false, warnings: [], reconnecting: false, local: true, startedAt: 1 }), undefined);
  });

  it('an unanswered incoming call is missed; a declined one is not', () => {
    assert.equal(isMissed(record('a', 1, { endCause: 'remote-hangup' })), true);
    assert.equal(isMissed(record('b', 1, { endCause: 'declined' })), false);
    assert.equal(isMissed(record('c', 1, { direction: 'outbound', endCause: 'no-answer' })), false);
    assert.equal(talkSeconds(record('d', 1)), 0);
  });

  it('keeps the newest first and at most 100', () => {
    let list: CallRecord[] = [];
    for (let i = 0; i < 150; i++) list = addRecord(list, record(`c${i}`, i * 1000));
    assert.equal(list.length, HISTORY_LIMIT);
    assert.equal(list[0]!.id, 'c149');
    assert.equal(list.at(-1)!.id, 'c50');
  });

  it('a long call that started earlier but ended later goes where it started', () => {
    const list = addRecord(addRecord([], record('short', 2000)), record('long', 1000));
    assert.deepEqual(list.map((r) => r.id), ['short', 'long']);
  });

  it('the same call recorded twice is kept once, the later copy winning', () => {
    const list = addRecord(addRecord([], record('c1', 1000)), record('c1', 1000, { endCause: 'transferred' }));
    assert.equal(list.length, 1);
    assert.equal(list[0]!.endCause, 'transferred');
  });

  it('does not change the list it is given', () => {
    const list = Object.freeze([record('a', 1)]) as readonly CallRecord[];
    const next = addRecord(list, record('b', 2));
    assert.equal(list.length, 1);
    assert.equal(next.length, 2);
  });

  it('addRecord keeps order, uniqueness and the cap for any sequence of records', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 40 }), fc.integer({ min: 0, max: 30 }), (records, max) => {
        let list: CallRecord[] = [];
        for (const r of records) list = addRecord(list, r, max);
        assert.ok(list.length <= max);
        assert.equal(new Set(list.map((r) => r.id)).size, list.length);
        for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.startedAt >= list[i]!.startedAt);
      }),
      { numRuns: 2000 },
    );
  });

  it('storage keys are per extension and domain', () => {
    assert.equal(historyStorageKey('3999', 'Server1.test'), 'soft-phone:history:3999@server1.test');
    assert.notEqual(historyStorageKey('3999', 'server1.test'), historyStorageKey('4000', 'server1.test'));
  });
});

describe('stored history', () => {
  it('survives a save and a load unchanged', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 30 }), (records) => {
        let list: CallRecord[] = [];
        for (const r of records) list = addRecord(list, r);
        assert.deepEqual(parseHistory(serializeHistory(list)), list);
      }),
      { numRuns: 2000 },
    );
  });

  it('garbage in storage gives an empty history, never an exception', () => {
    for (const bad of ['', 'null', '{', '42', '"x"', '{"version":2,"records":[]}', '{"records":"no"}', undefined, null, 5]) {
      assert.deepEqual(parseHistory(bad as string), []);
    }
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify(v) ?? '')), (text) => {
        const list = parseHistory(text);
        assert.ok(Array.isArray(list) && list.length <= HISTORY_LIMIT);
      }),
      { numRuns: 5000 },
    );
  });

  it('malformed entries are dropped, good ones kept, unknown fields not carried', () => {
    const good = record('good', 1000);
    const stored = JSON.stringify([
      { ...good, secret: 'x', remote: { ...good.remote, html: '<b>' } },
      null,
      'text',
      { ...record('no-cause', 2), endCause: 'exploded' },
      { ...record('bad-time', 3), startedAt: -1 },
      { ...record('backwards', 4), endedAt: 1 },
      { ...record('answer-after-end', 5), answeredAt: 999_999 },
      { ...record('bad-kind', 6), remote: { number: '1', kind: 'alien' } },
      { ...record('linked-no-prefix', 7), remote: { number: '122099', kind: 'linked', server: 'Osaka' } },
      { ...record('bad-direction', 8), direction: 'sideways' },
      { ...record('', 9) },
    ]);
    assert.deepEqual(parseHistory(stored), [good]);
  });

  it('repeated ids keep the first (newest) copy; the list is re-sorted and capped', () => {
    const stored = JSON.stringify({ version: 1, records: [record('a', 1, { endCause: 'busy' }), record('b', 3), record('a', 2)] });
    assert.deepEqual(parseHistory(stored).map((r) => [r.id, r.endCause]), [['b', 'hangup'], ['a', 'busy']]);
    const many = JSON.stringify(Array.from({ length: 300 }, (_, i) => record(`c${i}`, i)));
    const loaded = parseHistory(many);
    assert.equal(loaded.length, 100);
    assert.equal(loaded[0]!.id, 'c299');
  });

  it('a display name from the network is kept as text', () => {
    const r = record('x', 1, { remote: { number: '4000', kind: 'internal', displayName: '<script>alert(1)</script>' } });
    assert.equal(parseHistory(serializeHistory([r]))[0]!.remote.displayName, '<script>alert(1)</script>');
  });
});
