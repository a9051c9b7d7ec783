import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SoftPhoneError } from '../../src/errors.js';
import { handleTelLinks, telNumber } from '../../src/tel-links.js';

describe('tel: links', () => {
  it('dials the number of a tel: URI without visual separators or parameters', () => {
    assert.equal(telNumber('tel:3999'), '3999');
    assert.equal(telNumber('tel:+48-22-555-0100'), '+48225550100');
    assert.equal(telNumber('TEL:(03) 5555.0100'), '0355550100');
    assert.equal(telNumber('tel:12-4000;phone-context=example.com'), '124000');
    assert.equal(telNumber('tel:%2B81%203%205555%200100'), '+81355550100');
    assert.equal(telNumber('tel:+1-201-555-0123;ext=1234'), '+12015550123');
  });

  it('is not a number for anything but a tel: URI', () => {
    assert.equal(telNumber('mailto:agent@example.com'), undefined);
    assert.equal(telNumber('https://example.com/tel:3999'), undefined);
    assert.equal(telNumber(''), undefined);
  });

  it('refuses a root or a phone it cannot use, naming the value', () => {
    const root = { addEventListener() {}, removeEventListener() {} } as unknown as Element;
    assert.throws(
      () => handleTelLinks(null as unknown as Element, { call: async () => undefined }),
      (e: unknown) => e instanceof SoftPhoneError && e.code === 'INVALID_CONFIG' && /root null/.test(e.message),
    );
    assert.throws(
      () => handleTelLinks(root, {} as unknown as { call(n: string): Promise<unknown> }),
      (e: unknown) => e instanceof SoftPhoneError && e.code === 'INVALID_CONFIG' && /phone \[object Object\] has no call\(\)/.test(e.message),
    );
  });
});
