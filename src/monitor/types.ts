/**
 * What the provisioning API's supervisor view sends (API.md "Supervisor view"): `GET {url}/monitor`
 * and the `snapshot`, `server`, `extension` and `call` events of `GET {url}/monitor/events`.
 */

export interface MonitorServer {
  name: string;
  /** Its prefix in the group of linked servers, e.g. `11`. */
  prefix: string;
  /** Channels in use; null while the server cannot be asked. */
  concurrentCalls: number | null;
  /** The concurrent-call limit, 0 = none; null while the server cannot be asked. */
  limit: number | null;
  /** Calls sitting in a park slot of this server, linked servers' calls included. */
  parkedCalls: number;
  /** False while the server does not answer (absent: assumed online). */
  online?: boolean;
}

export interface MonitorCall {
  /** The SIP Call-ID (the same on both servers for a linked call). */
  id: string;
  direction: 'inbound' | 'outbound';
  /** The partner as this extension's phone sees it: a linked server's number with its prefix (`122099`). */
  remote: string;
  /** Epoch ms: when it was answered, or when it started ringing. */
  since: number;
  state: 'ringing' | 'established';
}

export interface MonitorExtension {
  number: string;
  server: string;
  registered: boolean;
  agent?: string;
  status?: string;
  calls: MonitorCall[];
}

export interface MonitorSnapshot {
  servers: MonitorServer[];
  extensions: MonitorExtension[];
}

/** The `data` of a `call` event: a call of one extension, `state: 'ended'` when it is gone. */
export interface MonitorCallChange {
  server: string;
  extension: string;
  call: MonitorCall | (Omit<MonitorCall, 'state'> & { state: 'ended' });
}

export type MonitorStreamEvent =
  | { event: 'snapshot'; data: MonitorSnapshot }
  | { event: 'server'; data: MonitorServer }
  | { event: 'extension'; data: MonitorExtension }
  | { event: 'call'; data: MonitorCallChange };

/**
 * The event stream's state, as the element shows it:
 * ```
 *   connecting --snapshot--> connected --error--> reconnecting --snapshot--> connected
 *                                                     |  ^
 *                          several failed attempts,   v  |  an attempt succeeds
 *                          or the browser is offline  offline (keeps trying, slower)
 * ```
 * `idle`: no (valid) `provisioning-url`, nothing to connect to.
 */
export const ConnectionState = {
  Idle: 'idle',
  Connecting: 'connecting',
  Connected: 'connected',
  Reconnecting: 'reconnecting',
  Offline: 'offline',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];
