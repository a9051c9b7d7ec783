import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSettings, SettingsCache, type SettingsInput } from '../../src/core/settings.js';

const base: SettingsInput = {
  domain: 'server1.test',
  prefix: '11',
  linkedServers: '[{"prefix":"12","label":"Osaka"}]',
  callPolicy: {},
  parkSlots: '701-703',
  expires: 30,
  refresh: 15,
  callRecovery: 30,
};

describe('settings derived from the element properties', () => {
  it('good values: the dial plan, the policy and the slots, no errors', () => {
    const s = deriveSettings(base);
    assert.deepEqual(s.errors, []);
    assert.deepEqual(s.slots, ['701', '702', '703']);
    assert.equal(s.plan?.toTarget('12-2099').remote.server, 'Osaka');
  });

  it('each bad value is one INVALID_CONFIG naming it; the rest still works', () => {
    const s = deriveSettings({ ...base, prefix: '7', callPolicy: { outbound: { fly: true } }, parkSlots: '', expires: Number('abc') });
    assert.deepEqual(s.errors.map((e) => e.code), ['INVALID_CONFIG', 'INVALID_CONFIG', 'INVALID_CONFIG', 'INVALID_CONFIG']);
    assert.match(s.errors[0]!.message, /prefix "7"/);
    assert.match(s.errors[1]!.message, /fly/);
    assert.match(s.errors[2]!.message, /park-slots/);
    assert.match(s.errors[3]!.message, /expires "NaN"/);
    assert.deepEqual(s.policy, {});
    assert.deepEqual(s.slots, []);
    // a bad prefix leaves the plain plan of the domain: extensions still dial
    assert.equal(s.plan?.toTarget('4000').uri, 'sip:4000@server1.test');
  });

  it('call-recovery must be a whole number of seconds: the error names it and its value', () => {
    for (const bad of [0, -5, 2.5, Number('x')]) {
      const s = deriveSettings({ ...base, callRecovery: bad });
      assert.equal(s.errors.length, 1);
      assert.equal(s.errors[0]!.code, 'INVALID_CONFIG');
      assert.match(s.errors[0]!.message, new RegExp(`call-recovery "${String(bad)}"`));
    }
    assert.deepEqual(deriveSettings({ ...base, callRecovery: 5 }).errors, []);
  });

  it('no domain: no dial plan, and no error for it', () => {
    const s = deriveSettings({ ...base, domain: ' ' });
    assert.equal(s.plan, undefined);
    assert.deepEqual(s.errors, []);
  });

  it('the cache derives again exactly when an input changed', () => {
    const cache = new SettingsCache();
    const first = cache.get(base);
    assert.equal(cache.get({ ...base }), first, 'same values: same settings');
    const policy = { outbound: { park: true } };
    const second = cache.get({ ...base, callPolicy: policy });
    assert.notEqual(second, first);
    assert.equal(second.policy.outbound?.park, true);
    assert.equal(cache.get({ ...base, callPolicy: policy }), second);
    assert.deepEqual(cache.get({ ...base, callPolicy: policy, parkSlots: '705' }).slots, ['705']);
  });
});
