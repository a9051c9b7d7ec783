/**
 * `npm start` (after the build): the lab on its fixed ports, the repository served over HTTP, and the
 * demo's URL and the lab accounts printed. Ctrl-C (or SIGTERM) stops everything.
 *
 *   http://127.0.0.1:8080/demo/      the demo page (8080 or the next free port)
 *   http://127.0.0.1:8080/lab.json   the lab's WebSocket URLs, domains, prefixes and accounts
 */
import path from 'node:path';
import { startLab, SERVER_NAMES, REPO_ROOT, type Lab } from './lab.js';
import { jsonRoute, startWebServer, type WebServer } from './web.js';
import { launchLabChromium } from './park-orbit/browser.js';
import { startParkOrbit, type ParkOrbit } from './park-orbit/park-orbit.js';
import { startProvisioningServer, type ProvisioningServer } from './provisioning/server.js';

const WEB_PORT = Number(process.env.SOFT_PHONE_WEB_PORT ?? 8080);

/** What the demo page learns about the lab. */
export function labInfo(lab: Lab, provisioningUrl?: string): unknown {
  return {
    provisioningUrl,
    demoAgent: provisioningUrl ? DEMO_AGENT.id : undefined,
    servers: Object.fromEntries(
      SERVER_NAMES.map((name) => {
        const s = lab.servers[name];
        return [name, { wsUrl: s.wsUrl, domain: s.domain, prefix: s.prefix, running: s.pid !== undefined }];
      }),
    ),
    accounts: lab.accounts,
  };
}

/** The agent the demo logs in with: a personal extension, a virtual one following a mobile, and a pool. */
const DEMO_AGENT = { id: 'agent1', name: 'Agnieszka Agent', virtualExtension: '600', mobile: '+48601234567' };

async function seedDemoAgent(url: string): Promise<void> {
  const post = async (pathname: string, body: unknown): Promise<void> => {
    const res = await fetch(url + pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok && res.status !== 409) throw new Error(`seeding ${pathname}: ${res.status} ${await res.text()}`);
  };
  await post('/admin/users', DEMO_AGENT);
  await post('/admin/users', { id: 'agent2', name: 'Bartek Agent' });
  for (const number of ['650', '651', '652']) await post('/admin/accounts', { number });
}

async function startWebOnFreePort(info: () => unknown): Promise<WebServer> {
  const routes = { '/lab.json': jsonRoute(info) };
  for (let port = WEB_PORT; port < WEB_PORT + 20; port++) {
    try {
      return await startWebServer({ root: REPO_ROOT, port, routes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  return startWebServer({ root: REPO_ROOT, routes });
}

async function main(): Promise<void> {
  let lab: Lab;
  try {
    lab = await startLab({ fixedPorts: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nStarting the lab on free ports instead.\n`);
    lab = await startLab();
  }
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
    servers: [s1.wsUrl, lab.servers.server2.wsUrl],
    registrations: `http://127.0.0.1:${s1.wsPort}/RPC`,
    range: { from: 100, to: 699 },
  });
  await seedDemoAgent(prov.url);
  const web = await startWebOnFreePort(() => labInfo(lab, prov.url));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the lab...\n`);
    await web.close();
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
  lines.push(`  Demo:      ${web.url}/demo/`);
  lines.push(`  Lab info:  ${web.url}/lab.json`);
  lines.push(`  Provisioning: ${prov.url}  (agents: ${DEMO_AGENT.id}, agent2; admin API under /admin)`);
  lines.push(`  Park orbit:   slots 701-720 on each server`);
  lines.push(`  Logs:      ${lab.dir}`, '');
  for (const name of SERVER_NAMES) {
    const s = lab.servers[name];
    lines.push(`  ${name}  ${s.domain}  prefix ${s.prefix}  ${s.wsUrl}  (SIP udp/tcp 127.0.0.1:${s.sipPort})`);
    for (const a of lab.accounts[name]) {
      const who = a.displayName ? ` (${a.displayName})` : '';
      lines.push(`      ${a.extension}@${a.domain}${who}  password: ${a.password}`);
    }
  }
  lines.push('', `  Dial 12<ext> on server1 to reach server2, 11<ext> on server2 to reach server1.`);
  lines.push('  Ctrl-C stops everything.', '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`npm start failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
