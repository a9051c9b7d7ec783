/**
 * The monitor's connection to the provisioning server: `GET {url}/monitor` for the snapshot, then
 * the event stream `GET {url}/monitor/events` (EventSource, whose first event is a snapshot again).
 * It owns reconnection instead of leaving it to EventSource (which gives up for good on an HTTP
 * error and says nothing of how long it has been trying): any failure closes the stream and tries
 * again after a backoff with jitter (1 s, 2 s, 4 s … up to 10 s), from the snapshot on, so nothing
 * missed while away stays wrong. See `ConnectionState` for the states.
 */
import { SoftPhoneError } from '../errors.js';
import { safeUrl } from '../provisioning/url.js';
import { parseSnapshot, parseStreamEvent } from './table.js';
import { ConnectionState, type MonitorStreamEvent } from './types.js';

/** The part of `EventSource` the stream uses (a test may pass its own). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (e: MessageEvent<string>) => void): void;
  onopen: ((e: Event) => void) | null;
  onerror: ((e: Event) => void) | null;
  close(): void;
}
export type EventSourceFactory = new (url: string, init?: EventSourceInit) => EventSourceLike;

/** Connection settings the attributes do not cover (tests, or a host with its own fetch). */
export interface MonitorStreamOptions {
  fetch?: typeof fetch;
  EventSource?: EventSourceFactory;
  /** First retry delay in ms; doubles per failed attempt up to `maxRetryMs`. Default 1000. */
  retryMs?: number;
  /** Default 10000. */
  maxRetryMs?: number;
  /** Failed attempts in a row after which the state is `offline` (still retrying). Default 3. */
  offlineAfter?: number;
  /** Cookies: `same-origin` (default) or `include` for a provisioning server on another origin. */
  credentials?: RequestCredentials;
}

export interface MonitorStreamHandlers {
  event(e: MonitorStreamEvent): void;
  state(state: ConnectionState, attempt: number): void;
  error(error: SoftPhoneError): void;
}

const STREAM_EVENTS = ['snapshot', 'server', 'extension', 'call'] as const;

export class MonitorStream {
  #state: ConnectionState = ConnectionState.Idle;
  #attempt = 0;
  #source: EventSourceLike | undefined;
  #abort: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;
  /** The last failure reported, so a server that stays down is reported once, not every retry. */
  #lastError = '';
  readonly #base: string;

  constructor(
    base: URL,
    private readonly handlers: MonitorStreamHandlers,
    private readonly options: MonitorStreamOptions = {},
  ) {
    this.#base = base.href.replace(/\/+$/, '');
  }

  get state(): ConnectionState {
    return this.#state;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    globalThis.addEventListener?.('online', this.#onOnline);
    globalThis.addEventListener?.('offline', this.#onOffline);
    this.#setState(ConnectionState.Connecting);
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    globalThis.removeEventListener?.('online', this.#onOnline);
    globalThis.removeEventListener?.('offline', this.#onOffline);
    this.#close();
    this.#setState(ConnectionState.Idle);
  }

  #onOnline = (): void => {
    if (this.#state === ConnectionState.Connected || this.#stopped) return;
    this.#close();
    void this.#connect();
  };

  #onOffline = (): void => {
    if (this.#stopped) return;
    this.#fail(new SoftPhoneError('PROVISIONING_ERROR', `the browser is offline: no monitor stream from ${this.#where('/monitor/events')}`));
  };

  #where(path: string): string {
    return safeUrl(new URL(`${this.#base}${path}`));
  }

  #close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    this.#abort = undefined;
    if (this.#source) {
      this.#source.onopen = null;
      this.#source.onerror = null;
      this.#source.close();
    }
    this.#source = undefined;
  }

  async #connect(): Promise<void> {
    const abort = (this.#abort = new AbortController());
    const doFetch = this.options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
    const where = `GET ${this.#where('/monitor')}`;
    let body: unknown;
    try {
      const res = await doFetch(`${this.#base}/monitor`, {
        signal: abort.signal,
        credentials: this.options.credentials ?? 'same-origin',
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new SoftPhoneError('PROVISIONING_ERROR', `${where} answered ${res.status}`);
      body = await res.json().catch(() => undefined);
    } catch (e) {
      if (abort.signal.aborted) return;
      this.#fail(e instanceof SoftPhoneError ? e : new SoftPhoneError('PROVISIONING_ERROR', `${where} failed: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (abort.signal.aborted) return;
    const snapshot = parseSnapshot(body);
    if (!snapshot) {
      this.#fail(new SoftPhoneError('PROVISIONING_ERROR', `${where} returned no monitor snapshot ({ servers, extensions })`));
      return;
    }
    this.handlers.event({ event: 'snapshot', data: snapshot });
    this.#open();
  }

  #open(): void {
    const Source = this.options.EventSource ?? (globalThis.EventSource as unknown as EventSourceFactory);
    const source = (this.#source = new Source(`${this.#base}/monitor/events`, { withCredentials: this.options.credentials === 'include' }));
    for (const type of STREAM_EVENTS) {
      source.addEventListener(type, (m) => {
        if (this.#source !== source) return;
        const e = parseStreamEvent(type, m.data);
        if (e) this.handlers.event(e);
      });
    }
    source.onopen = () => {
      this.#attempt = 0;
      this.#lastError = '';
      this.#setState(ConnectionState.Connected);
    };
    source.onerror = () => {
      if (this.#source !== source) return;
      this.#fail(new SoftPhoneError('PROVISIONING_ERROR', `the monitor stream ${this.#where('/monitor/events')} was interrupted`));
    };
  }

  #fail(error: SoftPhoneError): void {
    this.#close();
    if (this.#stopped) return;
    this.#attempt++;
    if (error.message !== this.#lastError) {
      this.#lastError = error.message;
      this.handlers.error(error);
    }
    const offline = this.#attempt >= (this.options.offlineAfter ?? 3) || globalThis.navigator?.onLine === false;
    this.#setState(offline ? ConnectionState.Offline : ConnectionState.Reconnecting);
    const first = this.options.retryMs ?? 1000;
    const delay = Math.min(first * 2 ** (this.#attempt - 1), this.options.maxRetryMs ?? 10_000);
    // jitter: many supervisors' pages do not all come back in the same instant after a restart
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, delay * (0.8 + Math.random() * 0.4));
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.handlers.state(state, this.#attempt);
  }
}
