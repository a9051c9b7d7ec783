/** The monitor's DOM events: its own map (prefix `softphone-monitor-`), dispatched like the phone's. */
import type { ErrorCode } from '../errors.js';
import { emitEvent } from '../events.js';
import type { ConnectionState } from './types.js';

export interface SoftPhoneMonitorEventMap {
  /** The event stream's state changed; `attempt`: failed attempts in a row so far (0 once connected). */
  'softphone-monitor-connection': { state: ConnectionState; attempt: number };
  /** A bad `provisioning-url` (`INVALID_CONFIG`), or the server failing or refusing (`PROVISIONING_ERROR`). */
  'softphone-monitor-error': { code: ErrorCode; message: string };
}

export type SoftPhoneMonitorEventName = keyof SoftPhoneMonitorEventMap;

declare global {
  interface HTMLElementEventMap {
    'softphone-monitor-connection': CustomEvent<SoftPhoneMonitorEventMap['softphone-monitor-connection']>;
    'softphone-monitor-error': CustomEvent<SoftPhoneMonitorEventMap['softphone-monitor-error']>;
  }
}

export function emitMonitor<K extends SoftPhoneMonitorEventName>(target: EventTarget, name: K, detail: SoftPhoneMonitorEventMap[K]): boolean {
  return emitEvent<SoftPhoneMonitorEventMap, K>(target, name, detail);
}
