import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { showValue } from '../../src/core/show-value.js';

describe('a value in an error message', () => {
  it('is its JSON', () => {
    assert.equal(showValue('12ab'), '"12ab"');
    assert.equal(showValue({ a: [1, 2] }), '{"a":[1,2]}');
  });

  it('names a missing value in the caller\'s words, else as undefined', () => {
    assert.equal(showValue(undefined, 'missing'), 'missing');
    assert.equal(showValue(undefined), 'undefined');
    assert.equal(showValue(null, 'missing'), 'null');
  });

  it('is cut to 60 characters', () => {
    const text = showValue('x'.repeat(100));
    assert.equal(text.length, 60);
    assert.ok(text.endsWith('...'));
  });

  it('falls back to text for what JSON cannot show', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(showValue(cyclic), '[object Object]');
    assert.equal(showValue(10n), '10');
  });
});
