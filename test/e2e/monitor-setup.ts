/** What the monitor's e2e files share: the linked-server attributes and a provisioning server that watches both lab servers. */
import type { Lab, ServerName } from '../../lab/lab.js';
import { startProvisioningServer, type ProvisioningServer } from '../../lab/provisioning/server.js';
import { onServer1 } from './provisioning-api.js';

/** `<soft-phone>` attributes of a phone on each lab server (prefixes 11 and 12, linked to each other). */
export const LINKED: Record<ServerName, Record<string, string>> = {
  server1: { prefix: '11', 'linked-servers': JSON.stringify([{ prefix: '12', label: 'Osaka' }]) },
  server2: { prefix: '12', 'linked-servers': JSON.stringify([{ prefix: '11', label: 'Tokyo' }]) },
};

/** The reference provisioning server for server1's domain, its monitor fed by both lab servers. `port`: 0 for a free one. */
export function startMonitorProvisioning(lab: Lab, port = 0): Promise<ProvisioningServer> {
  return startProvisioningServer({
    port,
    ...onServer1(lab),
    range: { from: 100, to: 699 },
    monitor: {
      servers: (['server1', 'server2'] as const).map((name) => {
        const s = lab.servers[name];
        return { name, prefix: s.prefix, domain: s.domain, rpc: `http://127.0.0.1:${s.wsPort}/RPC` };
      }),
    },
  });
}
