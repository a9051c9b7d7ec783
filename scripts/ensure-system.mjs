#!/usr/bin/env node
// Makes sure the system programs the lab and the browser tests need are installed:
//   chromium                     /usr/bin/chromium (driven by playwright-core, never downloaded)
//   kamailio                     the SIP server of the lab (+ the base modules the lab config loads)
//   kamailio-websocket-modules   websocket.so (SIP over WebSocket)
//   kamailio-sqlite-modules      db_sqlite.so (digest auth against the lab's SQLite accounts file)
//   kamailio-tls-modules         tls.so (the lab servers' wss:// listeners)
//   openssl                      the openssl command that makes the lab CA and certificate at start
//   sox                          the known-tone WAV files the e2e tests feed Chromium as its microphone
// Everything present: exits 0 at once (no apt call). Something missing: as root, installs it with
// apt-get; otherwise prints the exact command to run and exits 1.
// Plain Node ESM, no dependencies. SOFT_PHONE_SKIP_SYSTEM_CHECK=1 skips the check.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

if (process.env.SOFT_PHONE_SKIP_SYSTEM_CHECK === '1') process.exit(0);

// npm packages: a fresh clone has none, so `npm start` / `npm test` install them from the lock file.
const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
if (!fs.existsSync(path.join(projectRoot, 'node_modules', '.package-lock.json'))) {
  process.stderr.write('Installing npm packages (npm ci)...\n');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: projectRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`npm ci failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
}

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Kamailio module directories, e.g. /usr/lib/x86_64-linux-gnu/kamailio/modules (any architecture). */
function moduleDirs() {
  const dirs = [];
  for (const base of ['/usr/lib', '/usr/lib64', '/usr/local/lib', '/usr/local/lib64']) {
    dirs.push(path.join(base, 'kamailio', 'modules'));
    let entries;
    try {
      entries = fs.readdirSync(base, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory() && e.name.includes('-linux-')) dirs.push(path.join(base, e.name, 'kamailio', 'modules'));
    }
  }
  return dirs.filter((d) => fs.existsSync(d));
}

function findOnPath(name, extra = []) {
  const dirs = [...(process.env.PATH || '').split(path.delimiter), ...extra];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

const mods = moduleDirs();
const hasModule = (name) => mods.some((d) => fs.existsSync(path.join(d, name)));

// [what, present?, Debian package]
const checks = [
  ['chromium (' + CHROMIUM + ')', fs.existsSync(CHROMIUM), 'chromium'],
  ['kamailio binary', findOnPath('kamailio', ['/usr/sbin', '/usr/local/sbin']) !== undefined, 'kamailio'],
  // base modules the lab config loads (all in the kamailio package)
  ...['tm.so', 'registrar.so', 'usrloc.so', 'auth_db.so', 'uac.so', 'nathelper.so', 'xhttp.so', 'jsonrpcs.so', 'tcpops.so'].map(
    (m) => [`kamailio module ${m}`, hasModule(m), 'kamailio'],
  ),
  ['kamailio module websocket.so', hasModule('websocket.so'), 'kamailio-websocket-modules'],
  ['kamailio module db_sqlite.so', hasModule('db_sqlite.so'), 'kamailio-sqlite-modules'],
  ['kamailio module tls.so', hasModule('tls.so'), 'kamailio-tls-modules'],
  // the lab CA and server certificate (TLS: https:// pages, wss://) are made with the openssl CLI
  ['openssl', findOnPath('openssl', ['/usr/bin']) !== undefined, 'openssl'],
  // the e2e tests make their known-tone WAV files with sox
  ['sox', findOnPath('sox') !== undefined, 'sox'],
];

const missing = checks.filter(([, ok]) => !ok);
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map(([, , pkg]) => pkg))];
// the websocket and sqlite module packages need the base package anyway
if (packages.some((p) => p.startsWith('kamailio-')) && !packages.includes('kamailio')) packages.unshift('kamailio');

process.stderr.write(`Missing system components:\n${missing.map(([what]) => `  - ${what}`).join('\n')}\n`);

const command = `apt-get install -y ${packages.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = findOnPath('apt-get', ['/usr/bin']) !== undefined;

if (!hasApt) {
  process.stderr.write(`apt-get is not available here. Install these Debian packages (or your system's equivalent): ${packages.join(' ')}\n`);
  process.exit(1);
}

if (!isRoot) {
  process.stderr.write(`Run this, then try again:\n\n  sudo apt-get update && sudo ${command}\n\n`);
  process.exit(1);
}

process.stderr.write(`Installing as root: apt-get update && ${command}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', ...packages]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stderr.write(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
}

// check again: a package that installed but lacks what we need is an error, not a loop
const after = moduleDirs();
const still = checks.filter(([what, , pkg]) => {
  if (what.startsWith('chromium')) return !fs.existsSync(CHROMIUM);
  if (what === 'kamailio binary') return findOnPath('kamailio', ['/usr/sbin', '/usr/local/sbin']) === undefined;
  if (what === 'sox' || what === 'openssl') return findOnPath(what, ['/usr/bin']) === undefined;
  const mod = what.replace('kamailio module ', '');
  return pkg && !after.some((d) => fs.existsSync(path.join(d, mod)));
});
if (still.length > 0) {
  process.stderr.write(`Still missing after apt-get install: ${still.map(([w]) => w).join(', ')}\n`);
  process.exit(1);
}
process.stderr.write('System components installed.\n');
