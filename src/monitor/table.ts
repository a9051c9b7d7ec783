/**
 * The monitor's data, as pure functions (no DOM): applying the stream's events to the last
 * snapshot, filtering, sorting, and the call durations the table shows.
 */
import { matchLinkedServer } from '../core/extensions.js';
import type { MonitorCall, MonitorCallChange, MonitorExtension, MonitorServer, MonitorSnapshot, MonitorStreamEvent } from './types.js';

export const EMPTY: MonitorSnapshot = { servers: [], extensions: [] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isServer = (v: unknown): v is MonitorServer => isRecord(v) && typeof v.name === 'string';
const isCall = (v: unknown): v is MonitorCall => isRecord(v) && typeof v.id === 'string' && typeof v.remote === 'string';
const isExtension = (v: unknown): v is MonitorExtension =>
  isRecord(v) && typeof v.number === 'string' && typeof v.server === 'string' && Array.isArray(v.calls) && v.calls.every(isCall);

/** A body of `GET /monitor` or a `snapshot` event, checked; anything else: undefined. */
export function parseSnapshot(v: unknown): MonitorSnapshot | undefined {
  if (!isRecord(v) || !Array.isArray(v.servers) || !Array.isArray(v.extensions)) return undefined;
  if (!v.servers.every(isServer) || !v.extensions.every(isExtension)) return undefined;
  return { servers: v.servers, extensions: v.extensions };
}

/** One event of the stream (its `event:` name and `data:` text), checked; a malformed one: undefined. */
export function parseStreamEvent(type: string, text: string): MonitorStreamEvent | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  switch (type) {
    case 'snapshot': {
      const snapshot = parseSnapshot(data);
      return snapshot && { event: 'snapshot', data: snapshot };
    }
    case 'server':
      return isServer(data) ? { event: 'server', data } : undefined;
    case 'extension':
      return isExtension(data) ? { event: 'extension', data } : undefined;
    case 'call':
      return isRecord(data) && typeof data.server === 'string' && typeof data.extension === 'string' && isCall(data.call)
        ? { event: 'call', data: { server: data.server, extension: data.extension, call: data.call as MonitorCallChange['call'] } }
        : undefined;
    default:
      return undefined;
  }
}

const sameExtension = (a: { server: string; number: string }, server: string, number: string) => a.server === server && a.number === number;

/** The snapshot after one event of the stream (a new object; `before` is not changed). */
export function applyEvent(before: MonitorSnapshot, e: MonitorStreamEvent): MonitorSnapshot {
  switch (e.event) {
    case 'snapshot':
      return e.data;
    case 'server': {
      const servers = before.servers.some((s) => s.name === e.data.name)
        ? before.servers.map((s) => (s.name === e.data.name ? e.data : s))
        : [...before.servers, e.data];
      return { ...before, servers };
    }
    case 'extension': {
      const { server, number } = e.data;
      const known = before.extensions.some((x) => sameExtension(x, server, number));
      const extensions = known ? before.extensions.map((x) => (sameExtension(x, server, number) ? e.data : x)) : [...before.extensions, e.data];
      return { ...before, extensions };
    }
    case 'call': {
      const { server, extension, call } = e.data;
      const owner = before.extensions.find((x) => sameExtension(x, server, extension)) ?? { number: extension, server, registered: false, calls: [] };
      const others = owner.calls.filter((c) => c.id !== call.id);
      const calls = call.state === 'ended' ? others : [...others, call].sort((x, y) => x.since - y.since);
      return applyEvent(before, { event: 'extension', data: { ...owner, calls } });
    }
  }
}

export interface MonitorFilter {
  /** Only this server's extensions ('' = every server). */
  server: string;
  /** Only this agent status ('' = any). */
  status: string;
  /** Only extensions with a call. */
  onCall: boolean;
}

export function filterExtensions(list: readonly MonitorExtension[], f: MonitorFilter): MonitorExtension[] {
  return list.filter((x) => (!f.server || x.server === f.server) && (!f.status || x.status === f.status) && (!f.onCall || x.calls.length > 0));
}

/** The columns the table sorts by. */
export const SORT_KEYS = ['number', 'server', 'registered', 'agent', 'status', 'remote', 'direction', 'since', 'state'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDirection = 'ascending' | 'descending';

export function isSortKey(v: string): v is SortKey {
  return (SORT_KEYS as readonly string[]).includes(v);
}

/** The value an extension sorts by in a column (its first call for the call columns). */
function sortValue(x: MonitorExtension, key: SortKey): string | number | undefined {
  const call = x.calls[0];
  switch (key) {
    case 'registered':
      return x.registered ? 1 : 0;
    case 'since':
      // the longest call first when ascending by duration: oldest `since` first
      return call?.since;
    case 'remote':
    case 'direction':
    case 'state':
      return call?.[key];
    default:
      return x[key];
  }
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * Sorted by one column; ties keep the server's order (server, then number). Rows without a value
 * (no agent, no call) go last in both directions, so the interesting rows stay on top.
 */
export function sortExtensions(list: readonly MonitorExtension[], key: SortKey, direction: SortDirection): MonitorExtension[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return list
    .map((x, i) => ({ x, i, v: sortValue(x, key) }))
    .sort((a, b) => {
      if (a.v === undefined || b.v === undefined) return a.v === b.v ? a.i - b.i : a.v === undefined ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : collator.compare(String(a.v), String(b.v));
      return c * sign || a.i - b.i;
    })
    .map(({ x }) => x);
}

/** The agent statuses present, sorted: the choices of the status filter. */
export function statusesOf(list: readonly MonitorExtension[]): string[] {
  return [...new Set(list.flatMap((x) => (x.status ? [x.status] : [])))].sort(collator.compare);
}

/** `m:ss`, or `h:mm:ss` from an hour on; a clock running behind the server's counts from 0. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * The linked server a partner number belongs to: another server's prefix followed by an extension,
 * the dial plan's rule (core/extensions.ts), so the monitor and the phones agree on who is linked.
 */
export function linkedServerOf(remote: string, ownServer: string, servers: readonly MonitorServer[]): MonitorServer | undefined {
  return matchLinkedServer(remote, servers.filter((s) => s.name !== ownServer && s.prefix !== ''));
}
