/** The provisioning API's base URL, checked the same way by every element that talks to it. */
import { SoftPhoneError } from '../errors.js';
import { showValue as show } from '../core/show-value.js';

/** A URL as messages may show it: no user name, password, query or fragment. */
export function safeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * `provisioning-url` as a URL: absolute http(s), without credentials. Anything else is an
 * `INVALID_CONFIG` error naming the value (never a password written into it).
 */
export function checkProvisioningUrl(value: string): URL {
  let base: URL;
  try {
    base = new URL(value);
  } catch {
    throw new SoftPhoneError('INVALID_CONFIG', `provisioning-url ${show(value)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new SoftPhoneError('INVALID_CONFIG', `provisioning-url ${show(safeUrl(base))} must be http or https`);
  }
  if (base.username !== '' || base.password !== '') {
    // fetch refuses such URLs, and the credentials must not end up in a message.
    throw new SoftPhoneError(
      'INVALID_CONFIG',
      `provisioning-url ${show(safeUrl(base))} must not contain a user name or password; pass credentials in headers`,
    );
  }
  return base;
}
