/**
 * Real-time registration state of extensions, read from Kamailio: its JSON-RPC `ul.dump` over HTTP
 * (jsonrpcs on the lab's WebSocket port, path /RPC). Kamailio keeps registrations in memory only,
 * so this is the one place that knows whether a phone is registered right now.
 */
import { request as httpRequest } from 'node:http';

export interface ContactInfo {
  uri: string;
  /** Seconds until the registration expires. */
  expires: number | null;
  userAgent?: string;
}

/** `user@domain` -> its registered contacts (only users that have any). */
export type RegistrationMap = Map<string, ContactInfo[]>;

export type RegistrationSource = () => Promise<RegistrationMap>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Collects every AoR of a `ul.dump` result, whatever the nesting
 * (`Domains[].Domain.AoRs[].Info.{AoR, Contacts[].Contact}` in Kamailio 5.x).
 */
export function parseUlDump(result: unknown): RegistrationMap {
  const out: RegistrationMap = new Map();
  const walk = (node: unknown, depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    if (!isRecord(node)) return;
    if (typeof node.AoR === 'string' && Array.isArray(node.Contacts)) {
      const contacts: ContactInfo[] = [];
      for (const c of node.Contacts) {
        const contact = isRecord(c) && isRecord(c.Contact) ? c.Contact : c;
        if (!isRecord(contact) || typeof contact.Address !== 'string') continue;
        const expires = typeof contact.Expires === 'number' ? contact.Expires : null;
        if (contact.Expires === 'expired' || contact.Expires === 'deleted') continue;
        const info: ContactInfo = { uri: contact.Address, expires };
        if (typeof contact['User-Agent'] === 'string') info.userAgent = contact['User-Agent'];
        contacts.push(info);
      }
      if (contacts.length > 0) out.set(node.AoR, [...(out.get(node.AoR) ?? []), ...contacts]);
      return;
    }
    for (const value of Object.values(node)) walk(value, depth + 1);
  };
  walk(result, 0);
  return out;
}

/**
 * One JSON-RPC call to Kamailio. A fresh connection per call (no keep-alive): Kamailio closes idle
 * HTTP connections, and a pooled socket it has closed fails the next request.
 */
export function kamailioRpc(url: string, method: string, params: unknown[] = [], timeoutMs = 2000): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: { result?: unknown; error?: { message?: string } };
          try {
            json = JSON.parse(text) as typeof json;
          } catch {
            reject(new Error(`Kamailio RPC ${url} ${method}: answered ${res.statusCode} without JSON`));
            return;
          }
          if (json.error) reject(new Error(`Kamailio RPC ${url} ${method}: ${json.error.message ?? 'error'}`));
          else resolve(json.result);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Kamailio RPC ${url} ${method}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads registrations from Kamailio's JSON-RPC endpoint(s), e.g. `http://127.0.0.1:8088/RPC`. */
export function kamailioRpcSource(urls: string | string[], timeoutMs = 2000): RegistrationSource {
  const list = Array.isArray(urls) ? urls : [urls];
  return async () => {
    const merged: RegistrationMap = new Map();
    for (const url of list) {
      const result = await kamailioRpc(url, 'ul.dump', [], timeoutMs);
      for (const [aor, contacts] of parseUlDump(result)) {
        merged.set(aor, [...(merged.get(aor) ?? []), ...contacts]);
      }
    }
    return merged;
  };
}

/**
 * Drops the registrations of `aors` (`user@domain`) from Kamailio's memory (`ul.rm`), so a deleted or
 * deactivated account stops receiving calls now instead of when its last registration expires.
 */
export async function dropRegistrations(urls: string | string[], aors: string[], timeoutMs = 2000): Promise<void> {
  const list = Array.isArray(urls) ? urls : [urls];
  for (const aor of aors) {
    // A server that does not hold the AoR answers an error: nothing to drop there.
    const results = await Promise.allSettled(list.map((url) => kamailioRpc(url, 'ul.rm', ['location', aor], timeoutMs)));
    if (results.every((r) => r.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason;
  }
}
