/**
 * baresip's ctrl_tcp framing as the lab's desk-phone driver speaks it (lab/desk-phone.ts): netstrings
 * `<length>:<payload>,`, the length in bytes (not characters), several per chunk or one split over
 * chunks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { netstring, parseNetstrings } from '../../lab/desk-phone.js';

describe('lab desk phone: netstrings', () => {
  it('frames by byte length', () => {
    assert.equal(netstring('{"command":"dial"}'), '18:{"command":"dial"},');
    assert.equal(netstring('é'), '2:é,');
  });

  it('splits several messages and keeps an incomplete rest', () => {
    const all = Buffer.from(netstring('{"a":1}') + netstring('{"event":true,"type":"CALL_CLOSED"}') + '40:{"partial"');
    const { messages, rest } = parseNetstrings(all);
    assert.deepEqual(messages, ['{"a":1}', '{"event":true,"type":"CALL_CLOSED"}']);
    assert.equal(rest.toString(), '40:{"partial"');
  });

  it('a message split over chunks comes out whole once complete', () => {
    const text = netstring('{"param":"Zürich ☎"}');
    const bytes = Buffer.from(text);
    let buf: Buffer = Buffer.alloc(0);
    const got: string[] = [];
    for (const [from, to] of [[0, 3], [3, 9], [9, bytes.length]] as const) {
      buf = Buffer.concat([buf, bytes.subarray(from, to)]);
      const r = parseNetstrings(buf);
      if (to < bytes.length) assert.deepEqual(r.messages, [], `nothing complete after ${to} bytes`);
      got.push(...r.messages);
      buf = r.rest;
    }
    assert.equal(buf.length, 0);
    assert.deepEqual(got, ['{"param":"Zürich ☎"}']);
  });

  it('a bad length is an error, not a hang', () => {
    assert.throws(() => parseNetstrings(Buffer.from('x1:a,')), /bad netstring length/);
  });
});
