/**
 * The `server` value checked before the phone connects: each URL must be ws:// or wss://, and a
 * page served over https:// cannot use ws:// at all. The browser refuses to open an insecure
 * WebSocket from a secure page (mixed content: `new WebSocket('ws://...')` throws SecurityError),
 * so such a server would fail forever behind an endless reconnect loop; instead it is reported once
 * as an `INVALID_CONFIG` error naming the URL, and left out. Loopback hosts (127.0.0.0/8,
 * localhost, [::1]) are exempt: browsers count them as secure origins and allow ws:// to them.
 */
import { SoftPhoneError } from '../errors.js';
import { showValue } from './show-value.js';

export interface CheckedServers {
  /** The URLs the phone may use, in the given (failover) order. */
  readonly usable: string[];
  /** One INVALID_CONFIG error per URL left out. */
  readonly errors: SoftPhoneError[];
}

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/**
 * `servers`: the URLs as the host gave them; `pageProtocol`: the page's `location.protocol`
 * (`'https:'`, `'http:'`, or undefined outside a browser).
 */
export function checkServers(servers: readonly string[], pageProtocol: string | undefined): CheckedServers {
  const usable: string[] = [];
  const errors: SoftPhoneError[] = [];
  for (const server of servers) {
    let url: URL | undefined;
    try {
      url = new URL(server);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:')) {
      errors.push(new SoftPhoneError('INVALID_CONFIG', `server ${showValue(server)} is not a ws:// or wss:// URL`));
      continue;
    }
    if (url.protocol === 'ws:' && pageProtocol === 'https:' && !isLoopback(url.hostname)) {
      errors.push(
        new SoftPhoneError(
          'INVALID_CONFIG',
          `server ${showValue(server)} cannot be used from an https:// page: the browser blocks ws:// there (mixed content); use wss://`,
        ),
      );
      continue;
    }
    usable.push(server);
  }
  return { usable, errors };
}
