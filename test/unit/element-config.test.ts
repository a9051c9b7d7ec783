// The element's properties as the engine sees them: what is missing, what is bad, what changes the configuration.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { autoRegisterConverter, configKey, PhoneConfig, type ConfigSource } from '../../src/element/config.js';

const props = (over: Partial<ConfigSource> = {}): ConfigSource => ({
  server: 'ws://127.0.0.1:8088 ws://127.0.0.1:8090',
  domain: 'server1.test',
  extension: ' 4001 ',
  authUser: '',
  displayName: '',
  expires: 30,
  refresh: 15,
  callRecovery: 30,
  prefix: '11',
  linkedServers: '[{"prefix":"12","label":"Osaka"}]',
  parkSlots: '701-703',
  iceServers: [],
  callPolicy: {},
  qualityThresholds: {},
  engineOptions: {},
  theme: 'auto',
  ...over,
});
const password = { text: 'secret', version: 1 };

describe('element configuration', () => {
  it('a complete configuration: servers in failover order, the auth user defaulting to the extension, the password passed on', () => {
    const config = new PhoneConfig(props()).engine(password, { microphone: 'mic' })!;
    assert.deepEqual(config.servers, ['ws://127.0.0.1:8088', 'ws://127.0.0.1:8090']);
    assert.equal(config.authUser, '4001');
    assert.equal(config.password, 'secret');
    assert.equal(config.microphone, 'mic');
    assert.equal(config.classify?.('122099').server, 'Osaka');
  });

  it('a missing domain: no configuration, and the reason names what is not set', () => {
    const c = new PhoneConfig(props({ domain: ' ', extension: '' }));
    assert.equal(c.engine(password, {}), undefined);
    assert.match(c.missing().message, /domain, extension not set/);
  });

  it('a property set right before a method is in force at once (policy, slots, plan)', () => {
    const source = props();
    const c = new PhoneConfig(source);
    assert.deepEqual(c.slots(), ['701', '702', '703']);
    source.parkSlots = '801';
    source.callPolicy = { outbound: { park: true } };
    assert.deepEqual(c.slots(), ['801']);
    assert.deepEqual(c.policy(), { outbound: { park: true } });
  });

  it('bad values: one INVALID_CONFIG each, naming the value, from the settings, the servers, the thresholds and extra checks', () => {
    const c = new PhoneConfig(props({ server: 'http://x', prefix: '7', qualityThresholds: { lossPct: -1 }, theme: 'purple' }));
    const messages = c.errors([() => { throw new Error('provisioning-url "x" is not a URL'); }]).map((e) => `${e.code} ${e.message}`);
    assert.equal(messages.length, 5);
    assert.ok(messages.every((m) => m.startsWith('INVALID_CONFIG')));
    assert.ok(messages.some((m) => m.includes('"7"')));
    assert.ok(messages.some((m) => m.includes('http://x')));
    assert.ok(messages.some((m) => m.includes('lossPct')));
    assert.ok(messages.includes('INVALID_CONFIG theme "purple" must be one of auto, light, dark'), messages.join('; '));
    assert.equal(c.thresholds().lossPct, 3, 'the defaults apply while the override is bad');
  });

  it('the configuration key changes with the password version, never carries the password text', () => {
    const config = new PhoneConfig(props()).engine(password, {})!;
    const key = configKey(config, password);
    assert.ok(!key.includes('secret'));
    assert.equal(configKey(config, { text: 'secret', version: 1 }), key);
    assert.notEqual(configKey(config, { text: 'secret', version: 2 }), key);
  });

  it('auto-register is on unless the attribute says false, off, no or 0', () => {
    assert.deepEqual([null, '', 'true', 'FALSE', ' off ', 'no', '0', 'yes'].map((v) => autoRegisterConverter.fromAttribute(v)), [true, true, true, false, false, false, false, true]);
  });
});
