import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkPrefixSet,
  createDialPlan,
  formatRemote,
  isExtension,
  parseLinkedServers,
  parseParkSlots,
  parsePrefix,
  type DialPlan,
} from '../../src/core/dial-plan.js';
import { SoftPhoneError } from '../../src/errors.js';
import type { LinkedServer, RemoteParty } from '../../src/core/types.js';

/** Tokyo is server 1 (prefix 11), Osaka server 2 (prefix 12), as in the lab and the seed. */
const tokyo = createDialPlan({ domain: 'server1.test', prefix: '11', linkedServers: [{ prefix: '12', label: 'Osaka' }] });
const osaka = createDialPlan({ domain: 'server2.test', prefix: '12', linkedServers: [{ prefix: '11', label: 'Tokyo' }] });

function throwsCode(fn: () => unknown, code: string, mentions?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SoftPhoneError, `expected a SoftPhoneError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (mentions !== undefined) assert.ok(e.message.includes(mentions), `message ${JSON.stringify(e.message)} names ${mentions}`);
    return true;
  });
}

/** Runs `fn`; anything thrown must be a SoftPhoneError with `code`. */
function onlySoftPhoneError<T>(fn: () => T, code: string): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof SoftPhoneError) || e.code !== code) throw e;
    return undefined;
  }
}

// ---------- generators ----------

const prefixArb = fc
  .integer({ min: 1, max: 98 })
  .filter((n) => n !== 7 && n !== 8 && n !== 9)
  .map(String);
const labelArb = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '');
const extensionArb = fc.stringMatching(/^[1-9][0-9]{2,5}$/);

/** A prefix-free set of prefixes: own (maybe) and linked servers with labels. */
const configArb = fc
  .record({
    prefixes: fc.uniqueArray(prefixArb, { maxLength: 6 }),
    labels: fc.array(labelArb, { minLength: 6, maxLength: 6 }),
    withOwn: fc.boolean(),
  })
  .map(({ prefixes, labels, withOwn }) => {
    const kept: string[] = [];
    for (const p of prefixes) if (kept.every((k) => !k.startsWith(p) && !p.startsWith(k))) kept.push(p);
    const [own, ...rest] = withOwn ? kept : [undefined, ...kept];
    const linkedServers: LinkedServer[] = rest.map((prefix, i) => ({ prefix: prefix!, label: labels[i]!.trim() }));
    return { domain: 'pbx.example', prefix: own, linkedServers };
  });

const separatorsArb = fc.array(fc.constantFrom('', '', '', ' ', '-', '.', ' - ', '  '), { minLength: 24, maxLength: 24 });

/** The separators put between the characters of a digit string. */
function spaced(digits: string, seps: readonly string[]): string {
  return [...digits].map((d, i) => (i === 0 ? d : (seps[i] ?? '') + d)).join('');
}

type Config = { domain: string; prefix?: string; linkedServers: LinkedServer[] };

/** A plan's config with a number it can dial, in digits (the generators are built once: fast). */
const configAndDigitsArb: fc.Arbitrary<[Config, string]> = fc
  .tuple(
    configArb,
    fc.nat({ max: 4 }),
    fc.nat(),
    extensionArb,
    fc.stringMatching(/^0[0-9]{2,12}$/),
    fc.stringMatching(/^\+[1-9][0-9]{2,14}$/),
    fc.stringMatching(/^[1-9][0-9]{6,12}$/),
  )
  .map(([config, which, pick, ext, national, e164, long]) => {
    const prefixes = [...(config.prefix ? [config.prefix] : []), ...config.linkedServers.map((s) => s.prefix)];
    const digits =
      which === 0 && prefixes.length ? prefixes[pick % prefixes.length]! + ext : [ext, national, e164, long, ext][which]!;
    return [config, digits];
  });

/** Strings near the shape of a number or address, to reach the edges of the rules. */
const nearNumberArb = fc.string({
  unit: fc.constantFrom(...'0123456789 -.()+@:;=sipabcxyz'.split(''), '＋', '－', '（', '）', '１', '２', 'ー', '\u3000', '\t'),
  maxLength: 24,
});

const anyStringArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  nearNumberArb,
  fc.string({ maxLength: 300 }),
);

// ---------- prefixes ----------

describe('prefixes (seed: 1-98 except 7, 8 and 9)', () => {
  it('accepts 11 and 12, the recommended prefixes, and every whole number 1-98 but 7, 8, 9', () => {
    assert.equal(parsePrefix('11'), '11');
    assert.equal(parsePrefix(' 12 '), '12');
    assert.equal(parsePrefix(12), '12');
    for (let n = 1; n <= 98; n++) {
      if (n === 7 || n === 8 || n === 9) throwsCode(() => parsePrefix(String(n)), 'INVALID_CONFIG', String(n));
      else assert.equal(parsePrefix(String(n)), String(n));
    }
  });

  it('treats no value as no prefix', () => {
    assert.equal(parsePrefix(undefined), undefined);
    assert.equal(parsePrefix(null), undefined);
    assert.equal(parsePrefix(''), undefined);
    assert.equal(parsePrefix('   '), undefined);
  });

  it('refuses 0, 99, leading zeros, signs, decimals and words, naming the value', () => {
    for (const bad of ['0', '99', '100', '011', '07', '+11', '-11', '1.5', '11a', 'eleven', '1 1', '１１', '1e1', '0x1']) {
      throwsCode(() => parsePrefix(bad), 'INVALID_CONFIG', JSON.stringify(bad));
    }
    throwsCode(() => parsePrefix(11.5), 'INVALID_CONFIG', '11.5');
    throwsCode(() => parsePrefix({}), 'INVALID_CONFIG');
  });

  it('agrees with a plain-arithmetic oracle on many thousands of random strings', () => {
    fc.assert(
      fc.property(fc.oneof(anyStringArb, fc.integer({ min: -5, max: 120 }).map(String)), (s) => {
        const t = s.trim();
        const n = Number(t);
        const valid = /^[0-9]+$/.test(t) && String(n) === t && n >= 1 && n <= 98 && n !== 7 && n !== 8 && n !== 9;
        const got = onlySoftPhoneError(() => parsePrefix(s), 'INVALID_CONFIG');
        if (t === '') assert.equal(got, undefined);
        else if (valid) assert.equal(got, t);
        else assert.equal(got, undefined);
      }),
      { numRuns: 10000 },
    );
  });
});

describe('linked servers', () => {
  it('reads the attribute JSON and the property array alike', () => {
    const expected = [{ prefix: '12', label: 'Osaka' }];
    assert.deepEqual(parseLinkedServers('[{"prefix":"12","label":"Osaka"}]'), expected);
    assert.deepEqual(parseLinkedServers([{ prefix: '12', label: ' Osaka ' }]), expected);
    assert.deepEqual(parseLinkedServers([{ prefix: 12, label: 'Osaka' }]), expected);
    assert.deepEqual(parseLinkedServers(''), []);
    assert.deepEqual(parseLinkedServers(undefined), []);
    assert.deepEqual(parseLinkedServers(null), []);
  });

  it('refuses bad JSON, bad shapes, bad prefixes and missing labels, naming the value', () => {
    throwsCode(() => parseLinkedServers('[{prefix: 12}'), 'INVALID_CONFIG', '[{prefix: 12}');
    throwsCode(() => parseLinkedServers('{"prefix":"12","label":"Osaka"}'), 'INVALID_CONFIG', 'not an array');
    throwsCode(() => parseLinkedServers(['12']), 'INVALID_CONFIG', '"12"');
    throwsCode(() => parseLinkedServers([{ prefix: '8', label: 'Nagoya' }]), 'INVALID_CONFIG', '"8"');
    throwsCode(() => parseLinkedServers([{ prefix: '12' }]), 'INVALID_CONFIG', 'no label');
    throwsCode(() => parseLinkedServers([{ prefix: '12', label: '  ' }]), 'INVALID_CONFIG', 'no label');
    throwsCode(() => parseLinkedServers([{ label: 'Osaka' }]), 'INVALID_CONFIG', 'no prefix');
    throwsCode(() => parseLinkedServers([{ prefix: '12', label: 'Osaka', lable: 'x' }]), 'INVALID_CONFIG', 'lable');
    throwsCode(() => parseLinkedServers(42), 'INVALID_CONFIG', '42');
  });

  it('refuses prefixes that repeat or that are prefixes of each other, naming both', () => {
    throwsCode(
      () => parseLinkedServers([{ prefix: '1', label: 'A' }, { prefix: '12', label: 'B' }]),
      'INVALID_CONFIG',
      '1 and 12',
    );
    throwsCode(() => parseLinkedServers([{ prefix: '12', label: 'A' }, { prefix: '12', label: 'B' }]), 'INVALID_CONFIG', '12');
    throwsCode(() => createDialPlan({ domain: 'd.test', prefix: '1', linkedServers: [{ prefix: '13', label: 'X' }] }), 'INVALID_CONFIG', '1 and 13');
    throwsCode(() => createDialPlan({ domain: 'd.test', prefix: '12', linkedServers: [{ prefix: '12', label: 'X' }] }), 'INVALID_CONFIG', '12');
  });

  it('never throws anything but INVALID_CONFIG, whatever the host sets', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.json(), fc.array(fc.record({ prefix: fc.oneof(prefixArb, fc.anything()), label: fc.anything() }), { maxLength: 5 })),
        (value) => {
          const servers = onlySoftPhoneError(() => parseLinkedServers(value), 'INVALID_CONFIG');
          if (servers) {
            for (const s of servers) {
              assert.equal(parsePrefix(s.prefix), s.prefix);
              assert.ok(s.label.trim() !== '');
            }
            checkPrefixSet(servers.map((s) => s.prefix));
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('accepts a set of prefixes exactly when none is a prefix of another', () => {
    fc.assert(
      fc.property(fc.array(prefixArb, { maxLength: 5 }), fc.boolean(), (prefixes, withOwn) => {
        const clash = prefixes.some((a, i) => prefixes.some((b, j) => i !== j && b.startsWith(a)));
        const [own, ...rest] = withOwn ? prefixes : [undefined, ...prefixes];
        const config = { domain: 'pbx.example', prefix: own, linkedServers: rest.map((prefix) => ({ prefix: prefix!, label: `S${prefix}` })) };
        const plan = onlySoftPhoneError(() => createDialPlan(config), 'INVALID_CONFIG');
        assert.equal(plan === undefined, clash);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a plan without a usable domain', () => {
    throwsCode(() => createDialPlan({ domain: '' }), 'INVALID_CONFIG', 'domain');
    throwsCode(() => createDialPlan({ domain: 'not a domain' }), 'INVALID_CONFIG', '"not a domain"');
    assert.equal(createDialPlan({ domain: 'Server1.Test' }).domain, 'server1.test');
  });
});

// ---------- dialing ----------

describe('dialing', () => {
  it('an agent on Tokyo dials 3999 and rings a colleague on the same server', () => {
    assert.deepEqual(tokyo.toTarget('3999'), { uri: 'sip:3999@server1.test', remote: { number: '3999', kind: 'internal' } });
  });

  it('an agent on Tokyo dials 12-2099 and reaches Bob on the Osaka server, through its own server', () => {
    const expected = {
      uri: 'sip:122099@server1.test',
      remote: { number: '122099', kind: 'linked', prefix: '12', server: 'Osaka' },
    };
    for (const typed of ['122099', '12-2099', '12 2099', ' 12 - 2099 ', '１２－２０９９', '12ー2099', '12.2099']) {
      assert.deepEqual(tokyo.toTarget(typed), expected, typed);
    }
    assert.equal(formatRemote(expected.remote as RemoteParty), '122099 · Osaka');
  });

  it('an agent on Osaka dials 113999 and reaches the Tokyo agent', () => {
    assert.deepEqual(osaka.toTarget('11-3999').remote, { number: '113999', kind: 'linked', prefix: '11', server: 'Tokyo' });
    assert.equal(osaka.toTarget('113999').uri, 'sip:113999@server2.test');
  });

  it('a number copied from another server with our own prefix reaches our own extension', () => {
    assert.deepEqual(tokyo.toTarget('113999'), { uri: 'sip:3999@server1.test', remote: { number: '3999', kind: 'internal' } });
  });

  it('outside numbers: with +, with a leading 0, with area code parentheses, or long', () => {
    const cases: Array<[string, string]> = [
      ['+81 3 1234 5678', '+81312345678'],
      ['+81 (0)3 1234 5678', '+81312345678'],
      ['+81-3-1234-5678', '+81312345678'],
      ['0312345678', '0312345678'],
      ['03-1234-5678', '0312345678'],
      ['(03) 1234-5678', '0312345678'],
      ['090 1234 5678', '09012345678'],
      ['０３（１２３４）５６７８', '0312345678'],
      ['5551234', '5551234'],
    ];
    for (const [typed, number] of cases) {
      assert.deepEqual(tokyo.toTarget(typed), { uri: `sip:${number}@server1.test`, remote: { number, kind: 'external' } }, typed);
    }
  });

  it('SIP addresses: ours by number or name, others external and dialed as written', () => {
    assert.deepEqual(tokyo.toTarget('sip:3999@server1.test'), { uri: 'sip:3999@server1.test', remote: { number: '3999', kind: 'internal' } });
    assert.deepEqual(tokyo.toTarget('sip:12-2099@Server1.test').remote.kind, 'linked');
    assert.deepEqual(tokyo.toTarget('sip:alice@server1.test'), {
      uri: 'sip:alice@server1.test',
      remote: { number: 'alice@server1.test', kind: 'internal' },
    });
    assert.deepEqual(tokyo.toTarget('SIPS:alice@Example.COM:5061;transport=tls'), {
      uri: 'sips:alice@example.com:5061;transport=tls',
      remote: { number: 'alice@example.com', kind: 'external' },
    });
    assert.deepEqual(tokyo.toTarget('bob@example.com'), { uri: 'sip:bob@example.com', remote: { number: 'bob@example.com', kind: 'external' } });
  });

  it('refuses anything else with INVALID_NUMBER naming what was typed', () => {
    for (const bad of ['', '   ', '12', '99', '0', '00', '+1', '+0123', 'abc', '12--', '-122099', '(03 1234', '((03)) 1234', '()1234', '12#34', '*2', 'sip:', 'sip:@host', 'sip:alice', 'alice@', 'sip:alice@exa mple.com', 'sip:alice@host?subject=x', 'tel:+8131234', '1'.repeat(21), 'x'.repeat(300)]) {
      throwsCode(() => tokyo.toTarget(bad), 'INVALID_NUMBER', JSON.stringify(bad.slice(0, 20)).slice(0, -1));
    }
    throwsCode(() => tokyo.toTarget(undefined as unknown as string), 'INVALID_NUMBER');
  });

  it('an extension is 3-6 digits not starting with 0', () => {
    assert.ok(isExtension('100') && isExtension('701') && isExtension('3999') && isExtension('999999'));
    assert.ok(!isExtension('99') && !isExtension('0123') && !isExtension('1234567') && !isExtension('12a'));
  });

  it('a linked prefix wins over a same-looking own extension, as the server routes it', () => {
    assert.equal(tokyo.toTarget('12345').remote.kind, 'linked');
    // too short to be prefix + extension: our own extension
    assert.deepEqual(tokyo.toTarget('1205').remote, { number: '1205', kind: 'internal' });
    assert.deepEqual(tokyo.toTarget('120').remote, { number: '120', kind: 'internal' });
  });

  it('never throws anything but INVALID_NUMBER, over many thousands of random strings and plans', () => {
    fc.assert(
      fc.property(configArb, anyStringArb, (config, input) => {
        const plan = createDialPlan(config);
        const target = onlySoftPhoneError(() => plan.toTarget(input), 'INVALID_NUMBER');
        if (target) {
          assert.match(target.uri, /^sips?:[^@\s]+@[^\s]+$/);
          assert.ok(['internal', 'linked', 'external'].includes(target.remote.kind));
          assert.equal(target.remote.kind === 'linked', target.remote.prefix !== undefined);
        }
      }),
      { numRuns: 20000 },
    );
  });

  it('never throws on anything at all, even values that are not strings', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        onlySoftPhoneError(() => tokyo.toTarget(input as string), 'INVALID_NUMBER');
      }),
      { numRuns: 2000 },
    );
  });

  it('separators do not change what is dialed', () => {
    fc.assert(
      fc.property(
        configAndDigitsArb,
        separatorsArb,
        ([config, digits], seps) => {
          const plan = createDialPlan(config);
          const typed = digits.startsWith('+') ? `+${spaced(digits.slice(1), seps)}` : spaced(digits, seps);
          assert.deepEqual(plan.toTarget(typed), plan.toTarget(digits));
        },
      ),
      { numRuns: 10000 },
    );
  });

  it('every linked result is a configured prefix followed by an extension, dialed at our own domain', () => {
    fc.assert(
      fc.property(
        configAndDigitsArb,
        ([config, digits]) => {
          const plan = createDialPlan(config);
          const { uri, remote } = plan.toTarget(digits);
          assert.equal(uri, `sip:${remote.number}@pbx.example`);
          if (remote.kind === 'linked') {
            const server = config.linkedServers.find((s) => s.prefix === remote.prefix);
            assert.ok(server);
            assert.equal(remote.server, server.label);
            assert.ok(isExtension(remote.number.slice(server.prefix.length)));
          }
        },
      ),
      { numRuns: 10000 },
    );
  });
});

// ---------- incoming ----------

describe('incoming callers', () => {
  it('Bob on Osaka calls Tokyo: the caller 122099 is shown as Osaka\'s 2099', () => {
    const bob = tokyo.classifyIncoming('122099', 'Bob', 'server1.test');
    assert.deepEqual(bob, { number: '122099', kind: 'linked', prefix: '12', server: 'Osaka', displayName: 'Bob' });
    assert.equal(formatRemote(bob), '122099 · Osaka');
  });

  it('the Tokyo agent calls Osaka: shown as 113999 with the Tokyo label, whatever the host says', () => {
    const remote = osaka.classifyIncoming('113999', '113999', 'server1.test');
    assert.deepEqual(remote, { number: '113999', kind: 'linked', prefix: '11', server: 'Tokyo', displayName: '113999' });
    assert.equal(formatRemote(remote), '113999 · Tokyo');
  });

  it('a colleague on our server is internal, an outside caller external', () => {
    assert.deepEqual(tokyo.classifyIncoming('4000', 'Carol', 'server1.test'), { number: '4000', kind: 'internal', displayName: 'Carol' });
    assert.deepEqual(tokyo.classifyIncoming('+81312345678'), { number: '+81312345678', kind: 'external' });
    assert.deepEqual(tokyo.classifyIncoming('0312345678'), { number: '0312345678', kind: 'external' });
  });

  it('named users: internal at our domain, external elsewhere; anonymous stays external', () => {
    assert.deepEqual(tokyo.classifyIncoming('alice', undefined, 'SERVER1.TEST'), { number: 'alice@server1.test', kind: 'internal' });
    assert.deepEqual(tokyo.classifyIncoming('alice', undefined, 'example.com'), { number: 'alice@example.com', kind: 'external' });
    assert.deepEqual(tokyo.classifyIncoming('anonymous', 'Anonymous', 'anonymous.invalid'), {
      number: 'anonymous@anonymous.invalid',
      kind: 'external',
      displayName: 'Anonymous',
    });
    assert.deepEqual(tokyo.classifyIncoming(''), { number: '', kind: 'external' });
  });

  it('a display name is carried as plain text, markup and all, without control characters', () => {
    const remote = tokyo.classifyIncoming('4000', '<img src=x onerror=alert(1)>\u0000\u0007 ');
    assert.equal(remote.displayName, '<img src=x onerror=alert(1)>');
    assert.equal(tokyo.classifyIncoming('4000', '   ').displayName, undefined);
  });

  it('never throws, whatever the network sends', () => {
    fc.assert(
      fc.property(configArb, anyStringArb, fc.option(anyStringArb), fc.option(anyStringArb), (config, user, name, host) => {
        const plan = createDialPlan(config);
        const remote = plan.classifyIncoming(user, name ?? undefined, host ?? undefined);
        assert.equal(typeof remote.number, 'string');
        assert.ok(['internal', 'linked', 'external'].includes(remote.kind));
        assert.equal(typeof formatRemote(remote), 'string');
      }),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (user, name, host) => {
        tokyo.classifyIncoming(user as string, name as string, host as string);
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------- round trips ----------

function roundTrip(plan: DialPlan, input: string): void {
  const target = onlySoftPhoneError(() => plan.toTarget(input), 'INVALID_NUMBER');
  if (!target) return;
  const { remote } = target;
  // what we show for a call we placed is what we show for a call from the same party
  assert.deepEqual(plan.classifyIncoming(remote.number), remote, `classify ${remote.number}`);
  // and dialing what is shown calls the same party again
  const again = plan.toTarget(remote.number);
  assert.deepEqual(again.remote, remote, `redial ${remote.number}`);
  if (!remote.number.includes('@')) assert.equal(again.uri, target.uri);
  // the display starts with the number and names the server for a linked party
  const shown = formatRemote(remote);
  assert.ok(shown.startsWith(remote.number));
  assert.equal(shown.includes(' · '), remote.kind === 'linked');
}

describe('classify and format round-trip', () => {
  it('for dialable numbers written with any separators', () => {
    fc.assert(
      fc.property(
        configAndDigitsArb,
        separatorsArb,
        ([config, digits], seps) => roundTrip(createDialPlan(config), spaced(digits, seps)),
      ),
      { numRuns: 10000 },
    );
  });

  it('for SIP addresses at our domain and elsewhere', () => {
    const userArb = fc.oneof(fc.stringMatching(/^[a-zA-Z0-9._+-]{1,12}$/), extensionArb, fc.stringMatching(/^1[0-9]{2,7}$/));
    const hostArb = fc.constantFrom('pbx.example', 'PBX.example', 'example.com', 'pbx.example:5060', '127.0.0.1', '[::1]:5062');
    fc.assert(
      fc.property(configArb, fc.constantFrom('sip:', 'sips:', ''), userArb, hostArb, fc.constantFrom('', ';transport=ws', ';lr'), (config, scheme, user, host, params) => {
        roundTrip(createDialPlan(config), `${scheme}${user}@${host}${params}`);
      }),
      { numRuns: 10000 },
    );
  });

  it('for random strings that happen to be dialable', () => {
    fc.assert(
      fc.property(configArb, anyStringArb, (config, input) => roundTrip(createDialPlan(config), input)),
      { numRuns: 10000 },
    );
  });
});

describe('formatting', () => {
  it('shows the number, with the server label for a linked party', () => {
    assert.equal(formatRemote({ number: '113999', kind: 'linked', prefix: '11', server: 'Tokyo' }), '113999 · Tokyo');
    assert.equal(formatRemote({ number: '3999', kind: 'internal', displayName: 'Alice' }), '3999');
    assert.equal(formatRemote({ number: '', kind: 'external', displayName: 'Unknown' }), 'Unknown');
  });
});

describe('park slots', () => {
  it('reads ranges and lists of slots', () => {
    assert.deepEqual(parseParkSlots('701-720'), Array.from({ length: 20 }, (_, i) => String(701 + i)));
    assert.deepEqual(parseParkSlots(' 701-703, 710 702 '), ['701', '702', '703', '710']);
  });

  it('refuses empty, backwards and non-extension slots, naming the value', () => {
    throwsCode(() => parseParkSlots(''), 'INVALID_CONFIG', 'park-slots');
    throwsCode(() => parseParkSlots('720-701'), 'INVALID_CONFIG', '"720-701"');
    throwsCode(() => parseParkSlots('70-72'), 'INVALID_CONFIG', '"70-72"');
    throwsCode(() => parseParkSlots('701-abc'), 'INVALID_CONFIG', '"701-abc"');
    throwsCode(() => parseParkSlots('100-999999'), 'INVALID_CONFIG', '1000');
  });

  it('never throws anything but INVALID_CONFIG', () => {
    fc.assert(
      fc.property(fc.oneof(anyStringArb, fc.anything()), (value) => {
        const slots = onlySoftPhoneError(() => parseParkSlots(value), 'INVALID_CONFIG');
        if (slots) for (const s of slots) assert.ok(isExtension(s));
      }),
      { numRuns: 5000 },
    );
  });
});
