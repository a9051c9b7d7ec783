// Keyboard shortcut values: off unless set, the defaults for `true`, keys of the host's own, and bad values named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SHORTCUTS, parseShortcuts, shortcutFor } from '../../src/element/shortcuts.js';

const key = (code: string, key: string, mods: Partial<KeyboardEvent> = {}): KeyboardEvent =>
  ({ code, key, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...mods }) as KeyboardEvent;

describe('keyboard shortcuts', () => {
  it('off: false, null and absent give no keys', () => {
    for (const v of [false, null, undefined]) assert.equal(parseShortcuts(v).size, 0);
  });

  it('true: the five defaults, matched by the physical key whatever the modifiers type', () => {
    const table = parseShortcuts(true);
    assert.equal(table.size, Object.keys(DEFAULT_SHORTCUTS).length);
    assert.equal(shortcutFor(table, key('KeyA', 'Å', { altKey: true, shiftKey: true })), 'answer');
    assert.equal(shortcutFor(table, key('KeyA', 'a', { altKey: true })), undefined, 'Shift is part of the key');
  });

  it("the host's own keys, named keys and Control spelled out", () => {
    const table = parseShortcuts({ answer: 'F2', hangup: 'Control+4' });
    assert.equal(shortcutFor(table, key('F2', 'F2')), 'answer');
    assert.equal(shortcutFor(table, key('Digit4', '$', { ctrlKey: true })), 'hangup');
    assert.equal(table.size, 2);
  });

  it('bad values: INVALID_CONFIG naming the value', () => {
    assert.throws(() => parseShortcuts({ answer: 'Hyper+Q' }), /INVALID_CONFIG|shortcuts\.answer "Hyper\+Q"/);
    assert.throws(() => parseShortcuts({ fly: 'F3' }), /"fly" is not one of answer, hangup, mute, hold, dialpad/);
    assert.throws(() => parseShortcuts('yes'), /shortcuts "yes"/);
  });
});
