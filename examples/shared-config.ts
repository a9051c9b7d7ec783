/**
 * Where the examples get the phone's settings. A real application asks its own backend (the password
 * never belongs in source code); these examples ask the lab (`npm start`, or the e2e test's lab),
 * which describes its servers and accounts at /lab.json. `?extension=` picks the lab account.
 */
export interface PhoneConfig {
  server: string;
  domain: string;
  extension: string;
  displayName: string;
  password: string;
}

interface LabJson {
  servers: Record<string, { wsUrl: string; domain: string }>;
  accounts: Record<string, Array<{ extension: string; password: string; domain: string; displayName?: string }>>;
}

export async function loadPhoneConfig(): Promise<PhoneConfig> {
  const res = await fetch('/lab.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/lab.json: HTTP ${res.status} (is the lab running? npm start)`);
  const lab = (await res.json()) as LabJson;
  const wanted = new URLSearchParams(location.search).get('extension');
  const accounts = lab.accounts.server1 ?? [];
  const account = accounts.find((a) => a.extension === wanted) ?? accounts[0];
  if (!account) throw new Error('/lab.json lists no account on server1');
  return {
    server: lab.servers.server1!.wsUrl,
    domain: account.domain,
    extension: account.extension,
    displayName: account.displayName ?? account.extension,
    password: account.password,
  };
}
