import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { SoftPhoneError } from '../errors.js';
import { DocumentLanguage } from '../i18n/document-language.js';
import type { Language } from '../i18n/language.js';
import { checkProvisioningUrl } from '../provisioning/url.js';
import { emitMonitor } from './events.js';
import { monitorTranslator, type MonitorMessageKey, type MonitorTranslate } from './messages.js';
import { monitorStyles } from './monitor.styles.js';
import { checkTheme, type Theme } from '../ui/palette.js';
import { MonitorStream, type MonitorStreamOptions } from './stream.js';
import {
  applyEvent,
  EMPTY,
  filterExtensions,
  formatDuration,
  isSortKey,
  linkedServerOf,
  sortExtensions,
  statusesOf,
  type SortDirection,
  type SortKey,
} from './table.js';
import { ConnectionState, type MonitorCall, type MonitorExtension, type MonitorServer, type MonitorSnapshot, type MonitorStreamEvent } from './types.js';

const COLUMNS: readonly { key: SortKey; label: MonitorMessageKey }[] = [
  { key: 'number', label: 'number' },
  { key: 'server', label: 'server' },
  { key: 'registered', label: 'registered' },
  { key: 'agent', label: 'agent' },
  { key: 'status', label: 'status' },
  { key: 'remote', label: 'remote' },
  { key: 'direction', label: 'direction' },
  { key: 'since', label: 'since' },
  { key: 'state', label: 'state' },
];

/**
 * `<soft-phone-monitor>`: the supervisor's live view of a group of linked servers, from the
 * provisioning API's `GET {provisioning-url}/monitor` and its event stream `/monitor/events`.
 *
 * Shows every server (concurrent calls of its limit, parked calls, linked servers' calls included)
 * and every extension in a table: number, server, registration, agent, status and each current
 * call (the partner's number, with the linked server's prefix for a call from a linked server, e.g.
 * `122099`; direction; a duration that ticks each second; ringing or talking). Filters (server,
 * agent status, "on a call") and the sort column are attributes as well as controls; the column
 * headers are buttons (keyboard operable) and the sorted one carries `aria-sort`.
 *
 * The element keeps the stream up by itself: when it breaks it shows "Reconnecting…", tries again
 * with a growing delay (1 s up to 10 s) and starts over from a fresh snapshot; after three failed
 * attempts in a row (or while the browser is offline) it shows "Offline, retrying" and keeps trying.
 * Removing the element closes the stream.
 *
 * @tag soft-phone-monitor
 * @summary The supervisor's live monitor of servers, extensions and calls.
 *
 * @fires {CustomEvent<{ state: 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline'; attempt: number }>} softphone-monitor-connection - The event stream's state changed (`attempt`: failed attempts in a row).
 * @fires {CustomEvent<{ code: ErrorCode; message: string }>} softphone-monitor-error - A bad `provisioning-url` (`INVALID_CONFIG`, naming the value) or the server failing (`PROVISIONING_ERROR`, naming the URL and status); reported once per failure, not on every retry.
 *
 * @csspart base - The whole monitor.
 * @csspart header - Title and stream state.
 * @csspart connection - The stream state badge (`data-state` is the state).
 * @csspart error - The last error, with a dismiss button.
 * @csspart servers - The servers table.
 * @csspart filters - The filter controls and the count of extensions shown.
 * @csspart table - The extensions table.
 * @csspart row - An extension's row (`data-server`, `data-number`).
 *
 * @cssproperty [--soft-phone-monitor-font] - Font shorthand (else `--soft-phone-font`).
 * @cssproperty [--soft-phone-monitor-background=light-dark(#ffffff, #0d1117)] - Background (else `--soft-phone-background`).
 * @cssproperty [--soft-phone-monitor-color=light-dark(#1f2328, #e6edf3)] - Text color (else `--soft-phone-color`).
 * @cssproperty [--soft-phone-monitor-muted-color=light-dark(#59636e, #9198a1)] - Secondary text.
 * @cssproperty [--soft-phone-monitor-border-color=light-dark(#d1d9e0, #3d444d)] - Borders and row lines.
 * @cssproperty [--soft-phone-monitor-field-border-color=light-dark(#818b98, #656c76)] - Outline of the menus (3:1 against the background).
 * @cssproperty [--soft-phone-monitor-surface=light-dark(#f6f8fa, #151b23)] - Table header and hovered row.
 * @cssproperty [--soft-phone-monitor-success=light-dark(#1a7f37, #3fb950)] - Connected and registered dots.
 * @cssproperty [--soft-phone-monitor-warning=light-dark(#9a6700, #d29922)] - Reconnecting dot, ringing calls.
 * @cssproperty [--soft-phone-monitor-danger=light-dark(#cf222e, #f85149)] - Offline dot, a server at its limit.
 * @cssproperty [--soft-phone-monitor-idle=light-dark(#8c959f, #6e7681)] - Unregistered dot.
 * @cssproperty [--soft-phone-monitor-warning-background=light-dark(#fff1e5, #2d1b0e)] - Error notice background.
 * @cssproperty [--soft-phone-monitor-warning-color=light-dark(#953800, #f0883e)] - Error notice text.
 * @cssproperty [--soft-phone-monitor-focus-ring=light-dark(#0969da, #4493f8)] - Keyboard focus outline.
 * (Each falls back to the phone's `--soft-phone-*` property of the same name.)
 * @cssproperty [--soft-phone-monitor-radius=8px] - Corner radius.
 */
export class SoftPhoneMonitor extends LitElement {
  static override styles = monitorStyles;

  static override properties = {
    provisioningUrl: { attribute: 'provisioning-url' },
    lang: {},
    serverFilter: { attribute: 'server-filter' },
    statusFilter: { attribute: 'status-filter' },
    onCall: { attribute: 'on-call', type: Boolean },
    sortBy: { attribute: 'sort-by' },
    sortDirection: { attribute: 'sort-direction' },
    streamOptions: { attribute: false },
    connectionState: { attribute: 'connection-state', reflect: true },
    theme: {},
  };

  static {
    for (const name of ['_data', '_now', '_error']) this.createProperty(name, { state: true });
  }

  /** Base URL of the provisioning API (the same as the phone's `provisioning-url`). */
  provisioningUrl = '';
  /** UI language: `en`, `ja`, `he` (right-to-left) or `pl`; empty: the document's language, else English. */
  override lang = '';
  /** Show only this server's extensions (its `name`); empty: all. */
  serverFilter = '';
  /** Show only extensions whose agent has this status; empty: any. */
  statusFilter = '';
  /** Show only extensions with a call. */
  onCall = false;
  /** The column sorted by: `number`, `server`, `registered`, `agent`, `status`, `remote`, `direction`, `since`, `state`; empty: the server's order. */
  sortBy = '';
  /** `ascending` (default) or `descending`. */
  sortDirection: SortDirection = 'ascending';
  /** Color scheme: `auto` (default) follows the system's `prefers-color-scheme`, `light` and `dark` force one. */
  theme: Theme = 'auto';
  /** Connection settings the attributes do not cover: `fetch`, `EventSource`, retry timing, `credentials`. */
  streamOptions: MonitorStreamOptions = {};
  /** Read-only: the event stream's state (reflected as `connection-state`). */
  connectionState: ConnectionState = ConnectionState.Idle;

  declare private _data: MonitorSnapshot;
  declare private _now: number;
  declare private _error: SoftPhoneError | undefined;

  #stream: MonitorStream | undefined;
  /** The URL the stream was made for (undefined while disconnected). */
  #streamKey: string | undefined;
  #streamOptions: MonitorStreamOptions | undefined;
  #clock: ReturnType<typeof setInterval> | undefined;
  readonly #language = new DocumentLanguage(this, () => this.lang);

  constructor() {
    super();
    this._data = EMPTY;
    this._now = Date.now();
    this._error = undefined;
  }

  /** Every server as last reported: name, prefix, concurrent calls, limit, parked calls. */
  get servers(): readonly MonitorServer[] {
    return this._data.servers;
  }

  /** Every extension as last reported, in the server's order (not filtered). */
  get extensions(): readonly MonitorExtension[] {
    return this._data.extensions;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#restartStream();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopStream();
    this.#streamKey = undefined;
    this.#tick(false);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('provisioningUrl') || changed.has('streamOptions')) this.#restartStream();
    if (changed.has('sortBy') && this.sortBy !== '' && !isSortKey(this.sortBy)) {
      this.#report(new SoftPhoneError('INVALID_CONFIG', `sort-by ${JSON.stringify(this.sortBy)} is not a column (${COLUMNS.map((c) => c.key).join(', ')})`));
    }
    if (changed.has('sortDirection') && this.sortDirection !== 'ascending' && this.sortDirection !== 'descending') {
      this.#report(new SoftPhoneError('INVALID_CONFIG', `sort-direction ${JSON.stringify(this.sortDirection)} must be ascending or descending`));
    }
    if (changed.has('theme')) {
      try {
        checkTheme(this.theme);
      } catch (e) {
        this.#report(e as SoftPhoneError);
      }
    }
    this.#tick(this.connectionState === ConnectionState.Connected && this._data.extensions.some((x) => x.calls.length > 0));
  }

  #restartStream(): void {
    if (!this.isConnected) return;
    const key = this.provisioningUrl.trim();
    // the same URL and options: keep the stream (willUpdate also runs for the first connect)
    if (key === this.#streamKey && this.streamOptions === this.#streamOptions) return;
    this.#stopStream();
    this.#streamKey = key;
    this.#streamOptions = this.streamOptions;
    this._data = EMPTY;
    if (key === '') return;
    let base: URL;
    try {
      base = checkProvisioningUrl(key);
    } catch (e) {
      this.#report(e as SoftPhoneError);
      return;
    }
    this._error = undefined;
    const stream = new MonitorStream(
      base,
      {
        event: (e) => this.#apply(e),
        state: (state, attempt) => {
          if (this.#stream !== stream) return;
          this.connectionState = state;
          emitMonitor(this, 'softphone-monitor-connection', { state, attempt });
          if (state === ConnectionState.Connected) this._error = undefined;
        },
        error: (error) => {
          if (this.#stream === stream) this.#report(error);
        },
      },
      this.streamOptions,
    );
    this.#stream = stream;
    stream.start();
  }

  #stopStream(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.stop();
    if (this.connectionState !== ConnectionState.Idle) {
      this.connectionState = ConnectionState.Idle;
      emitMonitor(this, 'softphone-monitor-connection', { state: ConnectionState.Idle, attempt: 0 });
    }
  }

  #apply(e: MonitorStreamEvent): void {
    this._data = applyEvent(this._data, e);
    this._now = Date.now();
  }

  #report(error: SoftPhoneError): void {
    this._error = error;
    emitMonitor(this, 'softphone-monitor-error', error.toJSON());
  }

  /** The call durations tick once a second while a call is shown. */
  #tick(on: boolean): void {
    if (on && !this.#clock) {
      this.#clock = setInterval(() => (this._now = Date.now()), 1000);
    } else if (!on && this.#clock) {
      clearInterval(this.#clock);
      this.#clock = undefined;
    }
  }

  #sort(key: SortKey): void {
    if (this.sortBy === key) {
      this.sortDirection = this.sortDirection === 'ascending' ? 'descending' : 'ascending';
    } else {
      this.sortBy = key;
      this.sortDirection = 'ascending';
    }
  }

  /** The extensions the table shows: filtered, then sorted. */
  get shownExtensions(): readonly MonitorExtension[] {
    const filtered = filterExtensions(this._data.extensions, { server: this.serverFilter, status: this.statusFilter, onCall: this.onCall });
    return isSortKey(this.sortBy) ? sortExtensions(filtered, this.sortBy, this.sortDirection === 'descending' ? 'descending' : 'ascending') : filtered;
  }

  override render(): TemplateResult {
    const lang = this.#language.language;
    const t = monitorTranslator(lang);
    const shown = this.shownExtensions;
    return html`<div part="base" class="base" dir=${this.#language.dir} lang=${lang} data-theme=${this.theme}>
      <div part="header" class="header">
        <h2>${t('title')}</h2>
        <p part="connection" class="conn" role="status" data-state=${this.connectionState}><span class="dot"></span>${t(`conn.${this.connectionState}`)}</p>
      </div>
      ${this._error
        ? html`<p part="error" class="error" role="alert">
            <span>${t('error', { message: this._error.message })}</span>
            <button class="btn" type="button" @click=${() => (this._error = undefined)}>${t('dismiss')}</button>
          </p>`
        : nothing}
      ${this.#renderServers(t)} ${this.#renderFilters(t, shown.length)} ${this.#renderExtensions(t, lang, shown)}
    </div>`;
  }

  #renderServers(t: MonitorTranslate): TemplateResult {
    const count = (s: MonitorServer) => {
      if (s.online === false) return html`<span class="full">${t('serverDown')}</span>`;
      if (s.concurrentCalls === null) return t('unknown');
      if (!s.limit) return html`${s.concurrentCalls} <span class="muted">(${t('noLimit')})</span>`;
      const text = t('concurrentOf', { calls: s.concurrentCalls, limit: s.limit });
      return s.concurrentCalls >= s.limit ? html`<span class="full">${text}</span>` : text;
    };
    return html`<div class="scroll">
      <table part="servers" class="servers">
        <caption>${t('servers')}</caption>
        <thead>
          <tr>
            <th scope="col">${t('server')}</th>
            <th scope="col">${t('prefix')}</th>
            <th scope="col">${t('concurrent')}</th>
            <th scope="col">${t('parked')}</th>
          </tr>
        </thead>
        <tbody>
          ${this._data.servers.map(
            (s) => html`<tr data-server=${s.name}>
              <th scope="row">${s.name}</th>
              <td>${s.prefix}</td>
              <td class="concurrent">${count(s)}</td>
              <td class="parked">${s.parkedCalls}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  #renderFilters(t: MonitorTranslate, shown: number): TemplateResult {
    const statuses = statusesOf(this._data.extensions);
    if (this.statusFilter && !statuses.includes(this.statusFilter)) statuses.push(this.statusFilter);
    const servers = this._data.servers.map((s) => s.name);
    if (this.serverFilter && !servers.includes(this.serverFilter)) servers.push(this.serverFilter);
    return html`<div part="filters" class="filters" role="group" aria-label=${t('filters')}>
      <label
        >${t('filterServer')}
        <select name="server" @change=${(e: Event) => (this.serverFilter = (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${this.serverFilter === ''}>${t('all')}</option>
          ${servers.map((s) => html`<option value=${s} ?selected=${this.serverFilter === s}>${s}</option>`)}
        </select></label
      >
      <label
        >${t('filterStatus')}
        <select name="status" @change=${(e: Event) => (this.statusFilter = (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${this.statusFilter === ''}>${t('all')}</option>
          ${statuses.map((s) => html`<option value=${s} ?selected=${this.statusFilter === s}>${s}</option>`)}
        </select></label
      >
      <label
        ><input type="checkbox" name="on-call" .checked=${this.onCall} @change=${(e: Event) => (this.onCall = (e.target as HTMLInputElement).checked)} />${t(
          'onCallOnly',
        )}</label
      >
      <output class="count" aria-live="polite">${t('shown', { shown, total: this._data.extensions.length })}</output>
    </div>`;
  }

  #renderExtensions(t: MonitorTranslate, lang: Language, shown: readonly MonitorExtension[]): TemplateResult {
    const sorted = isSortKey(this.sortBy) ? this.sortBy : undefined;
    const header = (c: (typeof COLUMNS)[number]) => {
      const sort = c.key === sorted ? this.sortDirection : undefined;
      return html`<th scope="col" aria-sort=${sort ?? 'none'}>
        <button class="sort" type="button" data-sort=${c.key} @click=${() => this.#sort(c.key)}>
          ${t(c.label)}<span class="arrow" aria-hidden="true">${sort === 'ascending' ? '▲' : sort === 'descending' ? '▼' : ''}</span>
        </button>
      </th>`;
    };
    return html`<div class="scroll">
      <table part="table" class="extensions">
        <caption>${t('extensions')}</caption>
        <thead>
          <tr>${COLUMNS.map(header)}</tr>
        </thead>
        <tbody>
          ${shown.length === 0
            ? html`<tr><td colspan=${COLUMNS.length} class="muted">${this._data.extensions.length ? t('empty') : ''}</td></tr>`
            : shown.map((x) => this.#renderRow(t, lang, x))}
        </tbody>
      </table>
    </div>`;
  }

  #renderRow(t: MonitorTranslate, lang: Language, x: MonitorExtension): TemplateResult {
    const lines = (f: (c: MonitorCall) => unknown) => x.calls.map((c) => html`<span class="line">${f(c)}</span>`);
    const remote = (c: MonitorCall) => {
      const linked = linkedServerOf(c.remote, x.server, this._data.servers);
      return html`<bdi>${c.remote}</bdi>${linked ? html` <span class="linked">(${linked.name})</span>` : nothing}`;
    };
    const since = (c: MonitorCall) =>
      html`<time datetime=${new Date(c.since).toISOString()} title=${t('sinceAt', { time: new Date(c.since).toLocaleTimeString(lang) })}
        >${formatDuration(this._now - c.since)}</time
      >`;
    return html`<tr part="row" data-server=${x.server} data-number=${x.number}>
      <th scope="row"><bdi>${x.number}</bdi></th>
      <td>${x.server}</td>
      <td class="registered"><span class=${x.registered ? 'dot on' : 'dot'} aria-hidden="true"></span> ${t(x.registered ? 'yes' : 'no')}</td>
      <td class="agent">${x.agent ?? ''}</td>
      <td class="status">${x.status ?? ''}</td>
      <td class="remote">${lines(remote)}</td>
      <td class="direction">${lines((c) => t(`dir.${c.direction}`))}</td>
      <td class="since">${lines(since)}</td>
      <td class="state">${lines((c) => html`<span class=${c.state}>${t(`state.${c.state}`)}</span>`)}</td>
    </tr>`;
  }
}
