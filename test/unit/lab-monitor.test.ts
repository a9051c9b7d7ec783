/**
 * The supervisor's view from what Kamailio says (lab/provisioning/monitor.ts): dialogs of `dlg.list`
 * with the variables kamailio.cfg CALLS sets, turned into servers and extensions, and the events
 * between two snapshots. The channel counts themselves are Kamailio's (checked end to end in
 * test/e2e/monitor.test.ts); here: which extension a call belongs to, in which direction, with
 * which remote number, and what counts as parked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildSnapshot,
  diffSnapshots,
  mergeNodes,
  parseDlgList,
  parseSlots,
  type KamailioDialog,
  type MonitorServerConfig,
  type ServerState,
} from '../../lab/provisioning/monitor.js';

const S1: MonitorServerConfig = { name: 'server1', prefix: '11', domain: 'server1.test', rpc: 'http://127.0.0.1:1/RPC' };
const S2: MonitorServerConfig = { name: 'server2', prefix: '12', domain: 'server2.test', rpc: 'http://127.0.0.1:2/RPC' };
const park = parseSlots('701-720');

function dialog(d: Partial<KamailioDialog>): KamailioDialog {
  return { callId: 'c1', state: 4, initTs: 100, startTs: 102, caller: '', callee: '', a: 'local', b: 'local', tracked: true, ...d };
}

function state(config: MonitorServerConfig, dialogs: KamailioDialog[], registered: string[] = [], count = dialogs.length): ServerState {
  return { config, online: true, concurrentCalls: count, limit: 0, dialogs, registered: new Set(registered) };
}

describe('monitor: dlg.list', () => {
  it('reads the dialog variables kamailio.cfg sets (Kamailio 5.6 lists them as one-key objects)', () => {
    const [d] = parseDlgList([
      {
        'call-id': 'abc',
        from_uri: 'sip:3999@server1.test',
        to_uri: 'sip:122099@server1.test',
        state: 4,
        init_ts: 1796198821,
        start_ts: 1796198822,
        variables: [{ channels: '1' }, { b: 'peer' }, { a: 'local' }, { callee: '122099' }, { caller: '3999' }],
      },
    ]);
    assert.deepEqual(d, { callId: 'abc', state: 4, initTs: 1796198821, startTs: 1796198822, caller: '3999', callee: '122099', a: 'local', b: 'peer', tracked: true });
  });

  it('falls back to the From/To users for a dialog without variables, and reads an empty list', () => {
    const [d] = parseDlgList([{ 'call-id': 'x', from_uri: 'sip:4000@server1.test', to_uri: 'sip:4001@server1.test;user=phone', state: 2 }]);
    assert.deepEqual([d!.caller, d!.callee, d!.a, d!.b, d!.tracked], ['4000', '4001', 'local', 'local', false]);
    assert.deepEqual(parseDlgList(null), []);
  });
});

describe('monitor: snapshot', () => {
  it('a linked call: outbound on the caller with the callee as dialed (122099), inbound on the callee with the caller as its server shows it (113999), same id', () => {
    const snap = buildSnapshot(
      [
        state(S1, [dialog({ callId: 'L', caller: '3999', callee: '122099', a: 'local', b: 'peer' })], ['3999@server1.test']),
        state(S2, [dialog({ callId: 'L', caller: '113999', callee: '2099', a: 'peer', b: 'local' })], ['2099@server2.test']),
      ],
      [],
      [],
      park,
    );
    assert.deepEqual(snap.extensions, [
      { number: '3999', server: 'server1', registered: true, calls: [{ id: 'L', direction: 'outbound', remote: '122099', since: 102_000, state: 'established' }] },
      { number: '2099', server: 'server2', registered: true, calls: [{ id: 'L', direction: 'inbound', remote: '113999', since: 102_000, state: 'established' }] },
    ]);
  });

  it('an external call forwarded to the linked server belongs to no extension of the first server; the second shows the external number', () => {
    const snap = buildSnapshot(
      [
        state(S1, [dialog({ callId: 'X', caller: '+48601234567', callee: '122099', a: 'carrier', b: 'peer' })], [], 2),
        state(S2, [dialog({ callId: 'X', caller: '+48601234567', callee: '2099', a: 'peer', b: 'local' })], ['2099@server2.test'], 1),
      ],
      [],
      [],
      park,
    );
    assert.deepEqual(snap.servers.map((s) => s.concurrentCalls), [2, 1]);
    assert.deepEqual(snap.extensions.map((e) => [e.server, e.number, e.calls.map((c) => `${c.direction} ${c.remote}`)]), [['server2', '2099', ['inbound +48601234567']]]);
  });

  it('ringing calls since they started, answered ones since the answer', () => {
    const snap = buildSnapshot([state(S1, [dialog({ state: 2, startTs: 0, caller: '3999', callee: '4000' })])], [], [], park);
    assert.deepEqual(snap.extensions.map((e) => [e.number, e.calls[0]!.state, e.calls[0]!.since]), [
      ['3999', 'ringing', 100_000],
      ['4000', 'ringing', 100_000],
    ]);
  });

  it('parked calls: a call sitting in a slot of this server, from the linked server too; slots are not listed as extensions', () => {
    const snap = buildSnapshot(
      [
        state(
          S1,
          [
            dialog({ callId: 'P1', caller: '4000', callee: '701', a: 'local', b: 'local' }),
            dialog({ callId: 'P2', caller: '122099', callee: '702', a: 'peer', b: 'local' }),
            dialog({ callId: 'D', caller: '3999', callee: '4000', state: 5 }),
          ],
          ['701@server1.test', '702@server1.test', '4000@server1.test'],
        ),
        state(S2, [dialog({ callId: 'P2', caller: '2099', callee: '11702', a: 'local', b: 'peer' })]),
      ],
      [],
      [],
      park,
    );
    assert.deepEqual(snap.servers.map((s) => s.parkedCalls), [2, 0]);
    assert.deepEqual(snap.extensions.map((e) => `${e.server}/${e.number}: ${e.calls.map((c) => c.remote).join(',')}`), ['server1/4000: 701', 'server2/2099: 11702']);
  });

  it('agents and statuses from the store, store extensions listed while unregistered, a registration belongs to the server of its domain', () => {
    const snap = buildSnapshot(
      [state(S1, [], []), state(S2, [], ['100@server1.test'])],
      [{ extension: '100', agent: 'mia', status: 'break', server: 'server1' }],
      [
        { number: '100', server: 'server1' },
        { number: '101', server: 'server1' },
      ],
      park,
    );
    assert.deepEqual(snap.extensions, [
      { number: '100', server: 'server1', registered: true, agent: 'mia', status: 'break', calls: [] },
      { number: '101', server: 'server1', registered: false, calls: [] },
    ]);
  });
});

describe('monitor: events between snapshots', () => {
  const before = buildSnapshot([state(S1, [], ['3999@server1.test', '4000@server1.test'])], [], [], park);
  const during = buildSnapshot([state(S1, [dialog({ callId: 'C', caller: '3999', callee: '4000' })], ['3999@server1.test', '4000@server1.test'])], [], [], park);

  it('a new call: the server (count), each extension, then each side of the call', () => {
    assert.deepEqual(
      diffSnapshots(before, during).map((e) =>
        e.event === 'call'
          ? `call ${e.data.extension} ${e.data.call.state}`
          : e.event === 'server'
            ? `server ${e.data.name}`
            : e.event === 'extension'
              ? `extension ${e.data.number}`
              : e.event,
      ),
      ['server server1', 'extension 3999', 'extension 4000', 'call 3999 established', 'call 4000 established'],
    );
  });

  it('an ended call: its last state as ended; nothing when nothing changed', () => {
    const events = diffSnapshots(during, before).filter((e) => e.event === 'call');
    assert.deepEqual(events.map((e) => (e.event === 'call' ? [e.data.extension, e.data.call.id, e.data.call.state] : [])), [
      ['3999', 'C', 'ended'],
      ['4000', 'C', 'ended'],
    ]);
    assert.deepEqual(diffSnapshots(during, during), []);
  });

  it('an extension that left the list is sent once as unregistered', () => {
    const gone = buildSnapshot([state(S1, [], ['3999@server1.test'])], [], [], park);
    assert.deepEqual(diffSnapshots(before, gone), [{ event: 'extension', data: { number: '4000', server: 'server1', registered: false, calls: [] } }]);
  });

  it('a bad park range is an error naming it', () => {
    assert.throws(() => parseSlots('720-701'), /park slots "720-701"/);
  });
});

describe('monitor: a server of several nodes (cluster)', () => {
  const C1: MonitorServerConfig = { ...S1, rpc: ['http://127.0.0.1:1/RPC', 'http://127.0.0.1:3/RPC'] };
  it('one server: registrations of both nodes, each call once (the tracking node\'s copy), the shared count not added up', () => {
    const a = state(C1, [dialog({ callId: 'X', caller: '3999', callee: '4000' }), dialog({ callId: 'Y', caller: '4000', callee: '4001', tracked: false, a: 'local', b: 'local' })], ['4000@server1.test'], 2);
    const b = state(C1, [dialog({ callId: 'X', caller: '3999', callee: '4000', tracked: false }), dialog({ callId: 'Y', caller: '4002', callee: '122099', b: 'peer' })], ['3999@server1.test'], 2);
    const merged = mergeNodes(C1, [a, b]);
    assert.equal(merged.concurrentCalls, 2, 'every node has the whole server\'s count (DMQ): not 4');
    assert.deepEqual([...merged.registered].sort(), ['3999@server1.test', '4000@server1.test']);
    assert.deepEqual(merged.dialogs.map((d) => [d.callId, d.caller, d.callee, d.b]).sort(), [
      ['X', '3999', '4000', 'local'],
      ['Y', '4002', '122099', 'peer'],
    ]);
    const snap = buildSnapshot([merged], [], [], park);
    assert.deepEqual(snap.servers.map((s) => [s.name, s.concurrentCalls, s.online]), [['server1', 2, true]]);
  });

  it('a dead node: the server stays online with what the other says; all nodes dead: offline', () => {
    const down: ServerState = { config: C1, online: false, concurrentCalls: null, limit: null, dialogs: [], registered: new Set() };
    const up = state(C1, [dialog({ callId: 'X', caller: '3999', callee: '4000' })], ['3999@server1.test'], 1);
    const merged = mergeNodes(C1, [down, up]);
    assert.deepEqual([merged.online, merged.concurrentCalls, [...merged.registered]], [true, 1, ['3999@server1.test']]);
    assert.equal(mergeNodes(C1, [down, down]).online, false);
  });
});
