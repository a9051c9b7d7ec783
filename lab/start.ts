/**
 * `npm start` (after the build): the lab on its fixed ports, the repository served over HTTP, and the
 * demo's URL and the lab accounts printed. Ctrl-C (or SIGTERM) stops everything.
 *
 *   http://127.0.0.1:8080/demo/      the demo page (8080 or the next free port)
 *   http://127.0.0.1:8080/lab.json   the lab's WebSocket URLs, domains, prefixes and accounts
 */
import { startLab, SERVER_NAMES, type Lab } from './lab.js';
import { jsonRoute, startWebServer, type WebServer } from './web.js';
import { REPO_ROOT } from './lab.js';

const WEB_PORT = Number(process.env.SOFT_PHONE_WEB_PORT ?? 8080);

/** What the demo page learns about the lab. */
export function labInfo(lab: Lab): unknown {
  return {
    servers: Object.fromEntries(
      SERVER_NAMES.map((name) => {
        const s = lab.servers[name];
        return [name, { wsUrl: s.wsUrl, domain: s.domain, prefix: s.prefix, running: s.pid !== undefined }];
      }),
    ),
    accounts: lab.accounts,
  };
}

async function startWebOnFreePort(lab: Lab): Promise<WebServer> {
  for (let port = WEB_PORT; port < WEB_PORT + 20; port++) {
    try {
      return await startWebServer({ root: REPO_ROOT, port, routes: { '/lab.json': jsonRoute(() => labInfo(lab)) } });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  return startWebServer({ root: REPO_ROOT, routes: { '/lab.json': jsonRoute(() => labInfo(lab)) } });
}

async function main(): Promise<void> {
  let lab: Lab;
  try {
    lab = await startLab({ fixedPorts: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nStarting the lab on free ports instead.\n`);
    lab = await startLab();
  }
  const web = await startWebOnFreePort(lab);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the lab...\n`);
    await web.close();
    await lab.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const lines: string[] = [];
  lines.push('', '<soft-phone> lab is running', '');
  lines.push(`  Demo:      ${web.url}/demo/`);
  lines.push(`  Lab info:  ${web.url}/lab.json`);
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
