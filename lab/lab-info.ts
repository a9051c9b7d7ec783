/**
 * What the demo pages (demo/index.html, demo/crm.html) learn about the lab from `/lab.json`: the
 * servers' WebSocket URLs, domains and prefixes, the accounts, and the PBX parts when they run.
 * `npm start` serves it; the end-to-end tests serve the same for their own lab.
 */
import { LAB_DESK_PHONES, LAB_SERVERS, SERVER_NAMES, type Lab } from './lab.js';
import { CARRIER_TONES, PSTN_NUMBERS } from './pstn.js';

/** The provisioning server's demo agent (npm start seeds it). */
export const DEMO_AGENT = { id: 'agent1', name: 'Agnieszka Agent', virtualExtension: '600', mobile: '+48601234567' };

/** What the demo page learns about the lab. */
export function labInfo(lab: Lab, provisioningUrl?: string): unknown {
  return {
    provisioningUrl,
    demoAgent: provisioningUrl ? DEMO_AGENT.id : undefined,
    servers: Object.fromEntries(
      SERVER_NAMES.map((name) => {
        const s = lab.servers[name];
        // wssUrl: what a page served over https:// must use (it cannot open ws:// to a network host)
        const nodes = lab.nodes[name];
        return [
          name,
          {
            wsUrl: s.wsUrl,
            wssUrl: s.wssUrl,
            // every node of the server, failover order (server1 is a cluster of two)
            wsUrls: nodes.map((n) => n.wsUrl),
            wssUrls: nodes.map((n) => n.wssUrl),
            domain: s.domain,
            prefix: s.prefix,
            running: s.pid !== undefined,
          },
        ];
      }),
    ),
    accounts: lab.accounts,
    pbx: lab.carrier ? pbxInfo(lab) : undefined,
  };
}

/** The PBX parts to try: desk phones (with how each server dials them) and the carrier's numbers. */
export function pbxInfo(lab: Lab): unknown {
  return {
    deskPhones: LAB_DESK_PHONES.filter((d) => lab.deskPhones.some((p) => p.extension === d.extension)).map((d) => ({
      extension: d.extension,
      server: d.server,
      displayName: d.displayName,
      toneHz: d.toneHz,
      dial: Object.fromEntries(SERVER_NAMES.map((s) => [s, s === d.server ? d.extension : `${LAB_SERVERS[d.server].prefix}${d.extension}`])),
    })),
    pstn: { numbers: PSTN_NUMBERS, tones: CARRIER_TONES, callInFrom: '+48601234567' },
  };
}
