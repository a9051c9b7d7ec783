/**
 * The call history of one `<extension>@<domain>` in the browser's localStorage: read (frozen,
 * cached by the stored text so another tab's calls show up too), added to, emptied. Storage the
 * browser blocks means no history, never an error.
 */
import type { QualitySummary } from '../core/call-quality.js';
import { addRecord, historyStorageKey, parseHistory, recordFromCall, serializeHistory, type CallRecord } from '../core/call-history.js';
import type { CallInfo } from '../core/types.js';
import { logger } from '../logger.js';

export class CallHistoryStore {
  readonly #aor: () => { extension: string; domain: string };
  #cache: { key: string; raw: string | null; list: readonly CallRecord[] } | undefined;

  /** `aor`: the extension and domain now (the history follows them). */
  constructor(aor: () => { extension: string; domain: string }) {
    this.#aor = aor;
  }

  /** Where the history is kept; undefined while extension or domain is not set. */
  #key(): string | undefined {
    const { extension, domain } = this.#aor();
    return extension.trim() && domain.trim() ? historyStorageKey(extension.trim(), domain.trim()) : undefined;
  }

  get list(): readonly CallRecord[] {
    const key = this.#key();
    if (!key) return [];
    let raw: string | null = null;
    try {
      raw = localStorage.getItem(key);
    } catch {
      // storage blocked by the browser: no history
    }
    const cached = this.#cache;
    if (cached?.key === key && cached.raw === raw) return cached.list;
    const list = Object.freeze(parseHistory(raw).map((r) => Object.freeze({ ...r, remote: Object.freeze(r.remote) })));
    this.#cache = { key, raw, list };
    return list;
  }

  /** Keeps the last 100 calls. */
  remember(call: CallInfo, quality?: QualitySummary): void {
    const record = recordFromCall(call, quality);
    const key = this.#key();
    if (!record || !key) return;
    try {
      localStorage.setItem(key, serializeHistory(addRecord(parseHistory(localStorage.getItem(key)), record)));
    } catch (e) {
      logger.debug('call history not saved', e);
    }
  }

  clear(): void {
    const key = this.#key();
    if (!key) return;
    try {
      localStorage.removeItem(key);
    } catch (e) {
      logger.debug('call history not cleared', e);
    }
  }
}
