/**
 * The agent's provisioning state: the login step, the session, statuses and the forwarding form.
 * No DOM, no Lit: the element renders what this holds and forwards its methods here.
 *
 *                      ┌────────── login before the list arrives ───────────┐
 *   off ──configure──> loading ──list──> choosing ──login──> starting ──ok──> active
 *    ^                  ^   │ error        │  ^                  │ fail          │
 *    │                  │   └─> choosing   │  └──────────────────┘               │
 *    │                  └───── retry ──────┘                                     │
 *    └───── new settings (from off, loading, choosing) / logout (from active) ───┘
 *
 * Another tab of the same agent logged in (`adopt`): off, loading or choosing go to active at once.
 *
 * `AGENT_TRANSITIONS` is this diagram as a table; a move outside it throws `IllegalTransitionError`.
 *
 * The SIP password of a session is handed to the caller of `login()` only; the kept copy has none.
 */
import { SoftPhoneError } from '../errors.js';
import type { CallInfo } from '../core/types.js';
import { IllegalTransitionError } from '../core/phone-state.js';
import type { ExtensionEntry } from '../core/extension-list.js';
import { logger } from '../logger.js';
import {
  AUTOMATIC_STATUSES,
  AVAILABLE_STATUS,
  VIRTUAL_STATUS,
  createProvisioningClient,
  type ProvisioningClient,
  type ProvisioningClientOptions,
  type ProvisioningSession,
  type SoftphoneSession,
} from './client.js';
import type { ForwardingSettings } from './forwarding.js';
import { ForwardingPanel } from './forwarding-panel.js';

/** Client settings a host may add (auth headers, cookies, timeout; `fetch` for tests). */
export type ProvisioningOptions = Partial<Pick<ProvisioningClientOptions, 'fetch' | 'timeoutMs' | 'headers' | 'credentials'>>;

export type AgentPhase = 'off' | 'loading' | 'choosing' | 'starting' | 'active';

/** The moves of `AgentSession.phase` (the diagram above); staying in a phase is always allowed. */
export const AGENT_TRANSITIONS: Readonly<Record<AgentPhase, readonly AgentPhase[]>> = {
  // active straight away: another tab of the agent logged in (`adopt`)
  off: ['loading', 'active'],
  // a host may log in before the list has arrived: the login does not need it
  loading: ['choosing', 'starting', 'off', 'active'],
  choosing: ['starting', 'loading', 'off', 'active'],
  starting: ['active', 'choosing'],
  active: ['off'],
};

const [INCOMING, OUTGOING] = AUTOMATIC_STATUSES as [string, string];

export interface AgentSessionHost {
  changed(): void;
  statusChanged(status: string): void;
  /**
   * This tab saves the automatic call statuses (default: yes). Tabs that share one phone see the
   * same calls; only the tab that holds the phone tells the server.
   */
  savesCallStatus?(): boolean;
}

/** What another tab of the same agent needs to show this login: the session without its password, the chosen status. */
export interface SharedLogin {
  session: ProvisioningSession;
  chosen: string;
}

/** A session as this side keeps it (and another tab may see it): the SIP password emptied. */
export function withoutPassword<S extends ProvisioningSession>(session: S): S {
  return session.sip ? { ...session, sip: { ...session.sip, password: '' } } : session;
}

function notLoggedIn(): SoftPhoneError {
  return new SoftPhoneError('PROVISIONING_ERROR', 'the agent is not logged in');
}

export class AgentSession {
  #phase: AgentPhase = 'off';
  /** In login order: personal, virtual (`mobile <number>`), the others. */
  extensions: ExtensionEntry[] = [];
  /** The last failure to show (login step or status), until dismissed or the next attempt. */
  error: SoftPhoneError | undefined;
  /** The list could not be loaded: the login step offers a retry. */
  listFailed = false;
  /** The forwarding panel of this session (a new one at every login and logout). */
  forwarding: ForwardingPanel = this.#panel();

  readonly #host: AgentSessionHost;
  #client: ProvisioningClient | undefined;
  #key: unknown[] = [];
  #wanted: [string, string, ProvisioningOptions] = ['', '', {}];
  #url = '';
  #session: ProvisioningSession | undefined;
  #chosen = AVAILABLE_STATUS;
  #callStatus: string | undefined;
  #puts: Promise<unknown> = Promise.resolve();
  #loads = 0;

  constructor(host: AgentSessionHost) {
    this.#host = host;
  }

  /** Where the login is (see the diagram at the top). */
  get phase(): AgentPhase {
    return this.#phase;
  }

  #moveTo(to: AgentPhase): void {
    const from = this.#phase;
    if (from === to) return;
    if (!AGENT_TRANSITIONS[from].includes(to)) throw new IllegalTransitionError('agent session', from, to);
    this.#phase = to;
  }

  /** The session without its password. */
  get session(): ProvisioningSession | undefined {
    return this.#session;
  }

  /** The login step is shown: provisioning is configured and nobody is logged in. */
  get loginStep(): boolean {
    return this.#url !== '' && !this.#session;
  }

  /** A softphone session is active: the phone registers with its settings. */
  get registers(): boolean {
    return !!this.#session?.sip;
  }

  /** The status in effect: the call's automatic status while a call is up, else the chosen one. */
  get status(): string {
    return this.#callStatus ?? (this.#session ? this.#chosen : AVAILABLE_STATUS);
  }

  /** The statuses the agent can choose (the automatic call statuses are set by the phone). */
  get menu(): string[] {
    const s = this.#session;
    if (!s) return [];
    const first = s.sip ? AVAILABLE_STATUS : VIRTUAL_STATUS;
    const list = s.statuses.filter((x) => !AUTOMATIC_STATUSES.includes(x) && (s.sip ? x !== VIRTUAL_STATUS : x !== AVAILABLE_STATUS));
    return list.includes(first) ? list : [first, ...list];
  }

  /** The extension the agent is logged in at. */
  get extension(): string | undefined {
    const s = this.#session;
    return s ? (s.sip ? s.sip.extension : s.virtual.extension) : undefined;
  }

  /**
   * Takes the element's settings. A change while logged in waits for the logout. Throws
   * `INVALID_CONFIG` for a bad URL or a missing agent.
   */
  configure(url: string, agent: string, options: ProvisioningOptions): void {
    this.#wanted = [url, agent, options];
    if (this.#session || this.#phase === 'starting') return;
    this.#configure(url, agent, options);
  }

  #configure(url: string, agent: string, options: ProvisioningOptions): void {
    const key = [url.trim(), agent.trim(), options.fetch, options.timeoutMs, JSON.stringify(options.headers ?? {}), options.credentials];
    if (key.every((v, i) => v === this.#key[i]) && (this.#client || !url.trim())) return;
    this.#key = key;
    this.#url = url.trim();
    this.#client = undefined;
    this.extensions = [];
    this.error = undefined;
    this.listFailed = false;
    this.#moveTo('off');
    this.#host.changed();
    if (!this.#url) return;
    if (!agent.trim()) throw new SoftPhoneError('INVALID_CONFIG', 'agent is not set: provisioning-url needs an agent id');
    this.#client = createProvisioningClient({ baseUrl: this.#url, agent: agent.trim(), ...options });
    void this.load().catch(() => undefined);
  }

  #requireClient(): ProvisioningClient {
    if (!this.#client) {
      throw new SoftPhoneError('PROVISIONING_ERROR', this.#url ? 'agent is not set' : 'provisioning-url is not set');
    }
    return this.#client;
  }

  /** (Re)loads the login list. */
  async load(): Promise<void> {
    const client = this.#requireClient();
    const load = ++this.#loads;
    this.#moveTo('loading');
    this.error = undefined;
    this.listFailed = false;
    this.#host.changed();
    try {
      const list = await client.listExtensions();
      if (load !== this.#loads || client !== this.#client) return;
      this.extensions = list;
    } catch (e) {
      if (load !== this.#loads || client !== this.#client) return;
      this.error = e as SoftPhoneError;
      this.listFailed = true;
      throw e;
    } finally {
      if (load === this.#loads) {
        if (this.#phase === 'loading') this.#moveTo('choosing');
        this.#host.changed();
      }
    }
  }

  /** Starts a session (automatic mode without a number). Resolves with the full session, password included. */
  async login(extension?: string): Promise<ProvisioningSession> {
    const client = this.#requireClient();
    if (this.#session) throw new SoftPhoneError('NOT_ALLOWED', `already logged in at extension ${this.extension}: log out first`);
    if (this.#phase === 'starting') throw new SoftPhoneError('NOT_ALLOWED', 'a login is already under way');
    this.#moveTo('starting');
    this.error = undefined;
    this.#host.changed();
    try {
      const chosen = extension === undefined ? undefined : this.extensions.find((e) => e.number === extension);
      const session = await client.startSession(extension, chosen);
      this.#begin(session, session.sip ? AVAILABLE_STATUS : VIRTUAL_STATUS);
      this.#host.statusChanged(this.status);
      return session;
    } catch (e) {
      this.#moveTo('choosing');
      this.error = e as SoftPhoneError;
      this.#host.changed();
      throw e;
    }
  }

  /** Keeps a session (never its password) as the active one. */
  #begin(session: ProvisioningSession, chosen: string): void {
    this.#session = withoutPassword(session);
    this.#chosen = chosen;
    this.#callStatus = undefined;
    this.#moveTo('active');
    this.error = undefined;
    this.forwarding = this.#panel();
    this.#host.changed();
  }

  /** This login as another tab of the agent shows it (no password in it); none when not logged in. */
  get shared(): SharedLogin | undefined {
    return this.#session ? { session: this.#session, chosen: this.#chosen } : undefined;
  }

  /**
   * Another tab of the same agent logged in: this tab shows that login (no request of its own).
   * Ignored while this tab has a session or is starting one. True when taken.
   */
  adopt(login: SharedLogin): boolean {
    if (this.#session || this.#phase === 'starting' || !this.#client) return false;
    const before = this.status;
    this.#begin(login.session, login.chosen);
    if (this.status !== before) this.#host.statusChanged(this.status);
    return true;
  }

  /** Another tab of the agent chose a status (and saved it). */
  adoptStatus(chosen: string): void {
    if (!this.#session || chosen === this.#chosen || !this.menu.includes(chosen)) return;
    const before = this.status;
    this.#chosen = chosen;
    this.#host.changed();
    if (this.status !== before) this.#host.statusChanged(this.status);
  }

  /** Another tab of the agent logged out (and told the server): this tab is logged out too. */
  adoptLogout(): void {
    if (this.#session) this.#ended(this.status, undefined);
  }

  /**
   * Starts the session again at the same extension: the answer carries the password this tab needs
   * when it takes over the phone from a tab that is gone. The chosen status is saved again (a new
   * session starts `available`). Resolves with the full session, password included.
   */
  async renew(): Promise<SoftphoneSession> {
    const client = this.#requireClient();
    const ext = this.extension;
    if (!this.#session?.sip || !ext) throw notLoggedIn();
    const chosen = this.#chosen;
    const session = await client.startSession(ext, this.extensions.find((e) => e.number === ext));
    if (!session.sip) throw new SoftPhoneError('PROVISIONING_ERROR', `extension ${ext} came back without SIP settings`);
    this.#session = withoutPassword(session);
    const put = this.#callStatus ?? chosen;
    if (put !== session.status && session.statuses.includes(put)) {
      this.#put(client, put).catch((e: unknown) => logger.warn('the status was not saved on the provisioning server', e));
    }
    this.#host.changed();
    return session;
  }

  /**
   * Ends the session: `beforeEnd` (the phone unregisters) first, then DELETE. Locally the agent is
   * logged out even when the server cannot be told (it rejects then, so the host knows).
   */
  async logout(beforeEnd: () => Promise<void>): Promise<void> {
    const client = this.#requireClient();
    const was = this.status;
    await beforeEnd();
    let failure: unknown;
    try {
      await client.endSession();
    } catch (e) {
      failure = e;
    }
    this.#ended(was, failure);
    if (failure) throw failure;
  }

  /** The session is over here: the login list again (`failure`: the server could not be told). */
  #ended(was: string, failure: unknown): void {
    const wasLoggedIn = !!this.#session;
    this.#session = undefined;
    this.#callStatus = undefined;
    this.#chosen = AVAILABLE_STATUS;
    this.forwarding = this.#panel();
    if (wasLoggedIn || !this.extensions.length) {
      // The list again, with the settings as they are now (they may have changed while logged in).
      this.#key = [];
      try {
        this.#configure(...this.#wanted);
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure) this.error = failure as SoftPhoneError;
    this.#host.changed();
    if (this.status !== was) this.#host.statusChanged(this.status);
  }

  /** The agent picks a status from the menu: PUT, then it is the chosen status. */
  async setStatus(status: string): Promise<void> {
    const client = this.#requireClient();
    if (!this.#session) throw notLoggedIn();
    if (typeof status !== 'string' || !this.menu.includes(status)) {
      const why = AUTOMATIC_STATUSES.includes(status) && this.#session.sip ? 'is set automatically during calls' : `is not one of ${this.menu.join(', ')}`;
      throw new SoftPhoneError('INVALID_CONFIG', `status ${JSON.stringify(status)} ${why}`);
    }
    const before = this.status;
    try {
      await this.#put(client, status);
    } catch (e) {
      this.error = e as SoftPhoneError;
      this.#host.changed();
      throw e;
    }
    this.#chosen = status;
    this.error = undefined;
    this.#host.changed();
    if (this.status !== before) this.#host.statusChanged(this.status);
  }

  /**
   * The phone's calls changed. While a call is up (an answered inbound call, an outbound call from
   * dialing on) the status is the call's automatic status; after the last call, the chosen one again.
   * A failing PUT is only logged: it must never disturb a call.
   */
  callsChanged(calls: readonly CallInfo[]): void {
    const s = this.#session;
    const up = calls.find((c) => c.state !== 'ended' && (c.direction === 'outbound' || c.state !== 'ringing'));
    const next = s?.sip && up ? (up.direction === 'inbound' ? INCOMING : OUTGOING) : undefined;
    if (next === this.#callStatus || !this.#client) return;
    const before = this.status;
    this.#callStatus = next;
    const put = next ?? this.#chosen;
    if (s?.statuses.includes(put) && this.#host.savesCallStatus?.() !== false) {
      this.#put(this.#client, put).catch((e: unknown) => logger.warn('the status was not saved on the provisioning server', e));
    }
    this.#host.changed();
    if (this.status !== before) this.#host.statusChanged(this.status);
  }

  /** Status changes go out one at a time, so the server ends with the last one. */
  #put(client: ProvisioningClient, status: string): Promise<unknown> {
    const next = this.#puts.catch(() => undefined).then(() => client.setStatus(status));
    this.#puts = next;
    return next;
  }

  #ownExtension(): [ProvisioningClient, string] {
    const client = this.#requireClient();
    const ext = this.extension;
    if (!ext) throw notLoggedIn();
    return [client, ext];
  }

  #panel(): ForwardingPanel {
    return new ForwardingPanel({
      get: () => this.getForwarding(),
      set: (settings) => this.setForwarding(settings),
      extension: () => this.extension,
      changed: () => this.#host.changed(),
    });
  }

  getForwarding(): Promise<ForwardingSettings> {
    const [client, ext] = this.#ownExtension();
    return client.getForwarding(ext);
  }

  /** Checked before anything is sent (`INVALID_CONFIG` naming the rule and value). */
  setForwarding(settings: ForwardingSettings): Promise<ForwardingSettings> {
    const [client, ext] = this.#ownExtension();
    return client.setForwarding(ext, settings);
  }
}
