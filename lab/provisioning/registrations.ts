/**
 * Real-time registration state of extensions, read from Kamailio: its JSON-RPC `ul.dump` over HTTP
 * (jsonrpcs on the lab's WebSocket port, path /RPC). Kamailio keeps registrations in memory only,
 * so this is the one place that knows whether a phone is registered right now.
 */

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

/** Reads registrations from Kamailio's JSON-RPC endpoint(s), e.g. `http://127.0.0.1:8088/RPC`. */
export function kamailioRpcSource(urls: string | string[], timeoutMs = 2000): RegistrationSource {
  const list = Array.isArray(urls) ? urls : [urls];
  return async () => {
    const merged: RegistrationMap = new Map();
    for (const url of list) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'ul.dump', id: 1 }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`Kamailio RPC ${url} answered ${response.status}`);
      const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
      if (body.error) throw new Error(`Kamailio RPC ${url}: ${body.error.message ?? 'error'}`);
      for (const [aor, contacts] of parseUlDump(body.result)) {
        merged.set(aor, [...(merged.get(aor) ?? []), ...contacts]);
      }
    }
    return merged;
  };
}

/** Calls one Kamailio JSON-RPC method on every URL; returns nothing, throws on the first failure. */
async function rpcAll(urls: string[], method: string, params: unknown[], timeoutMs: number): Promise<void> {
  for (const url of urls) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.text();
  }
}

/**
 * Drops the registrations of `aors` (`user@domain`) from Kamailio's memory (`ul.rm`), so a deleted or
 * deactivated account stops receiving calls now instead of when its last registration expires.
 */
export async function dropRegistrations(urls: string | string[], aors: string[], timeoutMs = 2000): Promise<void> {
  const list = Array.isArray(urls) ? urls : [urls];
  for (const aor of aors) await rpcAll(list, 'ul.rm', ['location', aor], timeoutMs);
}
