/**
 * `npm start` (after the build): the lab on its fixed ports with TLS (ws:// and wss://) and its PBX
 * parts (rtpengine, the desk phones, the PSTN carrier), the repository served over HTTP and over HTTPS
 * (the lab certificate), and the demo's URLs, the lab accounts, the desk phones and the PSTN numbers
 * printed. Ctrl-C (or SIGTERM) stops everything.
 *
 *   http://127.0.0.1:8080/demo/      the demo page (8080 or the next free port), phones on ws://
 *   http://127.0.0.1:8080/demo/monitor.html   the supervisor's live monitor (<soft-phone-monitor>)
 *   http://127.0.0.1:8080/demo/crm.html   the CRM demo: tel: click-to-dial, screen pop, call notes
 *   https://127.0.0.1:8443/demo/     the same page as a CRM serves it (8443 or the next free port),
 *                                    phones on wss://
 *   http://127.0.0.1:8080/lab.json   the lab's WebSocket URLs (ws and wss), domains, prefixes, accounts,
 *                                    desk phones and PSTN numbers
 *   POST /pbx/call-in {extension, server, from}   the carrier calls an extension (the demo's "carrier calls" buttons)
 *   POST /media-relay {delayMs, jitterMs, lossPct} the impaired line's delay, jitter and loss (the demo's
 *                                    "Impaired line" buttons; lab/media-relay.ts)
 */
import path from 'node:path';
import { startLab, LAB_DESK_PHONES, LAB_SERVERS, SERVER_NAMES, REPO_ROOT, type Lab, type ServerName } from './lab.js';
import { DEMO_AGENT, labInfo } from './lab-info.js';
import { CARRIER_TONES, PSTN_NUMBERS } from './pstn.js';
import { MediaRelay } from './media-relay.js';
import { jsonPost, jsonRoute, startWebServer, type RouteHandler, type WebServer } from './web.js';
import { trustSpkiArgs } from './chromium.mjs';
import { launchLabChromium } from './park-orbit/browser.js';
import { startParkOrbit, type ParkOrbit } from './park-orbit/park-orbit.js';
import { startProvisioningServer, type ProvisioningServer } from './provisioning/server.js';

const WEB_PORT = Number(process.env.SOFT_PHONE_WEB_PORT ?? 8080);
const HTTPS_PORT = Number(process.env.SOFT_PHONE_HTTPS_PORT ?? 8443);

/** POST /pbx/call-in `{ extension, server, from }`: the carrier calls a lab extension. */
function callInRoute(lab: Lab): RouteHandler {
  return jsonPost(async ({ extension, server, from }) => {
    if (!lab.carrier) throw new Error('the PBX parts are not running');
    const s = lab.servers[(server as ServerName | undefined) ?? 'server1'];
    if (!s) throw new Error(`no server '${String(server)}'`);
    await lab.carrier.callIn(String(extension), String(from ?? '+48601234567'), { port: s.sipPort, domain: s.domain });
    return { ok: true };
  });
}

/**
 * The demo's impaired line (lab/media-relay.ts): POST /media-relay `{ delayMs, jitterMs, lossPct }`
 * (any of them) sets the impairment and answers it with the relay's counters; POST /media-relay/port
 * `{ port, address }` answers `{ port }`, the stand-in a page (lab/media-relay.page.js) sends to.
 */
function mediaRelayRoutes(relay: MediaRelay): Record<string, RouteHandler> {
  return {
    '/media-relay': jsonPost(async (impairment) => ({ ...relay.set(impairment), ...(await relay.stats()) })),
    '/media-relay/port': jsonPost(async ({ port, address }) => ({ port: await relay.portFor(Number(port), String(address ?? '127.0.0.1')) })),
  };
}

/** The agent the demo logs in with: a personal extension, a virtual one following a mobile, and a pool. */

async function seedDemoAgent(url: string): Promise<void> {
  const post = async (pathname: string, body: unknown): Promise<void> => {
    const res = await fetch(url + pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok && res.status !== 409) throw new Error(`seeding ${pathname}: ${res.status} ${await res.text()}`);
  };
  await post('/admin/users', DEMO_AGENT);
  await post('/admin/users', { id: 'agent2', name: 'Bartek Agent' });
  for (const number of ['650', '651', '652']) await post('/admin/accounts', { number });
}

/** The web server on `first` or one of the next 19 ports, else any free port. */
async function startWebOnFreePort(
  info: () => unknown,
  first: number,
  extra: Record<string, RouteHandler> = {},
  https?: { certFile: string; keyFile: string },
): Promise<WebServer> {
  const routes = { '/lab.json': jsonRoute(info), ...extra };
  const tls = https ? { https } : {};
  for (let port = first; port < first + 20; port++) {
    try {
      return await startWebServer({ root: REPO_ROOT, port, routes, ...tls });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  return startWebServer({ root: REPO_ROOT, routes, ...tls });
}

async function main(): Promise<void> {
  let lab: Lab;
  try {
    lab = await startLab({ fixedPorts: true, tls: true, pbx: true, cluster: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nStarting the lab on free ports instead.\n`);
    lab = await startLab({ tls: true, pbx: true, cluster: true });
  }
  const tls = lab.tls;
  if (!tls) throw new Error('the lab started without TLS');
  // The park orbits (701-720 on each server) share one headless Chromium.
  const browser = await launchLabChromium();
  const orbits: ParkOrbit[] = [];
  for (const name of SERVER_NAMES) {
    const s = lab.servers[name];
    orbits.push(
      await startParkOrbit({ browser, wsUrl: s.wsUrl, domain: s.domain, dbFile: lab.dbFile, logFile: path.join(lab.dir, `park-orbit-${name}.log`) }),
    );
  }
  const s1 = lab.servers.server1;
  const prov: ProvisioningServer = await startProvisioningServer({
    dbFile: lab.dbFile,
    domain: s1.domain,
    servers: [...lab.wsUrls('server1'), lab.servers.server2.wsUrl],
    registrations: `http://127.0.0.1:${s1.wsPort}/RPC`,
    range: { from: 100, to: 699 },
    // the supervisor's view of both servers (GET /monitor, /monitor/events)
    monitor: {
      servers: SERVER_NAMES.map((name) => {
        const s = lab.servers[name];
        return { name, prefix: s.prefix, domain: s.domain, rpc: lab.nodes[name].map((n) => `http://127.0.0.1:${n.wsPort}/RPC`) };
      }),
    },
  });
  await seedDemoAgent(prov.url);
  const relay = new MediaRelay();
  const routes = { '/pbx/call-in': callInRoute(lab), ...mediaRelayRoutes(relay) };
  const web = await startWebOnFreePort(() => labInfo(lab, prov.url), WEB_PORT, routes);
  const secureWeb = await startWebOnFreePort(() => labInfo(lab, prov.url), HTTPS_PORT, routes, tls);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the lab...\n`);
    await web.close();
    await secureWeb.close();
    await relay.close();
    await prov.close();
    for (const orbit of orbits) await orbit.stop();
    await browser.close();
    await lab.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const lines: string[] = [];
  lines.push('', '<soft-phone> lab is running', '');
  lines.push(`  Demo:      ${web.url}/demo/        (phones on ws://)`);
  lines.push(`  Demo, TLS: ${secureWeb.url}/demo/       (as a CRM serves it: https:// page, phones on wss://)`);
  lines.push(`  Monitor:   ${web.url}/demo/monitor.html   (the supervisor's <soft-phone-monitor>)`);
  lines.push(`  CRM demo:  ${web.url}/demo/crm.html  (click-to-dial, screen pop, call notes; also over https)`);
  lines.push(`  Lab info:  ${web.url}/lab.json`);
  lines.push(`  Provisioning: ${prov.url}  (agents: ${DEMO_AGENT.id}, agent2; admin API under /admin)`);
  lines.push(`  Monitor:      ${prov.url}/monitor  (live: ${prov.url}/monitor/events)`);
  lines.push(`  Park orbit:   slots 701-720 on each server`);
  lines.push(`  Logs:      ${lab.dir}`, '');
  lines.push('  TLS: the lab CA and certificate are new at every start; no browser trusts them by itself.');
  lines.push(`      CA: ${tls.caFile}   certificate SPKI sha256: ${tls.spkiHash}`);
  lines.push('      Open the https demo in a Chromium that trusts exactly this certificate:');
  lines.push(`        chromium --user-data-dir=$(mktemp -d) ${trustSpkiArgs(tls.spkiHash).join(' ')} ${secureWeb.url}/demo/`);
  lines.push('      (or import the CA file into a test browser profile as a trusted authority).', '');
  for (const name of SERVER_NAMES) {
    const s = lab.servers[name];
    lines.push(`  ${name}  ${s.domain}  prefix ${s.prefix}  ${s.wsUrl}  ${s.wssUrl ?? ''}  (SIP udp/tcp 127.0.0.1:${s.sipPort})`);
    for (const n of lab.nodes[name].slice(1)) {
      lines.push(`  ${name} node ${n.node} (registrar cluster, DMQ)  ${n.wsUrl}  ${n.wssUrl ?? ''}  (SIP udp/tcp 127.0.0.1:${n.sipPort})`);
    }
    if (lab.nodes[name].length > 1) lines.push(`      phones list both nodes: server="${lab.wsUrls(name).join(' ')}"`);
    for (const a of lab.accounts[name]) {
      const who = a.displayName ? ` (${a.displayName})` : '';
      lines.push(`      ${a.extension}@${a.domain}${who}  password: ${a.password}`);
    }
  }
  lines.push('', `  Dial 12<ext> on server1 to reach server2, 11<ext> on server2 to reach server1.`);
  if (lab.carrier) {
    lines.push('', '  Desk phones (baresip over UDP, auto-answer, play a tone; via rtpengine):');
    for (const d of LAB_DESK_PHONES) {
      if (!lab.deskPhones.some((p) => p.extension === d.extension)) continue;
      const other = SERVER_NAMES.find((n) => n !== d.server)!;
      lines.push(`      ${d.extension}@${LAB_SERVERS[d.server].domain}  ${d.toneHz} Hz  (from ${other}: ${LAB_SERVERS[d.server].prefix}${d.extension})`);
    }
    lines.push('  PSTN (carrier stand-in, SIPp; any 0... or +... number from either server):');
    lines.push(`      ${PSTN_NUMBERS.answers.join(', ')}  183 + early media (${CARRIER_TONES.early} Hz), answered after 2.5 s (${CARRIER_TONES.answer} Hz), refreshes mid-call`);
    lines.push(`      ${PSTN_NUMBERS.busy} busy (486), ${PSTN_NUMBERS.notFound} not found (404), ${PSTN_NUMBERS.unavailable} unavailable (503)`);
    lines.push(`      the carrier calls in: POST ${web.url}/pbx/call-in {"extension":"3999","server":"server1","from":"+48601234567"} (or the demo's button)`);
    lines.push(`  rtpengine: ng udp 127.0.0.1:${lab.rtpengine?.options.ngPort}, rtpengine-ctl -ip 127.0.0.1 -port ${lab.rtpengine?.options.cliPort} list sessions all`);
  }
  lines.push('', `  Impaired line: the demo's A <-> B calls can go through a UDP relay with delay, jitter and loss`);
  lines.push(`      (demo section "Impaired line", or POST ${web.url}/media-relay {"delayMs":250,"jitterMs":0,"lossPct":0})`);
  lines.push('  Ctrl-C stops everything.', '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`npm start failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
