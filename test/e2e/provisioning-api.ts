/** The provisioning server's HTTP API as the tests call it: JSON in, status, parsed JSON and headers out. */
import type { Lab } from '../../lab/lab.js';
import type { ProvisioningServerOptions } from '../../lab/provisioning/server.js';

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

/** Requests against the server at `base`; `raw` sends a body as is, `headers` adds request headers. */
export function apiOf(base: string | (() => string)) {
  return async (method: string, path: string, body?: unknown, raw?: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch((typeof base === 'string' ? base : base()) + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
  };
}

/** Settings of a provisioning server for the lab's server1: its accounts database, domain, WebSocket and registrations (RPC). */
export function onServer1(lab: Lab): Pick<ProvisioningServerOptions, 'dbFile' | 'domain' | 'servers' | 'registrations'> {
  const s1 = lab.servers.server1;
  return { dbFile: lab.dbFile, domain: s1.domain, servers: [s1.wsUrl], registrations: `http://127.0.0.1:${s1.wsPort}/RPC` };
}
