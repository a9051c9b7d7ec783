import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { orderExtensions, parseExtensionList, type ExtensionEntry } from '../../src/core/extension-list.js';
import { SoftPhoneError } from '../../src/errors.js';

const personal: ExtensionEntry = { number: '101', kind: 'personal', label: 'Dana Levi' };
const virtualExt: ExtensionEntry = { number: '950', kind: 'virtual', label: 'virtual', mobile: '0521234567' };
const desk7: ExtensionEntry = { number: '107', kind: 'shared', label: 'Desk 7' };
const desk3: ExtensionEntry = { number: '103', kind: 'shared', label: 'Desk 3' };

describe('the agent login list', () => {
  it('shows personal, then "mobile <number>", then the others, although the server sent them shuffled', () => {
    const ordered = orderExtensions([desk7, virtualExt, desk3, personal]);
    assert.deepEqual(
      ordered.map((e) => [e.number, e.label]),
      [
        ['101', 'Dana Levi'],
        ['950', 'mobile 0521234567'],
        ['107', 'Desk 7'],
        ['103', 'Desk 3'],
      ],
    );
  });

  it('keeps the server order of the other extensions and does not change the input', () => {
    const input = [desk3, personal, desk7];
    const snapshot = structuredClone(input);
    const ordered = orderExtensions(input);
    assert.deepEqual(ordered.map((e) => e.number), ['101', '103', '107']);
    assert.deepEqual(input, snapshot);
  });

  it('works without a personal or a virtual extension', () => {
    assert.deepEqual(orderExtensions([desk7, desk3]).map((e) => e.number), ['107', '103']);
    assert.deepEqual(orderExtensions([desk7, virtualExt]).map((e) => e.number), ['950', '107']);
    assert.deepEqual(orderExtensions([]), []);
  });

  it("uses the host's knowledge of the agent's numbers over the server's marks", () => {
    const unmarked: ExtensionEntry[] = [
      { number: '103', kind: 'shared', label: 'Desk 3' },
      { number: '960', kind: 'shared', label: '' },
      { number: '101', kind: 'shared', label: 'Dana' },
      // Someone else's personal extension as the server saw it: for this agent it is "other".
      { number: '120', kind: 'personal', label: 'Noa' },
    ];
    const ordered = orderExtensions(unmarked, { personal: '101', virtual: '960', mobile: '+972521112222' });
    assert.deepEqual(
      ordered.map((e) => [e.number, e.kind, e.label]),
      [
        ['101', 'personal', 'Dana'],
        ['960', 'virtual', 'mobile +972521112222'],
        ['103', 'shared', 'Desk 3'],
        ['120', 'shared', 'Noa'],
      ],
    );
  });

  it('lets the UI localize the virtual label', () => {
    const [first] = orderExtensions([virtualExt], { mobileLabel: (m) => `נייד ${m}` });
    assert.equal(first?.label, 'נייד 0521234567');
  });

  it('for any server order: personal first, virtual second, the rest in server order', () => {
    const entry = fc.record({
      number: fc.integer({ min: 100, max: 999 }).map(String),
      kind: fc.constantFrom('personal' as const, 'virtual' as const, 'shared' as const),
      label: fc.string(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.number, maxLength: 12 }), (list) => {
        const ordered = orderExtensions(list);
        const rank = (k: string) => (k === 'personal' ? 0 : k === 'virtual' ? 1 : 2);
        for (let i = 1; i < ordered.length; i++) {
          assert.ok(rank(ordered[i - 1]!.kind) <= rank(ordered[i]!.kind));
        }
        const others = list.filter((e) => e.kind === 'shared').map((e) => e.number);
        assert.deepEqual(ordered.filter((e) => e.kind === 'shared').map((e) => e.number), others);
        assert.equal(ordered.length, list.length);
      }),
    );
  });
});

describe("checking the server's extension list", () => {
  it('accepts a good list and drops unknown fields and duplicate numbers', () => {
    const list = parseExtensionList([
      { number: '101', kind: 'personal', label: 'Dana', extra: 1 },
      { number: '950', kind: 'virtual', label: 'x', mobile: '+972521234567' },
      { number: '101', kind: 'shared', label: 'again' },
    ]);
    assert.deepEqual(list, [
      { number: '101', kind: 'personal', label: 'Dana' },
      { number: '950', kind: 'virtual', label: 'x', mobile: '+972521234567' },
    ]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not a list', { extensions: [] }, /expected an array/],
    ['an item that is not an object', ['101'], /item 0 is "101"/],
    ['a number that is a number', [{ number: 101, kind: 'shared', label: '' }], /item 0 has number 101/],
    ['a number with letters', [{ number: '10a', kind: 'shared', label: '' }], /"10a"/],
    ['an unknown kind', [{ number: '101', kind: 'hotdesk', label: '' }], /kind "hotdesk"/],
    ['a missing label', [{ number: '101', kind: 'shared' }], /label missing/],
    ['a bad mobile', [{ number: '950', kind: 'virtual', label: '', mobile: 'call me' }], /mobile "call me"/],
  ];
  for (const [what, data, message] of bad) {
    it(`rejects ${what} with PROVISIONING_ERROR naming the value`, () => {
      assert.throws(
        () => parseExtensionList(data),
        (e: unknown) => e instanceof SoftPhoneError && e.code === 'PROVISIONING_ERROR' && message.test(e.message),
      );
    });
  }
});
