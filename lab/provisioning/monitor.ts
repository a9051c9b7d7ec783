/**
 * The supervisor's view (API.md "Supervisor view"): every server with its concurrent calls, limit and
 * parked calls, and every extension with its registration, agent, status and current calls.
 *
 * Fed from each Kamailio over JSON-RPC (`dlg.list`, `dlg.profile_get_size calls`, `pv.shvGet
 * call_limit`, `ul.dump`; see kamailio.cfg "CALLS") and from the provisioning store (sessions:
 * agent and status). Live changes are found by polling and diffing (every `pollMs`, 300 ms by
 * default, only while someone listens), so a change reaches a listener within about
 * pollMs + one RPC round trip. Why polling and not Kamailio pushing: registrations also change
 * without any SIP request in the script (expiry, a lost WebSocket dropped by usrloc's timer), so a
 * push from event routes would still miss them, and pushing over HTTP needs a Kamailio module
 * (http_async_client) that the lab does not have; eight small RPCs per tick cost little.
 *
 * Numbers: an extension is listed with its own number and the name of its server. A call's
 * `remote` is the partner as that extension's own phone sees it: a partner on the same server as
 * its extension number, one on a linked server with that server's prefix (`122099` for 3999 of
 * server1, `113999` for 2099 of server2), an external number as it is.
 */
import { kamailioRpc, parseUlDump } from './registrations.js';

export interface MonitorServerConfig {
  /** Name shown in the monitor, e.g. `server1`. */
  name: string;
  /** Its prefix in the group of linked servers, e.g. `11`. */
  prefix: string;
  /** Its SIP domain: registrations of `<number>@<domain>` are its extensions. */
  domain: string;
  /**
   * Its Kamailio JSON-RPC URL, e.g. `http://127.0.0.1:8088/RPC`; or the URLs of every node of a
   * cluster serving it (kamailio.cfg CLUSTER): registrations and calls are read from all of them and
   * shown as one server.
   */
  rpc: string | string[];
}

export interface MonitorOptions {
  servers: MonitorServerConfig[];
  /** Poll interval while someone listens to the event stream; default 300 ms. */
  pollMs?: number;
  /** Park slots (not listed as extensions, their calls counted as parked); default `701-720`. */
  parkSlots?: string;
}

export interface MonitorServerEntry {
  name: string;
  prefix: string;
  /** Channels in use (kamailio.cfg CALLS); null while the server cannot be asked. */
  concurrentCalls: number | null;
  /** The concurrent-call limit, 0 = none; null while the server cannot be asked. */
  limit: number | null;
  /** Calls sitting in a park slot of this server, linked servers' calls included. */
  parkedCalls: number;
  /** False while the server does not answer JSON-RPC (addition to API.md). */
  online: boolean;
}

export interface MonitorCall {
  /** The SIP Call-ID (the same on both servers for a linked call). */
  id: string;
  direction: 'inbound' | 'outbound';
  remote: string;
  /** Epoch ms: when it was answered, or when it started ringing. */
  since: number;
  state: 'ringing' | 'established';
}

export interface MonitorExtension {
  number: string;
  server: string;
  registered: boolean;
  agent?: string;
  status?: string;
  calls: MonitorCall[];
}

export interface MonitorSnapshot {
  servers: MonitorServerEntry[];
  extensions: MonitorExtension[];
}

/** One event of the stream: `snapshot`, `server`, `extension` or `call`. */
export type MonitorEvent =
  | { event: 'snapshot'; data: MonitorSnapshot }
  | { event: 'server'; data: MonitorServerEntry }
  | { event: 'extension'; data: MonitorExtension }
  | { event: 'call'; data: { server: string; extension: string; call: MonitorCall | (Omit<MonitorCall, 'state'> & { state: 'ended' }) } };

/** A dialog of `dlg.list`, with the variables kamailio.cfg CALLS sets. */
export interface KamailioDialog {
  callId: string;
  /** 1 unconfirmed, 2 early, 3 confirmed (200 without ACK), 4 confirmed, 5 deleted. */
  state: number;
  initTs: number;
  startTs: number;
  caller: string;
  callee: string;
  /** Where each side is: `local` (a client of this server), `peer`, `carrier`. */
  a: string;
  b: string;
  /**
   * Whether this node tracks the call itself (it came in here and carries the variables); a
   * cluster's other node holds a bare copy, shared over DMQ for the counts.
   */
  tracked: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses `dlg.list` (Kamailio 5.6: an array of dialogs, `variables` as a list of one-key objects). */
export function parseDlgList(result: unknown): KamailioDialog[] {
  const list = Array.isArray(result) ? result : isRecord(result) && Array.isArray(result.Dialogs) ? result.Dialogs : [];
  const out: KamailioDialog[] = [];
  for (const d of list) {
    if (!isRecord(d)) continue;
    const vars: Record<string, string> = {};
    const raw = d.variables;
    if (Array.isArray(raw)) {
      for (const v of raw) if (isRecord(v)) for (const [k, val] of Object.entries(v)) vars[k] = String(val);
    } else if (isRecord(raw)) {
      for (const [k, val] of Object.entries(raw)) vars[k] = String(val);
    }
    const userOf = (uri: unknown) => (typeof uri === 'string' ? (/^sips?:([^@;]+)@/.exec(uri)?.[1] ?? '') : '');
    out.push({
      callId: String(d['call-id'] ?? ''),
      state: Number(d.state ?? 0),
      initTs: Number(d.init_ts ?? 0),
      startTs: Number(d.start_ts ?? 0),
      caller: vars.caller ?? userOf(d.from_uri),
      callee: vars.callee ?? userOf(d.to_uri),
      a: vars.a ?? 'local',
      b: vars.b ?? 'local',
      tracked: vars.caller !== undefined,
    });
  }
  return out;
}

/** `701-720` -> a predicate; a bad range is an error naming it. */
export function parseSlots(range: string): (n: string) => boolean {
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`monitor: park slots ${JSON.stringify(range)} is not a range like 701-720`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  return (n) => /^\d+$/.test(n) && Number(n) >= from && Number(n) <= to;
}

export interface ServerState {
  config: MonitorServerConfig;
  online: boolean;
  concurrentCalls: number | null;
  limit: number | null;
  dialogs: KamailioDialog[];
  /** `user@domain` registered on this server. */
  registered: Set<string>;
}

/**
 * The monitor body from what the servers and the store say: a pure function (unit-tested).
 * `managed`: the provisioning store's extensions (listed even while unregistered), by server name.
 */
export function buildSnapshot(
  states: ServerState[],
  sessions: { extension: string; agent: string; status: string; server: string }[],
  managed: { number: string; server: string }[],
  isParkSlot: (n: string) => boolean,
): MonitorSnapshot {
  const byDomain = new Map(states.map((s) => [s.config.domain, s.config.name]));
  const entries = new Map<string, MonitorExtension>();
  const key = (server: string, number: string) => `${server}/${number}`;
  const entry = (server: string, number: string): MonitorExtension => {
    let e = entries.get(key(server, number));
    if (!e) {
      e = { number, server, registered: false, calls: [] };
      entries.set(key(server, number), e);
    }
    return e;
  };
  for (const m of managed) entry(m.server, m.number);
  // A registration belongs to the server of its domain, wherever it registered (failover).
  for (const s of states) {
    for (const aor of s.registered) {
      const at = aor.lastIndexOf('@');
      const number = aor.slice(0, at);
      const server = byDomain.get(aor.slice(at + 1));
      if (!server || isParkSlot(number)) continue;
      entry(server, number).registered = true;
    }
  }
  for (const s of sessions) {
    const e = entry(s.server, s.extension);
    e.agent = s.agent;
    e.status = s.status;
  }
  const servers: MonitorServerEntry[] = [];
  for (const s of states) {
    let parked = 0;
    for (const d of s.dialogs) {
      if (d.state >= 5) continue;
      const state = d.state >= 3 ? 'established' : 'ringing';
      const since = (state === 'established' && d.startTs > 0 ? d.startTs : d.initTs) * 1000;
      if (d.b === 'local' && isParkSlot(d.callee)) parked++;
      if (d.a === 'local' && d.caller && !isParkSlot(d.caller)) {
        entry(s.config.name, d.caller).calls.push({ id: d.callId, direction: 'outbound', remote: d.callee, since, state });
      }
      if (d.b === 'local' && d.callee && !isParkSlot(d.callee)) {
        entry(s.config.name, d.callee).calls.push({ id: d.callId, direction: 'inbound', remote: d.caller, since, state });
      }
    }
    servers.push({
      name: s.config.name,
      prefix: s.config.prefix,
      concurrentCalls: s.concurrentCalls,
      limit: s.limit,
      parkedCalls: parked,
      online: s.online,
    });
  }
  const order = new Map(states.map((s, i) => [s.config.name, i]));
  const extensions = [...entries.values()].sort(
    (x, y) => (order.get(x.server) ?? 99) - (order.get(y.server) ?? 99) || x.number.localeCompare(y.number, 'en', { numeric: true }),
  );
  for (const e of extensions) e.calls.sort((x, y) => x.since - y.since || x.id.localeCompare(y.id));
  return { servers, extensions };
}

/** The events that turn snapshot `before` into `after` (servers, then extensions, then calls). */
export function diffSnapshots(before: MonitorSnapshot, after: MonitorSnapshot): MonitorEvent[] {
  const events: MonitorEvent[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const oldServers = new Map(before.servers.map((s) => [s.name, s]));
  for (const s of after.servers) if (!same(oldServers.get(s.name), s)) events.push({ event: 'server', data: s });
  const k = (e: MonitorExtension) => `${e.server}/${e.number}`;
  const oldExt = new Map(before.extensions.map((e) => [k(e), e]));
  const newExt = new Map(after.extensions.map((e) => [k(e), e]));
  const callEvents: MonitorEvent[] = [];
  for (const e of after.extensions) {
    const old = oldExt.get(k(e));
    if (same(old, e)) continue;
    events.push({ event: 'extension', data: e });
    const oldCalls = new Map((old?.calls ?? []).map((c) => [c.id, c]));
    for (const c of e.calls) {
      if (!same(oldCalls.get(c.id), c)) callEvents.push({ event: 'call', data: { server: e.server, extension: e.number, call: c } });
    }
    for (const c of old?.calls ?? []) {
      if (!e.calls.some((n) => n.id === c.id)) {
        callEvents.push({ event: 'call', data: { server: e.server, extension: e.number, call: { ...c, state: 'ended' } } });
      }
    }
  }
  for (const old of before.extensions) {
    if (newExt.has(k(old))) continue;
    // Gone from the list (an unmanaged extension that unregistered with no call): listed unregistered once.
    events.push({ event: 'extension', data: { number: old.number, server: old.server, registered: false, calls: [] } });
    for (const c of old.calls) {
      callEvents.push({ event: 'call', data: { server: old.server, extension: old.number, call: { ...c, state: 'ended' } } });
    }
  }
  return [...events, ...callEvents];
}

async function readNode(config: MonitorServerConfig, rpc: string): Promise<ServerState> {
  try {
    const [dlg, size, limit, ul] = await Promise.all([
      kamailioRpc(rpc, 'dlg.list', [], 1500),
      kamailioRpc(rpc, 'dlg.profile_get_size', ['calls'], 1500),
      kamailioRpc(rpc, 'pv.shvGet', ['call_limit'], 1500),
      kamailioRpc(rpc, 'ul.dump', [], 1500),
    ]);
    const count = typeof size === 'number' ? size : Number((size as { count?: unknown } | null)?.count);
    const shv = (Array.isArray(limit) ? limit[0] : limit) as { value?: unknown } | undefined;
    return {
      config,
      online: true,
      concurrentCalls: Number.isFinite(count) ? count : null,
      limit: Number.isFinite(Number(shv?.value)) ? Math.max(0, Number(shv?.value)) : null,
      dialogs: parseDlgList(dlg),
      registered: new Set(parseUlDump(ul).keys()),
    };
  } catch {
    return { config, online: false, concurrentCalls: null, limit: null, dialogs: [], registered: new Set() };
  }
}

/**
 * One server from what its nodes say (a pure function, unit-tested): online while any node answers;
 * registrations of all nodes; each call once (the copy of the node that tracks it); the count and
 * limit as the nodes share them over DMQ (every node has the whole server's count: the highest
 * answer, so a node that has not caught up yet does not hide a call).
 */
export function mergeNodes(config: MonitorServerConfig, nodes: ServerState[]): ServerState {
  const online = nodes.filter((n) => n.online);
  if (online.length === 0) return { config, online: false, concurrentCalls: null, limit: null, dialogs: [], registered: new Set() };
  if (online.length === 1) return { ...online[0]!, config };
  const max = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? Math.max(...known) : null;
  };
  const dialogs = new Map<string, KamailioDialog>();
  for (const d of online.flatMap((n) => n.dialogs)) {
    const seen = dialogs.get(d.callId);
    if (!seen || (d.tracked && !seen.tracked)) dialogs.set(d.callId, d);
  }
  return {
    config,
    online: true,
    concurrentCalls: max(online.map((n) => n.concurrentCalls)),
    limit: max(online.map((n) => n.limit)),
    dialogs: [...dialogs.values()],
    registered: new Set(online.flatMap((n) => [...n.registered])),
  };
}

async function readServer(config: MonitorServerConfig): Promise<ServerState> {
  const urls = Array.isArray(config.rpc) ? config.rpc : [config.rpc];
  return mergeNodes(config, await Promise.all(urls.map((url) => readNode(config, url))));
}

export interface Monitor {
  snapshot(): Promise<MonitorSnapshot>;
  /** Listens: gets `snapshot` first, then changes. Returns the unsubscribe function. */
  subscribe(listener: (e: MonitorEvent) => void): () => void;
  /** Looks again now (after a store change), instead of at the next tick. */
  kick(): void;
  close(): void;
}

export function createMonitor(
  options: MonitorOptions,
  store: { sessions(): { extension: string; agent: string; status: string; server: string }[]; managed(): { number: string; server: string }[] },
): Monitor {
  if (!Array.isArray(options.servers) || options.servers.length === 0) throw new Error('monitor: servers must list at least one server');
  const isParkSlot = parseSlots(options.parkSlots ?? '701-720');
  const pollMs = options.pollMs ?? 300;
  const listeners = new Set<(e: MonitorEvent) => void>();
  let last: MonitorSnapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const snapshot = async (): Promise<MonitorSnapshot> => {
    const states = await Promise.all(options.servers.map(readServer));
    return buildSnapshot(states, store.sessions(), store.managed(), isParkSlot);
  };

  const tick = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          const next = await snapshot();
          if (closed || listeners.size === 0) return;
          const events = last ? diffSnapshots(last, next) : [];
          last = next;
          for (const e of events) for (const l of [...listeners]) l(e);
        } while (again);
      } catch {
        // the store closed under us: the next tick tries again
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const schedule = () => {
    if (closed || listeners.size === 0 || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void tick().finally(schedule);
    }, pollMs);
  };

  return {
    snapshot,
    subscribe(listener) {
      listeners.add(listener);
      void (async () => {
        // each listener starts from a snapshot of its own; the diff base moves on with it
        const first = await snapshot().catch(() => undefined);
        if (!first || !listeners.has(listener)) return;
        listener({ event: 'snapshot', data: first });
        if (listeners.size === 1 || !last) last = first;
        schedule();
      })();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          if (timer) clearTimeout(timer);
          timer = undefined;
          last = undefined;
        }
      };
    },
    kick() {
      if (listeners.size > 0) void tick();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      listeners.clear();
    },
  };
}
