/**
 * The call history: the last calls of one extension, newest first, kept by the element in the
 * browser (localStorage under `historyStorageKey()`). This module is the pure part: records, adding,
 * and (de)serialization that survives anything a storage can hand back.
 *
 * Linked-server calls are recorded as extension calls with their prefix: the record keeps the
 * `remote` as shown (`113999`, kind `linked`, `prefix`, `server`).
 */
import { QUALITY_WARNINGS, type QualitySummary, type QualityWarning } from './call-quality.js';
import type { CallDirection, CallInfo, EndCause, RemoteKind, RemoteParty } from './types.js';

export interface CallRecord {
  id: string;
  direction: CallDirection;
  remote: RemoteParty;
  startedAt: number;
  answeredAt?: number;
  endedAt: number;
  endCause: EndCause;
  /** Who transferred the call to us, when known. */
  transferredBy?: string;
  /** The call's average and worst MOS and every quality warning it had (calls that were measured). */
  quality?: QualitySummary;
}

export const HISTORY_LIMIT = 100;

const DIRECTIONS: readonly string[] = ['inbound', 'outbound'] satisfies CallDirection[];
const KINDS: readonly string[] = ['internal', 'linked', 'external'] satisfies RemoteKind[];
const END_CAUSES: readonly string[] = [
  'hangup',
  'remote-hangup',
  'declined',
  'busy',
  'no-answer',
  'not-found',
  'transferred',
  'parked',
  'replaced',
  'failed',
  'connection-lost',
] satisfies EndCause[];

/** The storage key of one extension's history, e.g. `soft-phone:history:3999@server1.test`. */
export function historyStorageKey(extension: string, domain: string): string {
  return `soft-phone:history:${extension}@${domain.toLowerCase()}`;
}

/** The record of an ended call; undefined for a call that has not ended. */
export function recordFromCall(call: CallInfo, quality?: QualitySummary): CallRecord | undefined {
  if (call.state !== 'ended' || call.endedAt === undefined) return undefined;
  return toRecord({ ...call, endCause: call.endCause ?? 'failed', quality });
}

/**
 * Adds a record: newest (latest `startedAt`) first, a record with the same id replaced, at most
 * `max` kept. Returns a new list; the input is not changed.
 */
export function addRecord(list: readonly CallRecord[], record: CallRecord, max: number = HISTORY_LIMIT): CallRecord[] {
  const limit = limitOf(max);
  const rest = list.filter((r) => r.id !== record.id);
  const at = rest.findIndex((r) => r.startedAt <= record.startedAt);
  const next = at < 0 ? [...rest, record] : [...rest.slice(0, at), record, ...rest.slice(at)];
  return next.slice(0, limit);
}

/** Seconds talked (0 for a call never answered). */
export function talkSeconds(record: CallRecord): number {
  return record.answeredAt === undefined ? 0 : Math.max(0, Math.round((record.endedAt - record.answeredAt) / 1000));
}

/** An incoming call nobody answered (and that was not declined on purpose). */
export function isMissed(record: CallRecord): boolean {
  return record.direction === 'inbound' && record.answeredAt === undefined && record.endCause !== 'declined';
}

/** The stored form: `{"version":1,"records":[...]}`. */
export function serializeHistory(list: readonly CallRecord[]): string {
  return JSON.stringify({ version: 1, records: list });
}

/**
 * Reads a stored history. Never throws: malformed JSON gives `[]`, malformed entries are dropped,
 * unknown fields are not carried. Accepts the versioned form and a bare array; sorts newest first,
 * drops repeated ids and keeps at most `max`.
 */
export function parseHistory(json: unknown, max: number = HISTORY_LIMIT): CallRecord[] {
  if (typeof json !== 'string') return [];
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  const entries: unknown = Array.isArray(data) ? data : isObject(data) && data.version === 1 ? data.records : undefined;
  if (!Array.isArray(entries)) return [];
  const seen = new Set<string>();
  const list: CallRecord[] = [];
  for (const entry of entries) {
    const record = isObject(entry) ? toRecord(entry) : undefined;
    // the first copy of an id is the one stored last (the list is kept newest first)
    if (record && !seen.has(record.id)) {
      seen.add(record.id);
      list.push(record);
    }
  }
  // stable: records with the same start keep their stored order
  list.sort((x, y) => y.startedAt - x.startedAt);
  return list.slice(0, limitOf(max));
}

function limitOf(max: number): number {
  return Number.isFinite(max) ? Math.max(0, Math.floor(max)) : HISTORY_LIMIT;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function optionalString(value: unknown, max = 256): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' && value.length <= max ? value : null;
}

/** A clean copy of a record-shaped object, or undefined when it is malformed. */
function toRecord(value: Record<string, unknown>): CallRecord | undefined {
  const { id, direction, remote, startedAt, answeredAt, endedAt, endCause, transferredBy, quality } = value;
  if (typeof id !== 'string' || id === '' || id.length > 256) return undefined;
  if (typeof direction !== 'string' || !DIRECTIONS.includes(direction)) return undefined;
  if (!isTime(startedAt) || !isTime(endedAt) || endedAt < startedAt) return undefined;
  if (answeredAt !== undefined && (!isTime(answeredAt) || answeredAt < startedAt || answeredAt > endedAt)) return undefined;
  if (typeof endCause !== 'string' || !END_CAUSES.includes(endCause)) return undefined;
  const by = optionalString(transferredBy);
  if (by === null) return undefined;
  const party = isObject(remote) ? toRemote(remote) : undefined;
  if (!party) return undefined;
  // a malformed quality summary is left out; the call itself is still worth keeping
  const summary = toQuality(quality);
  return {
    id,
    direction: direction as CallDirection,
    remote: party,
    startedAt,
    ...(answeredAt === undefined ? {} : { answeredAt }),
    endedAt,
    endCause: endCause as EndCause,
    ...(by === undefined ? {} : { transferredBy: by }),
    ...(summary === undefined ? {} : { quality: summary }),
  };
}

const isMos = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 1 && v <= 4.5;

/** A clean quality summary; undefined when absent or malformed. */
function toQuality(value: unknown): QualitySummary | undefined {
  if (!isObject(value)) return undefined;
  const { mosAvg, mosMin, warnings } = value;
  if (!isMos(mosAvg) || !isMos(mosMin) || mosMin > mosAvg) return undefined;
  if (!Array.isArray(warnings) || !warnings.every((w) => (QUALITY_WARNINGS as readonly unknown[]).includes(w))) return undefined;
  return { mosAvg, mosMin, warnings: [...new Set(warnings as QualityWarning[])] };
}

function toRemote(value: Record<string, unknown>): RemoteParty | undefined {
  const { number, kind } = value;
  if (typeof number !== 'string' || number.length > 1024) return undefined;
  if (typeof kind !== 'string' || !KINDS.includes(kind)) return undefined;
  const displayName = optionalString(value.displayName);
  if (displayName === null) return undefined;
  const remote: RemoteParty = { number, kind: kind as RemoteKind, ...(displayName === undefined ? {} : { displayName }) };
  if (kind !== 'linked') return remote;
  const { prefix, server } = value;
  if (typeof prefix !== 'string' || !/^[1-9][0-9]?$/.test(prefix) || !number.startsWith(prefix)) return undefined;
  if (typeof server !== 'string' || server === '' || server.length > 256) return undefined;
  return { ...remote, prefix, server };
}
