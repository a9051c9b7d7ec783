#!/usr/bin/env node
// Makes sure the system programs the lab and the browser tests need are installed:
//   chromium                     /usr/bin/chromium (driven by playwright-core, never downloaded)
//   kamailio                     the SIP server of the lab (+ the base modules the lab config loads)
//   kamailio-websocket-modules   websocket.so (SIP over WebSocket)
//   kamailio-sqlite-modules      db_sqlite.so (digest auth against the lab's SQLite accounts file)
//   kamailio-tls-modules         tls.so (the lab servers' wss:// listeners)
//   openssl                      the openssl command that makes the lab CA and certificate at start
//   sox                          the known-tone WAV files the e2e tests feed Chromium as its microphone
//   rtpengine-daemon             the lab's media relay (userspace; NOT the `rtpengine` metapackage,
//                                which builds a kernel module); kamailio's rtpengine.so is in `kamailio`
//   rtpengine-utils              rtpengine-ctl (the lab reads rtpengine's counters with it)
//   baresip-core                 the lab's desk phones (not `baresip`: that one pulls GTK/X11/GStreamer)
//   sip-tester                   SIPp, the lab's PSTN carrier stand-in
// Installed with --no-install-recommends. rtpengine-daemon's postinst starts a system rtpengine; the
// lab runs its own, so a temporary /usr/sbin/policy-rc.d (exit 101) keeps the service from starting
// (only when there is none already; removed afterwards).
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
  // the PBX media path of the lab
  ['rtpengine', findOnPath('rtpengine', ['/usr/bin', '/usr/sbin']) !== undefined, 'rtpengine-daemon'],
  ['rtpengine-ctl', findOnPath('rtpengine-ctl', ['/usr/bin', '/usr/sbin']) !== undefined, 'rtpengine-utils'],
  ['kamailio module rtpengine.so', hasModule('rtpengine.so'), 'kamailio'],
  ['baresip', findOnPath('baresip') !== undefined, 'baresip-core'],
  ['sipp', findOnPath('sipp') !== undefined, 'sip-tester'],
];

const missing = checks.filter(([, ok]) => !ok);
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map(([, , pkg]) => pkg))];
// the websocket and sqlite module packages need the base package anyway
if (packages.some((p) => p.startsWith('kamailio-')) && !packages.includes('kamailio')) packages.unshift('kamailio');

process.stderr.write(`Missing system components:\n${missing.map(([what]) => `  - ${what}`).join('\n')}\n`);

const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
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
// keep package scripts from starting system services (rtpengine-daemon would start a system
// rtpengine on its default ports): a temporary policy-rc.d, only if the machine has none
const POLICY = '/usr/sbin/policy-rc.d';
let ownPolicy = false;
if (packages.includes('rtpengine-daemon') && !fs.existsSync(POLICY)) {
  fs.writeFileSync(POLICY, '#!/bin/sh\n# temporary, from soft-phone scripts/ensure-system.mjs: no service starts during apt-get\nexit 101\n', { mode: 0o755 });
  ownPolicy = true;
}
try {
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) {
      process.stderr.write(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n`);
      process.exitCode = 1;
      break;
    }
  }
} finally {
  if (ownPolicy) fs.rmSync(POLICY, { force: true });
}
if (process.exitCode === 1) process.exit(1);

// check again: a package that installed but lacks what we need is an error, not a loop
const after = moduleDirs();
const PROGRAMS = { sox: 'sox', openssl: 'openssl', rtpengine: 'rtpengine', 'rtpengine-ctl': 'rtpengine-ctl', baresip: 'baresip', sipp: 'sipp' };
const still = checks.filter(([what, , pkg]) => {
  if (what.startsWith('chromium')) return !fs.existsSync(CHROMIUM);
  if (what === 'kamailio binary') return findOnPath('kamailio', ['/usr/sbin', '/usr/local/sbin']) === undefined;
  if (what in PROGRAMS) return findOnPath(PROGRAMS[what], ['/usr/bin', '/usr/sbin']) === undefined;
  const mod = what.replace('kamailio module ', '');
  return pkg && !after.some((d) => fs.existsSync(path.join(d, mod)));
});
if (still.length > 0) {
  process.stderr.write(`Still missing after apt-get install: ${still.map(([w]) => w).join(', ')}\n`);
  process.exit(1);
}
process.stderr.write('System components installed.\n');
