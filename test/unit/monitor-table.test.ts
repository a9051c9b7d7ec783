/** The monitor element's data rules: events applied to a snapshot, filters, sorting, durations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyEvent,
  EMPTY,
  filterExtensions,
  formatDuration,
  linkedServerOf,
  parseStreamEvent,
  sortExtensions,
  statusesOf,
} from '../../src/monitor/table.js';
import type { MonitorCall, MonitorExtension, MonitorSnapshot } from '../../src/monitor/types.js';

const call = (id: string, since: number, more: Partial<MonitorCall> = {}): MonitorCall => ({ id, direction: 'inbound', remote: '4000', since, state: 'established', ...more });
const ext = (server: string, number: string, more: Partial<MonitorExtension> = {}): MonitorExtension => ({ number, server, registered: true, calls: [], ...more });
const servers = [
  { name: 'server1', prefix: '11', concurrentCalls: 0, limit: 0, parkedCalls: 0 },
  { name: 'server2', prefix: '12', concurrentCalls: 0, limit: 0, parkedCalls: 0 },
];
const base: MonitorSnapshot = {
  servers,
  extensions: [
    ext('server1', '3999', { agent: 'alice', status: 'available', calls: [call('a', 2000)] }),
    ext('server1', '4000', { agent: 'carol', status: 'break' }),
    ext('server2', '2099', { calls: [call('b', 1000, { remote: '113999' })] }),
    ext('server1', '650', { registered: false }),
  ],
};

describe('monitor table', () => {
  it('applies server, extension and call events without touching the snapshot before', () => {
    let s = applyEvent(EMPTY, { event: 'snapshot', data: base });
    s = applyEvent(s, { event: 'server', data: { ...servers[1]!, parkedCalls: 1 } });
    s = applyEvent(s, { event: 'call', data: { server: 'server1', extension: '4000', call: call('c', 3000, { state: 'ringing' }) } });
    s = applyEvent(s, { event: 'call', data: { server: 'server1', extension: '3999', call: { ...call('a', 2000), state: 'ended' } } });
    s = applyEvent(s, { event: 'extension', data: ext('server2', '2100') });
    assert.deepEqual(s.servers.map((x) => x.parkedCalls), [0, 1]);
    assert.deepEqual(s.extensions.find((x) => x.number === '4000')!.calls.map((c) => [c.id, c.state]), [['c', 'ringing']]);
    assert.deepEqual(s.extensions.find((x) => x.number === '3999')!.calls, []);
    assert.equal(s.extensions.at(-1)!.number, '2100', 'a new extension is added');
    assert.equal(base.extensions[0]!.calls.length, 1, 'the old snapshot is unchanged');
    // a call of an extension not listed yet lists it
    s = applyEvent(s, { event: 'call', data: { server: 'server2', extension: '2200', call: call('d', 5) } });
    assert.deepEqual(s.extensions.at(-1), { number: '2200', server: 'server2', registered: false, calls: [call('d', 5)] });
  });

  it('reads stream events and refuses malformed ones', () => {
    assert.deepEqual(parseStreamEvent('server', JSON.stringify(servers[0])), { event: 'server', data: servers[0] });
    assert.equal(parseStreamEvent('server', '{'), undefined);
    assert.equal(parseStreamEvent('extension', JSON.stringify({ number: '1', server: 's', calls: [{ id: 1 }] })), undefined);
    assert.equal(parseStreamEvent('snapshot', JSON.stringify({ servers: [] })), undefined);
    assert.equal(parseStreamEvent('other', '{}'), undefined);
    assert.equal(parseStreamEvent('call', JSON.stringify({ server: 's', extension: '1', call: call('x', 1) }))?.event, 'call');
  });

  it('filters by server, status and "on a call"', () => {
    const n = (f: Parameters<typeof filterExtensions>[1]) => filterExtensions(base.extensions, f).map((x) => x.number);
    assert.deepEqual(n({ server: 'server1', status: '', onCall: false }), ['3999', '4000', '650']);
    assert.deepEqual(n({ server: '', status: 'break', onCall: false }), ['4000']);
    assert.deepEqual(n({ server: '', status: '', onCall: true }), ['3999', '2099']);
    assert.deepEqual(n({ server: 'server1', status: '', onCall: true }), ['3999']);
    assert.deepEqual(statusesOf(base.extensions), ['available', 'break']);
  });

  it('sorts numbers as numbers, empty values last both ways, the longest call first by duration', () => {
    const n = (key: Parameters<typeof sortExtensions>[1], dir: 'ascending' | 'descending') => sortExtensions(base.extensions, key, dir).map((x) => x.number);
    assert.deepEqual(n('number', 'ascending'), ['650', '2099', '3999', '4000']);
    assert.deepEqual(n('number', 'descending'), ['4000', '3999', '2099', '650']);
    assert.deepEqual(n('agent', 'ascending'), ['3999', '4000', '2099', '650']);
    assert.deepEqual(n('agent', 'descending'), ['4000', '3999', '2099', '650']);
    assert.deepEqual(n('since', 'ascending'), ['2099', '3999', '4000', '650']);
    assert.deepEqual(n('registered', 'ascending'), ['650', '3999', '4000', '2099']);
  });

  it('formats durations and finds a partner\'s linked server by its prefix, as the dial plan does', () => {
    assert.deepEqual([0, 999, 65_000, 3_600_000 + 61_000, -5000].map(formatDuration), ['0:00', '0:00', '1:05', '1:01:01', '0:00']);
    assert.equal(linkedServerOf('122099', 'server1', servers)?.name, 'server2');
    assert.equal(linkedServerOf('12701', 'server1', servers)?.name, 'server2', 'a park slot on the linked server');
    assert.equal(linkedServerOf('122099', 'server2', servers), undefined, 'not its own server');
    assert.equal(linkedServerOf('4000', 'server1', servers), undefined);
    assert.equal(linkedServerOf('+48601234567', 'server1', servers), undefined);
    assert.equal(linkedServerOf('1260123456', 'server1', servers), undefined, 'too long for an extension: external');
    // the dial plan's rule: the rest is an extension (3-6 digits, not starting with 0), as the phones see it
    assert.equal(linkedServerOf('12123456', 'server1', servers)?.name, 'server2', 'a six-digit extension on the linked server');
    assert.equal(linkedServerOf('1299', 'server1', servers), undefined, 'two digits are no extension: our own 1299');
    assert.equal(linkedServerOf('120999', 'server1', servers), undefined, 'an extension does not start with 0');
    assert.equal(linkedServerOf('122099', 'server1', [{ ...servers[1]!, prefix: '' }]), undefined, 'a server without a prefix links nothing');
  });
});
