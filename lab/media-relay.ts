/**
 * A UDP relay that puts a bad network between WebRTC endpoints on one machine: loopback has no delay,
 * and `tc netem` is not available here, so the media path gets its delay, jitter and loss from here.
 *
 * Each real media address (`127.0.0.1:P`, a browser's ICE candidate) gets a stand-in socket of its own
 * on 127.0.0.1 (`portFor(P)`). A page that talks to `P` is told, in the SDP it receives, that `P` is at
 * its stand-in instead (lab/media-relay.page.js rewrites the `a=candidate` lines). A datagram that
 * arrives at the stand-in of `P` from a source `S` goes on to `P` from the stand-in of `S`, after the
 * configured delay (+ a random jitter per datagram, so datagrams may overtake each other) unless the
 * random loss drops it. So both ends of a call see each other only through the relay, and every
 * source address matches a candidate they were told about: ICE can only find and nominate relayed
 * pairs (no peer-reflexive shortcut). Everything passes: ICE checks, DTLS, RTP and RTCP alike.
 *
 * `set()` changes the impairment while calls run; `stats()` counts what was forwarded and dropped.
 *
 * `MediaRelay` runs in the calling process; `MediaRelayProcess` runs one in a child process of its
 * own with a raised scheduling priority (when allowed), so a busy test process or a loaded machine
 * adds as little delay of its own as possible.
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Impairment {
  /** Added to each datagram, each direction. */
  delayMs: number;
  /** Each datagram also waits a random 0..jitterMs more (uniform). */
  jitterMs: number;
  /** Share of datagrams dropped at random, 0..100. */
  lossPct: number;
}

export interface RelayStats {
  /** Datagrams received by the relay. */
  received: number;
  forwarded: number;
  /** Dropped by the configured loss. */
  dropped: number;
  /** The stand-in port of each real address (`'127.0.0.1:P' -> port`). */
  ports: Record<string, number>;
}

const HOST = '127.0.0.1';
const NONE: Impairment = { delayMs: 0, jitterMs: 0, lossPct: 0 };

/** A bad value for the relay, naming it. */
function check(impairment: Partial<Impairment>): void {
  for (const [key, value] of Object.entries(impairment)) {
    if (!(key in NONE)) throw new RangeError(`media relay: unknown setting '${key}'`);
    const max = key === 'lossPct' ? 100 : 60_000;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      throw new RangeError(`media relay: ${key} must be a number from 0 to ${max}, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
    }
  }
}

export class MediaRelay {
  #impairment: Impairment = { ...NONE };
  /** Real address -> its stand-in socket. */
  readonly #standIns = new Map<string, Promise<dgram.Socket>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stats = { received: 0, forwarded: 0, dropped: 0 };
  #closed = false;

  constructor(impairment: Partial<Impairment> = {}) {
    this.set(impairment);
  }

  get impairment(): Impairment {
    return { ...this.#impairment };
  }

  /** Changes delay, jitter and loss (the ones given) from the next datagram on. */
  set(impairment: Partial<Impairment>): Impairment {
    check(impairment);
    this.#impairment = { ...this.#impairment, ...impairment };
    return this.impairment;
  }

  /** The stand-in port on 127.0.0.1 for the real media address `address:port` (the same one every time). */
  async portFor(port: number, address = HOST): Promise<number> {
    if (this.#closed) throw new Error('media relay: closed');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`media relay: port must be 1..65535, got ${JSON.stringify(port)}`);
    const socket = await this.#standIn(address, port);
    return socket.address().port;
  }

  async stats(): Promise<RelayStats> {
    const ports: Record<string, number> = {};
    for (const [key, socket] of this.#standIns) ports[key] = (await socket).address().port;
    return { ...this.#stats, ports };
  }

  /** Closes every socket; datagrams still waiting are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const sockets = await Promise.all(this.#standIns.values());
    this.#standIns.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  #standIn(address: string, port: number): Promise<dgram.Socket> {
    const key = `${address}:${port}`;
    let socket = this.#standIns.get(key);
    if (!socket) {
      socket = new Promise<dgram.Socket>((resolve, reject) => {
        const s = dgram.createSocket('udp4');
        s.once('error', reject);
        s.on('message', (msg, from) => this.#forward(msg, from, address, port));
        s.bind(0, HOST, () => {
          s.off('error', reject);
          // a datagram the kernel refuses (the far end went away) is not the relay's concern
          s.on('error', () => undefined);
          resolve(s);
        });
      });
      this.#standIns.set(key, socket);
    }
    return socket;
  }

  /** `msg` came from `from` to the stand-in of `address:port`: on to there, from the stand-in of `from`. */
  #forward(msg: Buffer, from: dgram.RemoteInfo, address: string, port: number): void {
    this.#stats.received++;
    const { delayMs, jitterMs, lossPct } = this.#impairment;
    if (lossPct > 0 && Math.random() * 100 < lossPct) {
      this.#stats.dropped++;
      return;
    }
    const send = async (): Promise<void> => {
      if (this.#closed) return;
      const via = await this.#standIn(from.address, from.port);
      if (this.#closed) return;
      via.send(msg, port, address);
      this.#stats.forwarded++;
    };
    const wait = delayMs + Math.random() * jitterMs;
    if (wait <= 0) {
      void send();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void send();
    }, wait);
    this.#timers.add(timer);
  }
}

type Op = 'set' | 'portFor' | 'stats' | 'close';
interface Request { id: number; op: Op; args: unknown[] }
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

const SELF = fileURLToPath(import.meta.url);
const SERVE = '--serve-media-relay';

/** A `MediaRelay` in a child process, with the same methods (all asynchronous). `close()` ends the child. */
export class MediaRelayProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #next = 0;
  #impairment: Impairment = { ...NONE };

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (m: Reply) => {
      const waiting = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.ok) waiting?.resolve(m.value);
      else waiting?.reject(new RangeError(m.message));
    });
    child.on('exit', () => {
      for (const w of this.#pending.values()) w.reject(new Error('media relay: the relay process ended'));
      this.#pending.clear();
    });
  }

  static async start(impairment: Partial<Impairment> = {}): Promise<MediaRelayProcess> {
    check(impairment);
    const child = fork(SELF, [SERVE], { cwd: path.resolve(path.dirname(SELF), '..'), execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    try {
      os.setPriority(child.pid!, -10);
    } catch {
      // not allowed (not root): the relay runs at normal priority
    }
    const relay = new MediaRelayProcess(child);
    await relay.set(impairment);
    return relay;
  }

  get impairment(): Impairment {
    return { ...this.#impairment };
  }

  async set(impairment: Partial<Impairment>): Promise<Impairment> {
    this.#impairment = (await this.#call('set', impairment)) as Impairment;
    return this.impairment;
  }

  portFor(port: number, address = HOST): Promise<number> {
    return this.#call('portFor', port, address) as Promise<number>;
  }

  stats(): Promise<RelayStats> {
    return this.#call('stats') as Promise<RelayStats>;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await this.#call('close').catch(() => undefined);
    this.#child.kill();
    await exited;
  }

  #call(op: Op, ...args: unknown[]): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, op, args } satisfies Request);
    });
  }
}

/** The child's side: a `MediaRelay` answering the parent's requests; it ends with the parent. */
function serve(): void {
  const relay = new MediaRelay();
  const reply = (m: Reply) => process.send?.(m);
  process.on('disconnect', () => void relay.close().then(() => process.exit(0)));
  process.on('message', async ({ id, op, args }: Request) => {
    try {
      const value =
        op === 'set' ? relay.set(args[0] as Partial<Impairment>)
        : op === 'portFor' ? await relay.portFor(args[0] as number, args[1] as string)
        : op === 'stats' ? await relay.stats()
        : await relay.close();
      reply({ id, ok: true, value: value ?? null });
    } catch (error) {
      reply({ id, ok: false, message: (error as Error).message });
    }
  });
}

if (process.argv.includes(SERVE) && process.send) serve();
