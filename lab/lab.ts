/**
 * Start and stop the local telephony lab from code: two real Kamailio instances (lab/kamailio.cfg)
 * authenticating against a per-run SQLite accounts database (lab/accounts-db.ts).
 *
 * Used by `npm start` (lab/start.ts), the end-to-end tests and the benchmark:
 *
 *   const lab = await startLab();                 // free ports, run dir under .lab/
 *   lab.servers.server1.wsUrl                     // ws://127.0.0.1:<port>
 *   (await startLab({ tls: true })).servers.server1.wssUrl   // wss://127.0.0.1:<port>, lab CA in lab.tls
 *   lab.accounts.server1[0]                       // { extension: '3999', password, domain, displayName }
 *   await lab.servers.server1.registrations();    // ['sip:3999@server1.test']
 *   lab.servers.server2.pause(); ... resume();    // silent death (SIGSTOP) and back
 *   await lab.stop();
 *
 * `startLab({ pbx: true })` adds the PBX media path: rtpengine (lab/rtpengine.ts), the desk phones
 * of LAB_DESK_PHONES (baresip, lab/desk-phone.ts) and the PSTN carrier (SIPp, lab/pstn.ts); see
 * lab/README.md "The PBX media path".
 *
 * Each Kamailio runs in the foreground (-DD -E) in its own process group, logging to a file in the run
 * dir, and is stopped by PID (the whole group: Kamailio forks worker processes, and a SIGSTOP or
 * SIGKILL of the main process alone would leave the workers answering). Readiness is checked, not
 * waited for: a server is ready when its WebSocket handshake succeeds and an OPTIONS over it and over
 * UDP are answered 200 (and, with TLS, the same over its secure WebSocket, trusting only the lab CA).
 *
 * TLS (`tls: true`): a lab CA and a server certificate for 127.0.0.1/localhost are made with openssl
 * in the run dir (lab/tls.ts), both servers also listen on wss:// with it (kamailio.cfg WITH_TLS), and
 * `lab.tls` tells clients what to trust (`caFile`, or `spkiHash` for Chromium).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAccountsDb, upsertAccount } from './accounts-db.js';
import { DeskPhone } from './desk-phone.js';
import { killStalePbxProcesses, killStaleProcess, signalGroup } from './lab-process.js';
import { Carrier } from './pstn.js';
import { Rtpengine } from './rtpengine.js';
import { SipWsClient } from './sip-ws-client.js';
import { kamailioTlsConfig, makeLabTls, type LabTls } from './tls.js';

export type { LabTls };

export type ServerName = 'server1' | 'server2';

export interface LabAccount {
  extension: string;
  password: string;
  displayName?: string;
  domain: string;
}

export interface LabServer {
  readonly name: ServerName;
  /**
   * Which node of its server's cluster: 'a' (the only one without a cluster) or 'b' (the second
   * server1 node of `startLab({ cluster: true })`).
   */
  readonly node: 'a' | 'b';
  readonly domain: string;
  readonly prefix: string;
  /** ws://127.0.0.1:<wsPort> */
  readonly wsUrl: string;
  readonly wsPort: number;
  /** wss://127.0.0.1:<wssPort> when the lab runs with TLS, else undefined. */
  readonly wssUrl: string | undefined;
  /** The secure WebSocket port when the lab runs with TLS, else undefined. */
  readonly wssPort: number | undefined;
  readonly sipPort: number;
  /** PID of the main Kamailio process; undefined while stopped. */
  readonly pid: number | undefined;
  readonly logFile: string;
  /** (Re)starts on the SAME ports; resolves when ready. No-op while running. */
  start(): Promise<void>;
  /** SIGTERM by PID, waits for exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** SIGKILL by PID (hard death), waits for exit. */
  kill(): Promise<void>;
  /** SIGSTOP (silent death: connections stay open, nothing answers). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /**
   * AORs currently registered, e.g. ['sip:3999@server1.test'], sorted, one entry per live contact
   * binding: an AOR registered from two places (or a stale second binding) appears twice.
   */
  registrations(): Promise<string[]>;
  /** The live contact bindings with details (lab extension to the contract). */
  bindings(): Promise<LabBinding[]>;
  /** Calls a Kamailio RPC command (JSON-RPC over HTTP at /RPC on the WebSocket port), e.g. 'ul.dump'. */
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  /** Channels in use now: the size of the dialog profile "calls" (kamailio.cfg, CALLS). */
  concurrentCalls(): Promise<number>;
  /** The concurrent-call limit now in force (0: none). */
  callLimit(): Promise<number>;
  /**
   * Changes the limit on the running server (0: none), on every running node of its cluster; a
   * restart goes back to `startLab`'s `callLimit`.
   */
  setCallLimit(limit: number): Promise<void>;
}

export interface LabBinding {
  /** sip:<user>@<domain> */
  aor: string;
  /** The registered Contact URI. */
  contact: string;
  /** Seconds left. */
  expires: number;
  /** Source address the REGISTER came from (sip:127.0.0.1:<port>;transport=ws). */
  received?: string;
  userAgent?: string;
  callId?: string;
}

export interface Lab {
  /** Each server; with `cluster: true`, server1 here is its node 'a'. */
  readonly servers: Record<ServerName, LabServer>;
  /**
   * Every node of each server: `[servers.server1]`, or with `cluster: true` `[node a, node b]` for
   * server1 (both serve server1.test, share registrations and dialog profiles over DMQ).
   */
  readonly nodes: Record<ServerName, LabServer[]>;
  /** The WebSocket URLs a phone of this server lists, in failover order (both nodes with a cluster). */
  wsUrls(name: ServerName): string[];
  readonly accounts: Record<ServerName, LabAccount[]>;
  /** The media relay (only with `pbx: true`). */
  readonly rtpengine: Rtpengine | undefined;
  /** The desk phones (baresip), registered and ready (only with `pbx: true`, else empty). */
  readonly deskPhones: DeskPhone[];
  /** The PSTN carrier stand-in (SIPp) (only with `pbx: true`). */
  readonly carrier: Carrier | undefined;
  /** The desk phone with this extension (pbx lab); throws when there is none. */
  deskPhone(extension: string): DeskPhone;
  /** The SQLite accounts database Kamailio authenticates against. */
  readonly dbFile: string;
  /** Run dir with the logs, pid files and the accounts database. */
  readonly dir: string;
  /** The lab CA and server certificate when started with `tls: true`, else undefined. */
  readonly tls: LabTls | undefined;
  /**
   * Stops everything this lab started; safe to call twice. The run dir is removed unless logs are
   * kept: `keepLogs` (here or in the options), SOFT_PHONE_LAB_KEEP_LOGS=1, a run dir given by the
   * caller, or a server that died on its own. A kept run dir's path is printed.
   */
  stop(options?: { keepLogs?: boolean }): Promise<void>;
}

export interface LabOptions {
  /** Which servers to start (default both). Ports and accounts exist for both either way. */
  servers?: ServerName[];
  /** 8088/5080 (server1) and 8090/5082 (server2) instead of free ports. */
  fixedPorts?: boolean;
  /** Run dir (kept after stop). Default: a new dir under .lab/ (removed after stop unless logs are kept). */
  dir?: string;
  /** Keep the run dir after stop (and print its path). */
  keepLogs?: boolean;
  /**
   * Also serve secure WebSocket (wss://) with a lab CA and certificate made for this run (see
   * `Lab.tls`). Off by default (a lab without it needs no openssl and starts faster); npm start turns
   * it on.
   */
  tls?: boolean;
  /**
   * The PBX media path too: rtpengine (both servers anchor WebRTC <-> plain-RTP calls in it), the
   * desk phones of LAB_DESK_PHONES (baresip) and the PSTN carrier stand-in (SIPp). Desk phones of a
   * server that is not started are not started either.
   */
  pbx?: boolean;
  /**
   * Concurrent-call limit per server (channels, counted as kamailio.cfg CALLS says), e.g.
   * `{ server1: 3 }`. Absent or 0: no limit. Changeable later with `server.setCallLimit(n)`.
   */
  callLimit?: Partial<Record<ServerName, number>>;
  /**
   * server1 as a cluster of two Kamailio nodes (kamailio.cfg CLUSTER): node 'a' is
   * `servers.server1`, node 'b' is `nodes.server1[1]`; registrations and the dialog profiles are
   * shared over DMQ, server2 reaches either node.
   */
  cluster?: boolean;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LAB_CONFIG = path.join(REPO_ROOT, 'lab', 'kamailio.cfg');
export const LAB_RUNS_DIR = path.join(REPO_ROOT, '.lab');

export const SERVER_NAMES: readonly ServerName[] = ['server1', 'server2'];

/** Identity of each lab server: domain, dialing prefix, fixed ports (npm start). */
export const LAB_SERVERS: Record<ServerName, { domain: string; prefix: string; wsPort: number; wssPort: number; sipPort: number }> = {
  server1: { domain: 'server1.test', prefix: '11', wsPort: 8088, wssPort: 8089, sipPort: 5080 },
  server2: { domain: 'server2.test', prefix: '12', wsPort: 8090, wssPort: 8091, sipPort: 5082 },
};

/** The fixed ports of server1's second node (`npm start` runs the cluster). */
export const CLUSTER_NODE_B_PORTS = { wsPort: 8092, wssPort: 8093, sipPort: 5084 };

interface ServerPorts {
  wsPort: number;
  /** With a cluster (server1 only): the second node's ports. */
  b?: { wsPort: number; wssPort?: number; sipPort: number };
  /** Only with TLS. */
  wssPort?: number;
  sipPort: number;
}

/** The seeded lab accounts. Lab passwords are fixed and documented: `lab-<extension>-secret`. */
export const LAB_ACCOUNTS: Record<ServerName, LabAccount[]> = {
  server1: [
    { extension: '3999', displayName: 'Alice' },
    { extension: '4000', displayName: 'Carol' },
    { extension: '4001', displayName: 'Dave' },
    { extension: '4002' },
    { extension: '4003' },
  ].map((a) => ({ ...a, domain: LAB_SERVERS.server1.domain, password: labPassword(a.extension) })),
  server2: [
    { extension: '2099', displayName: 'Bob' },
    { extension: '2100', displayName: 'Erin' },
    { extension: '2101' },
  ].map((a) => ({ ...a, domain: LAB_SERVERS.server2.domain, password: labPassword(a.extension) })),
};

/**
 * The lab's desk phones (baresip over UDP, plain RTP, G.711), with the tone each sends as its
 * microphone. Their accounts are in the accounts database of every lab run (password
 * `lab-<extension>-secret`); the phones themselves run with `startLab({ pbx: true })`.
 */
export const LAB_DESK_PHONES: Array<{ extension: string; server: ServerName; toneHz: number; displayName: string }> = [
  { extension: '4101', server: 'server1', toneHz: 1000, displayName: 'Desk 4101' },
  { extension: '4102', server: 'server1', toneHz: 1200, displayName: 'Desk 4102' },
  { extension: '2201', server: 'server2', toneHz: 800, displayName: 'Desk 2201' },
];

export function labPassword(extension: string): string {
  return `lab-${extension}-secret`;
}

const KAMAILIO = process.env.KAMAILIO_BIN ?? 'kamailio';
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// process bookkeeping: stop our Kamailios whatever way this process ends

const liveLabs = new Set<LabImpl>();
let handlersInstalled = false;

function onExit(): void {
  // synchronous only: kill whatever is still running, hard
  for (const lab of liveLabs) lab.killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  const labs = [...liveLabs];
  void Promise.allSettled(labs.map((l) => l.stop())).then(() => {
    removeHandlers();
    // no one else handles this signal: die of it, as the default behaviour would
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

function removeHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kamailios left behind by an earlier run that died without cleaning up (e.g. SIGKILLed test
 * runner): found by the pid files under .lab/, checked to be a kamailio running our config, killed.
 */
function killStaleRuns(): void {
  let runs: string[];
  try {
    runs = fs.readdirSync(LAB_RUNS_DIR);
  } catch {
    return;
  }
  for (const run of runs) {
    // a run whose owner (the process that started it) is alive is not stale: leave it alone
    try {
      const owner = Number(fs.readFileSync(path.join(LAB_RUNS_DIR, run, 'owner.pid'), 'utf8').trim());
      if (owner === process.pid || isAlive(owner)) continue;
    } catch {
      continue; // no owner file: not ours to judge
    }
    killStalePbxProcesses(path.join(LAB_RUNS_DIR, run));
    for (const name of [...SERVER_NAMES, 'server1-b']) {
      const pidFile = path.join(LAB_RUNS_DIR, run, `${name}.pid`);
      let pid: number;
      try {
        pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      } catch {
        continue;
      }
      killStaleProcess(pid, ['kamailio', LAB_CONFIG, pidFile], 'kamailio', path.join(LAB_RUNS_DIR, run));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ports

async function canBindTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A port free on 127.0.0.1 for TCP (and UDP too when `udp`), not in `taken`. */
async function freePort(taken: Set<number>, udp: boolean): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freeTcpPort();
    if (taken.has(port)) continue;
    if (udp && !(await canBindUdp(port))) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no free port found on 127.0.0.1');
}

/** Whether a TCP port on 127.0.0.1 is free (e.g. before using the fixed ports). */
export const isTcpPortFree = canBindTcp;

// ---------------------------------------------------------------------------------------------
// readiness probes

/** OPTIONS over UDP to the SIP port; resolves with the status code. */
export function udpOptions(port: number, domain: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const branch = `z9hG4bK${crypto.randomBytes(6).toString('hex')}`;
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no answer to OPTIONS on udp ${port}`));
    }, timeoutMs);
    sock.on('message', (msg) => {
      const text = msg.toString();
      if (!text.includes(branch)) return;
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
      if (status < 200) return;
      clearTimeout(timer);
      sock.close();
      resolve(status);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.bind(0, '127.0.0.1', () => {
      const { port: local } = sock.address();
      const text = [
        `OPTIONS sip:${domain} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`,
        'Max-Forwards: 70',
        `To: <sip:${domain}>`,
        `From: <sip:lab-probe@${domain}>;tag=${branch.slice(7, 15)}`,
        `Call-ID: ${branch}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(text, port, '127.0.0.1');
    });
  });
}

/** WebSocket handshake + OPTIONS over it; resolves with the status code. `ca`: what a wss:// server must chain to. */
export async function wsOptions(wsUrl: string, domain: string, timeoutMs = 1000, ca?: string | Buffer): Promise<number> {
  const client = await SipWsClient.connect({ wsUrl, domain, user: 'lab-probe', timeoutMs, ...(ca ? { ca } : {}) });
  try {
    return (await client.options()).status;
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// PBX parts' ports

interface PbxPorts {
  ngPort: number;
  cliPort: number;
  carrierPort: number;
  carrierInPort: number;
  desk: Array<{ sipPort: number; ctrlPort: number }>;
  /** A block of 400 UDP ports for media: rtpengine, the carrier, the desk phones. */
  mediaBase: number;
}

/**
 * A block of `size` ports below the kernel's ephemeral range (32768+) that looks free: a random
 * 100-aligned start, its first, middle and last port bindable (UDP). Each part then takes its own
 * slice; the programs skip a port that happens to be busy.
 */
async function freeMediaBlock(size: number): Promise<number> {
  for (let i = 0; i < 30; i++) {
    const base = 20000 + 100 * Math.floor(Math.random() * ((32000 - 20000 - size) / 100));
    if ((await canBindUdp(base)) && (await canBindUdp(base + size / 2)) && (await canBindUdp(base + size - 1))) return base;
  }
  throw new Error('no free media port block found on 127.0.0.1');
}

async function pbxPorts(taken: Set<number>): Promise<PbxPorts> {
  const desk: PbxPorts['desk'] = [];
  for (let i = 0; i < LAB_DESK_PHONES.length; i++) desk.push({ sipPort: await freePort(taken, true), ctrlPort: await freePort(taken, false) });
  return {
    ngPort: await freePort(taken, true),
    cliPort: await freePort(taken, false),
    carrierPort: await freePort(taken, true),
    carrierInPort: await freePort(taken, true),
    desk,
    mediaBase: await freeMediaBlock(400),
  };
}

// ---------------------------------------------------------------------------------------------
// one Kamailio

/** `dlg.profile_get_size` answers `{ profile, value, count }` (Kamailio 5.6), older ones a number. */
export function profileSize(result: unknown): number {
  if (typeof result === 'number') return result;
  const r = result as { count?: unknown; size?: unknown } | null;
  const n = Number(r?.count ?? r?.size);
  if (!Number.isFinite(n)) throw new Error(`dlg.profile_get_size answered ${JSON.stringify(result)}`);
  return n;
}

/** `pv.shvGet name` answers `[{ name, type, value }]` (or the entry itself). */
export function shvValue(result: unknown): number {
  const entry = (Array.isArray(result) ? result[0] : result) as { value?: unknown } | undefined;
  const n = Number(entry?.value);
  if (!Number.isFinite(n)) throw new Error(`pv.shvGet answered ${JSON.stringify(result)}`);
  return n;
}

/** The cluster wiring of one node (kamailio.cfg CLUSTER). */
interface NodeLinks {
  /** The other node of this server's cluster. */
  mateSipPort?: number;
  /** The linked server's second node. */
  peer2SipPort?: number;
}

class KamailioServer implements LabServer {
  readonly name: ServerName;
  readonly node: 'a' | 'b';
  readonly domain: string;
  readonly prefix: string;
  readonly wsPort: number;
  readonly wssPort: number | undefined;
  readonly sipPort: number;
  readonly peerSipPort: number;
  readonly logFile: string;
  readonly pidFile: string;
  readonly runDir: string;
  /** Set when the process exited without being asked to. */
  diedOnItsOwn = false;
  /** -A CALL_LIMIT=<n> at every start (startLab's `callLimit`). */
  startCallLimit: number | undefined;
  /** The other nodes of this server's cluster. */
  mates: KamailioServer[] = [];

  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private starting: Promise<void> | undefined;

  constructor(
    name: ServerName,
    ports: ServerPorts & { peerSipPort: number },
    labDir: string,
    private readonly dbFile: string,
    private readonly tls: { config: string; ca: Buffer } | undefined,
    private readonly pbx?: PbxPorts,
    private readonly links: NodeLinks & { node?: 'a' | 'b' } = {},
  ) {
    this.name = name;
    this.node = links.node ?? 'a';
    this.domain = LAB_SERVERS[name].domain;
    this.prefix = LAB_SERVERS[name].prefix;
    this.wsPort = ports.wsPort;
    this.wssPort = tls ? ports.wssPort : undefined;
    if (tls && this.wssPort === undefined) throw new Error(`${name}: TLS without a wss port`);
    this.sipPort = ports.sipPort;
    this.peerSipPort = ports.peerSipPort;
    const file = this.node === 'a' ? name : `${name}-${this.node}`;
    this.logFile = path.join(labDir, `${file}.log`);
    this.pidFile = path.join(labDir, `${file}.pid`);
    this.runDir = path.join(labDir, file);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.wsPort}`;
  }

  get wssUrl(): string | undefined {
    return this.wssPort === undefined ? undefined : `wss://127.0.0.1:${this.wssPort}`;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** The kamailio command line (without the binary). */
  args(): string[] {
    const args = [
      '-f', LAB_CONFIG,
      '-DD', '-E',
      '-m', '64', '-M', '8',
      '-P', this.pidFile,
      '-Y', this.runDir,
      '-A', `SIP_PORT=${this.sipPort}`,
      '-A', `WS_PORT=${this.wsPort}`,
      '-A', `PEER_SIP_PORT=${this.peerSipPort}`,
      '-A', `DBURL="sqlite://${this.dbFile}"`,
      '-A', `PROV_SQLCON="prov=>sqlite://${this.dbFile}"`,
    ];
    if (this.tls) args.push('-A', 'WITH_TLS', '-A', `WSS_PORT=${this.wssPort}`, '-A', `TLS_CFG="${this.tls.config}"`);
    if (this.name === 'server2') args.push('-A', 'SERVER2');
    const { mateSipPort, peer2SipPort } = this.links;
    if (mateSipPort !== undefined) {
      args.push('-A', `MATE_SIP_PORT=${mateSipPort}`);
      args.push('-A', `DMQ_SELF="sip:127.0.0.1:${this.sipPort}"`, '-A', `DMQ_MATE="sip:127.0.0.1:${mateSipPort}"`);
    }
    if (peer2SipPort !== undefined) args.push('-A', `PEER2_SIP_PORT=${peer2SipPort}`);
    if (this.pbx) {
      args.push('-A', 'WITH_RTPENGINE', '-A', `RTPENGINE_SOCK="udp:127.0.0.1:${this.pbx.ngPort}"`);
      args.push('-A', `CARRIER_PORT=${this.pbx.carrierPort}`, '-A', `CARRIER_IN_PORT=${this.pbx.carrierInPort}`);
    }
    if (this.startCallLimit !== undefined) args.push('-A', `CALL_LIMIT=${this.startCallLimit}`);
    if (process.env.SOFT_PHONE_LAB_TRACE === '1') args.push('-A', 'TRACE');
    return args;
  }

  start(): Promise<void> {
    if (this.starting) return this.starting;
    if (this.running) return Promise.resolve();
    this.starting = this.startAgainIfLocked().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * Kamailio's SQLite driver has no busy timeout: a server that opens the accounts database while
   * another process holds a lock on it for a moment (two servers starting together, the provisioning
   * server writing) exits at once with "database is locked". It is started again, up to three times.
   */
  private async startAgainIfLocked(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.doStart();
      } catch (err) {
        if (attempt >= 3 || !/database is locked/i.test((err as Error).message)) throw err;
        process.stderr.write(`[lab] ${this.name}: the accounts database was locked as it started; starting it again\n`);
      }
    }
  }

  private async doStart(): Promise<void> {
    fs.mkdirSync(this.runDir, { recursive: true });
    fs.appendFileSync(this.logFile, `\n===== [lab] ${new Date().toISOString()} starting ${this.name}${this.node === 'a' ? '' : ` node ${this.node}`}: ${KAMAILIO} ${this.args().join(' ')}\n`);
    const logFd = fs.openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      // detached: own process group, so signals reach the worker processes too
      child = spawn(KAMAILIO, this.args(), { stdio: ['ignore', logFd, logFd], detached: true });
    } finally {
      fs.closeSync(logFd);
    }
    this.child = child;
    this.expectingExit = false;
    this.diedOnItsOwn = false;
    let spawnError: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (!this.expectingExit) {
          this.diedOnItsOwn = true;
          process.stderr.write(`[lab] ${this.name} (pid ${child.pid}) exited on its own (code ${code}, signal ${signal}); log: ${this.logFile}\n`);
        }
        // reap workers that may outlive the main process
        if (child.pid) signalGroup(child.pid, 'SIGKILL');
        resolve();
      });
    });
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (exited || spawnError) {
        this.expectingExit = true;
        throw new Error(
          `${this.name}: kamailio did not start (${spawnError?.message ?? `exit code ${child.exitCode}`}).\n` +
            `Last log lines (${this.logFile}):\n${tail(this.logFile, 25)}`,
        );
      }
      try {
        const wsStatus = await wsOptions(this.wsUrl, this.domain, 1000);
        const udpStatus = await udpOptions(this.sipPort, this.domain, 1000);
        // wss: the handshake checks the certificate against the lab CA (and 127.0.0.1 against its SAN)
        const wssStatus = this.tls && this.wssUrl ? await wssProbe(this.wssUrl, this.domain, this.tls.ca) : 200;
        if (wsStatus === 200 && udpStatus === 200 && wssStatus === 200) return;
        lastError = `OPTIONS answered ${wsStatus} (ws) / ${udpStatus} (udp) / ${wssStatus} (wss)`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      // poll again soon (the process is still coming up)
      await Promise.race([new Promise((r) => setTimeout(r, 50)), this.exited]);
    }
    await this.kill();
    throw new Error(`${this.name}: not ready after ${READY_TIMEOUT_MS} ms (${lastError}); log: ${this.logFile}\n${tail(this.logFile, 25)}`);
  }

  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    this.expectingExit = true;
    signalGroup(pid, 'SIGTERM');
    signalGroup(pid, 'SIGCONT'); // a paused server must wake up to die
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    signalGroup(pid, 'SIGKILL');
  }

  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    this.expectingExit = true;
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }

  pause(): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`${this.name} is not running`);
    signalGroup(pid, 'SIGSTOP');
  }

  resume(): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`${this.name} is not running`);
    signalGroup(pid, 'SIGCONT');
  }

  killSync(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    this.expectingExit = true;
    signalGroup(pid, 'SIGKILL');
  }

  /** Calls a Kamailio RPC command over JSON-RPC (HTTP POST /RPC on the WebSocket port). */
  async rpc(method: string, params: unknown[] = []): Promise<unknown> {
    const post = (): Promise<Response> =>
      fetch(`http://127.0.0.1:${this.wsPort}/RPC`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
        signal: AbortSignal.timeout(3000),
      });
    // Kamailio closes an idle HTTP connection that fetch may just be reusing ("other side closed",
    // no answer): the lab's RPCs are reads or idempotent sets, so it is sent once more.
    const res = await post().catch((error: unknown) => {
      if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
      return post();
    });
    const json = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
    if (json.error) {
      // usrloc answers "AOR not found"-style errors for empty tables: let callers decide
      throw Object.assign(new Error(`${this.name} RPC ${method}: ${json.error.message}`), { code: json.error.code });
    }
    return json.result;
  }

  async concurrentCalls(): Promise<number> {
    return profileSize(await this.rpc('dlg.profile_get_size', ['calls']));
  }

  async callLimit(): Promise<number> {
    return shvValue(await this.rpc('pv.shvGet', ['call_limit']));
  }

  async setCallLimit(limit: number): Promise<void> {
    if (!Number.isInteger(limit) || limit < 0) throw new Error(`${this.name}: call limit ${String(limit)} is not a whole number >= 0`);
    for (const node of [this, ...this.mates]) if (node.running) await node.rpc('pv.shvSet', ['call_limit', 'int', limit]);
  }

  async bindings(): Promise<LabBinding[]> {
    const result = (await this.rpc('ul.dump')) as UlDump;
    const out: LabBinding[] = [];
    for (const d of result?.Domains ?? []) {
      for (const entry of d.Domain?.AoRs ?? []) {
        const info = entry.Info;
        if (!info?.AoR) continue;
        for (const c of info.Contacts ?? []) {
          const ct = c.Contact;
          if (!ct) continue;
          const expires = typeof ct.Expires === 'number' ? ct.Expires : ct.Expires === 'permanent' ? Infinity : 0;
          if (expires <= 0) continue; // expired or deleted, waiting for the usrloc timer
          out.push({
            aor: `sip:${info.AoR}`,
            contact: ct.Address ?? '',
            expires,
            received: ct.Received && ct.Received !== '[not set]' ? ct.Received : undefined,
            userAgent: ct['User-Agent'],
            callId: ct['Call-ID'],
          });
        }
      }
    }
    return out.sort((a, b) => a.aor.localeCompare(b.aor));
  }

  async registrations(): Promise<string[]> {
    return (await this.bindings()).map((b) => b.aor);
  }
}

interface UlContact {
  Address?: string;
  Expires?: number | string;
  Received?: string;
  'User-Agent'?: string;
  'Call-ID'?: string;
}

interface UlDump {
  Domains?: Array<{
    Domain?: {
      AoRs?: Array<{ Info?: { AoR?: string; Contacts?: Array<{ Contact?: UlContact }> } }>;
    };
  }>;
}

async function wssProbe(wssUrl: string, domain: string, ca: Buffer): Promise<number> {
  try {
    return await wsOptions(wssUrl, domain, 1000, ca);
  } catch (err) {
    throw new Error(`wss: ${(err as Error).message}`, { cause: err });
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// the lab

class LabImpl implements Lab {
  readonly servers: Record<ServerName, KamailioServer>;
  readonly nodes: Record<ServerName, KamailioServer[]>;
  readonly accounts: Record<ServerName, LabAccount[]>;
  readonly dbFile: string;
  readonly dir: string;
  readonly tls: LabTls | undefined;
  rtpengine: Rtpengine | undefined;
  carrier: Carrier | undefined;
  readonly deskPhones: DeskPhone[] = [];
  private stopped: Promise<void> | undefined;

  constructor(
    dir: string,
    ports: Record<ServerName, ServerPorts>,
    private readonly ownsDir: boolean,
    private readonly keepLogs: boolean,
    tls: boolean,
    readonly pbx?: PbxPorts,
  ) {
    this.dir = dir;
    let kamailioTls: { config: string; ca: Buffer } | undefined;
    if (tls) {
      this.tls = makeLabTls(dir);
      const config = path.join(dir, 'tls.cfg');
      fs.writeFileSync(config, kamailioTlsConfig(this.tls));
      kamailioTls = { config, ca: fs.readFileSync(this.tls.caFile) };
    }
    this.dbFile = path.join(dir, 'accounts.sqlite');
    this.accounts = {
      server1: LAB_ACCOUNTS.server1.map((a) => ({ ...a })),
      server2: LAB_ACCOUNTS.server2.map((a) => ({ ...a })),
    };
    const b = ports.server1.b;
    this.servers = {
      server1: new KamailioServer('server1', { ...ports.server1, peerSipPort: ports.server2.sipPort }, dir, this.dbFile, kamailioTls, pbx, {
        mateSipPort: b?.sipPort,
      }),
      server2: new KamailioServer('server2', { ...ports.server2, peerSipPort: ports.server1.sipPort }, dir, this.dbFile, kamailioTls, pbx, {
        peer2SipPort: b?.sipPort,
      }),
    };
    this.nodes = { server1: [this.servers.server1], server2: [this.servers.server2] };
    if (b) {
      this.nodes.server1.push(
        new KamailioServer('server1', { ...b, peerSipPort: ports.server2.sipPort }, dir, this.dbFile, kamailioTls, pbx, {
          node: 'b',
          mateSipPort: ports.server1.sipPort,
        }),
      );
      const [a, nodeB] = this.nodes.server1 as [KamailioServer, KamailioServer];
      a.mates = [nodeB];
      nodeB.mates = [a];
    }
  }

  wsUrls(name: ServerName): string[] {
    return this.nodes[name].map((n) => n.wsUrl);
  }

  private allNodes(): KamailioServer[] {
    return SERVER_NAMES.flatMap((name) => this.nodes[name]);
  }

  deskPhone(extension: string): DeskPhone {
    const phone = this.deskPhones.find((p) => p.extension === extension);
    if (!phone) throw new Error(`no desk phone ${extension} in this lab (started with pbx: true?)`);
    return phone;
  }

  /** rtpengine and the carrier: before the servers (they point at them). */
  async startPbxMedia(): Promise<void> {
    const pbx = this.pbx;
    if (!pbx) return;
    this.rtpengine = await Rtpengine.start({
      dir: this.dir,
      ngPort: pbx.ngPort,
      cliPort: pbx.cliPort,
      portMin: pbx.mediaBase,
      portMax: pbx.mediaBase + 199,
    });
    this.carrier = await Carrier.start({
      dir: this.dir,
      trunkPort: pbx.carrierPort,
      inPort: pbx.carrierInPort,
      mediaPort: pbx.mediaBase + 200,
      callInMediaPort: pbx.mediaBase + 300,
    });
  }

  /** The desk phones of the started servers: after the servers (they register). */
  async startDeskPhones(which: ServerName[]): Promise<void> {
    const pbx = this.pbx;
    if (!pbx) return;
    const started = await Promise.all(
      LAB_DESK_PHONES.map(async (d, i) => {
        if (!which.includes(d.server)) return undefined;
        const server = this.servers[d.server];
        return DeskPhone.start({
          extension: d.extension,
          password: labPassword(d.extension),
          domain: server.domain,
          displayName: d.displayName,
          serverPort: server.sipPort,
          toneHz: d.toneHz,
          dir: this.dir,
          sipPort: pbx.desk[i]!.sipPort,
          ctrlPort: pbx.desk[i]!.ctrlPort,
          rtpPortMin: pbx.mediaBase + 320 + 20 * i,
          rtpPortMax: pbx.mediaBase + 339 + 20 * i,
        });
      }),
    );
    for (const p of started) if (p) this.deskPhones.push(p);
  }

  seedAccounts(): void {
    const db = createAccountsDb(this.dbFile);
    try {
      for (const name of SERVER_NAMES) {
        for (const a of this.accounts[name]) upsertAccount(db, { username: a.extension, domain: a.domain, password: a.password });
      }
      for (const d of LAB_DESK_PHONES) {
        upsertAccount(db, { username: d.extension, domain: LAB_SERVERS[d.server].domain, password: labPassword(d.extension) });
      }
    } finally {
      db.close();
    }
  }

  killAllSync(): void {
    for (const s of this.allNodes()) s.killSync();
    // the PBX parts' processes are killed by lab-process.ts's own exit hook
  }

  stop(options: { keepLogs?: boolean } = {}): Promise<void> {
    this.stopped ??= (async () => {
      await Promise.allSettled(this.deskPhones.map((p) => p.stop()));
      await this.carrier?.stop().catch(() => undefined);
      await Promise.allSettled(this.allNodes().map((s) => s.stop()));
      await this.rtpengine?.stop().catch(() => undefined);
      liveLabs.delete(this);
      if (liveLabs.size === 0) removeHandlers();
      const died =
        this.allNodes().some((s) => s.diedOnItsOwn) ||
        this.deskPhones.some((p) => p.diedOnItsOwn) ||
        this.carrier?.diedOnItsOwn === true ||
        this.rtpengine?.diedOnItsOwn === true;
      const keep =
        options.keepLogs === true || this.keepLogs || !this.ownsDir || died || process.env.SOFT_PHONE_LAB_KEEP_LOGS === '1';
      if (keep) {
        process.stderr.write(`[lab] logs kept in ${this.dir}\n`);
      } else {
        fs.rmSync(this.dir, { recursive: true, force: true });
      }
    })();
    return this.stopped;
  }
}

/** Starts the lab (both servers by default) and resolves when every started server is ready. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const which = options.servers ?? [...SERVER_NAMES];
  for (const name of SERVER_NAMES) {
    const limit = options.callLimit?.[name];
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new Error(`startLab: callLimit.${name} ${String(limit)} is not a whole number >= 0`);
    }
  }
  killStaleRuns();
  const attempts = options.fixedPorts ? 1 : 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const ownsDir = options.dir === undefined;
    const dir = options.dir
      ? path.resolve(options.dir)
      : path.join(LAB_RUNS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(3).toString('hex')}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'owner.pid'), `${process.pid}\n`);
    const tls = options.tls === true;
    let ports: Record<ServerName, ServerPorts>;
    if (options.fixedPorts) {
      const fixed = (name: ServerName): ServerPorts => {
        const { wsPort, wssPort, sipPort } = LAB_SERVERS[name];
        return { wsPort, sipPort, ...(tls ? { wssPort } : {}) };
      };
      ports = { server1: fixed('server1'), server2: fixed('server2') };
      if (options.cluster) ports.server1.b = { ...CLUSTER_NODE_B_PORTS, ...(tls ? {} : { wssPort: undefined }) };
      for (const name of which) {
        const p = ports[name];
        const busy = [];
        for (const q of [p, ...(p.b ? [p.b] : [])]) {
          for (const port of [q.wsPort, q.sipPort, ...(q.wssPort === undefined ? [] : [q.wssPort])]) if (!(await canBindTcp(port))) busy.push(port);
          if (!(await canBindUdp(q.sipPort))) busy.push(q.sipPort);
        }
        if (busy.length) {
          throw new Error(`${name}: port ${[...new Set(busy)].join(', ')} in use (another lab running? try without fixed ports)`);
        }
      }
    } else {
      const taken = new Set<number>();
      const free = async (): Promise<ServerPorts> => ({
        wsPort: await freePort(taken, false),
        sipPort: await freePort(taken, true),
        ...(tls ? { wssPort: await freePort(taken, false) } : {}),
      });
      ports = { server1: await free(), server2: await free() };
      if (options.cluster) ports.server1.b = await free();
    }
    const used = Object.values(ports).flatMap((p) => [p, ...(p.b ? [p.b] : [])]).flatMap((p) => [p.wsPort, p.sipPort, ...(p.wssPort ? [p.wssPort] : [])]);
    const pbx = options.pbx ? await pbxPorts(new Set(used)) : undefined;
    const lab = new LabImpl(dir, ports, ownsDir, options.keepLogs === true, tls, pbx);
    for (const name of SERVER_NAMES) for (const n of lab.nodes[name]) n.startCallLimit = options.callLimit?.[name];
    lab.seedAccounts();
    liveLabs.add(lab);
    installHandlers();
    try {
      await lab.startPbxMedia();
      await Promise.all(which.flatMap((name) => lab.nodes[name].map((n) => n.start())));
      await lab.startDeskPhones(which);
      return lab;
    } catch (err) {
      lastError = err;
      // a free port taken by someone else between our check and Kamailio's bind: try other ports
      const retry = attempt < attempts && /Address already in use|bind/i.test(String((err as Error).message));
      await lab.stop({ keepLogs: !retry });
      if (!retry) break;
    }
  }
  throw lastError;
}
