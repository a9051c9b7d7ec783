import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkServers } from '../../src/core/servers.js';

describe('server URLs checked against the page', () => {
  it('ws:// and wss:// on an http:// page (or no page): all usable, in order', () => {
    const servers = ['ws://pbx.example.com:8088', 'wss://pbx2.example.com:8089/ws'];
    for (const protocol of ['http:', undefined]) {
      const r = checkServers(servers, protocol);
      assert.deepEqual(r.usable, servers);
      assert.deepEqual(r.errors, []);
    }
  });

  it('an https:// page: ws:// to a network host is left out with an INVALID_CONFIG naming it (mixed content); wss:// stays', () => {
    const r = checkServers(['ws://pbx.example.com:8088', 'wss://pbx.example.com:8089'], 'https:');
    assert.deepEqual(r.usable, ['wss://pbx.example.com:8089']);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.code, 'INVALID_CONFIG');
    assert.match(r.errors[0]!.message, /server "ws:\/\/pbx\.example\.com:8088" cannot be used from an https:\/\/ page.*mixed content.*wss:\/\//);
  });

  it('an https:// page: ws:// to loopback stays (browsers allow it: a secure origin)', () => {
    const servers = ['ws://127.0.0.1:8088', 'ws://localhost:8088', 'ws://phone.localhost:1', 'ws://[::1]:8088', 'ws://127.1.2.3:9'];
    assert.deepEqual(checkServers(servers, 'https:'), { usable: servers, errors: [] });
    // a name that merely starts like loopback is a network host
    assert.deepEqual(checkServers(['ws://127.0.0.1.example.com:8088'], 'https:').usable, []);
  });

  it('anything but a ws:// or wss:// URL is an INVALID_CONFIG naming it', () => {
    const r = checkServers(['http://pbx.example.com', 'pbx.example.com:8088', 'wss://ok.example.com'], 'http:');
    assert.deepEqual(r.usable, ['wss://ok.example.com']);
    assert.deepEqual(r.errors.map((e) => e.message), [
      'server "http://pbx.example.com" is not a ws:// or wss:// URL',
      'server "pbx.example.com:8088" is not a ws:// or wss:// URL',
    ]);
  });
});
