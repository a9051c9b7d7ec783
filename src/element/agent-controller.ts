/**
 * The agent session (provisioning) behind the element: loaded with its UI on first need (a
 * provisioning URL set, or a provisioning method called), configured from the element's settings
 * before every use. Without provisioning the status is `available` and nothing is loaded.
 *
 * With tab sharing on, the tabs of the same agent share one login (`AgentTabs`): a login, a chosen
 * status or a logout in one tab shows in all of them.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { CallInfo } from '../core/types.js';
import { toSoftPhoneError } from '../errors.js';
import type { AgentSession, AgentSessionHost, ProvisioningOptions } from '../provisioning/agent-session.js';
import type { AgentTabs, AgentTabsHooks } from '../provisioning/agent-tabs.js';
import type { ProvisioningSession } from '../provisioning/client.js';
import type { LazyParts } from './parts.js';

export interface AgentSettings {
  provisioningUrl: string;
  agent: string;
  provisioningOptions: ProvisioningOptions;
  tabSharing: string;
}

export type AgentHost = AgentSessionHost &
  Pick<AgentTabsHooks, 'adopted' | 'loggedOut'> & {
    /** The session arrived (the element checks its configuration again). */
    loaded(): void;
  };

export class AgentController implements ReactiveController {
  readonly #parts: LazyParts;
  readonly #host: AgentHost;
  readonly #settings: AgentSettings;
  #session: AgentSession | undefined;
  #tabs: AgentTabs | undefined;

  constructor(parts: LazyParts, settings: AgentSettings & ReactiveControllerHost, host: AgentHost) {
    this.#parts = parts;
    this.#settings = settings;
    this.#host = host;
    settings.addController(this);
  }

  /** The session, once loaded. */
  get session(): AgentSession | undefined {
    return this.#session;
  }

  /** Provisioning is in use: the element shows its parts. */
  get wanted(): boolean {
    return this.#settings.provisioningUrl.trim() !== '' || this.#session !== undefined;
  }

  get status(): string {
    return this.#session?.status ?? 'available';
  }

  get registers(): boolean {
    return this.#session?.registers ?? false;
  }

  /** The session with the current settings; loads it first when needed. */
  async ready(): Promise<AgentSession> {
    await this.#parts.load('provisioning');
    const session = this.#make();
    if (!session) throw toSoftPhoneError(new Error('provisioning could not be loaded'), 'PROVISIONING_ERROR');
    return this.#configure(session);
  }

  /** Checks the settings now if the session is here (throws `INVALID_CONFIG`), else starts loading it. */
  check(): void {
    const session = this.#make();
    if (session) this.#configure(session);
    else if (this.wanted) void this.#parts.load('provisioning').then(() => this.#make() && this.#host.loaded());
  }

  callsChanged(calls: readonly CallInfo[]): void {
    this.#session?.callsChanged(calls);
  }

  /** This tab logged in (and registered): the agent's other tabs show the login. */
  loggedIn(): void {
    this.#tabs?.loggedIn();
  }

  /** This tab saved a chosen status. */
  statusChosen(): void {
    this.#tabs?.statusChosen();
  }

  /** This tab logged out. */
  loggedOut(): void {
    this.#tabs?.loggedOut();
  }

  /**
   * This tab took over the phone with no password of its own: the session is started again at the
   * same extension for one (`setPassword` gets it). `undefined` when there is no softphone session.
   */
  async renew(setPassword: (password: string) => void): Promise<string | undefined> {
    // A logout in another tab may be on its way (the tab that held the phone left because of it).
    await this.#tabs?.settled();
    const session = this.#session;
    if (!session?.registers) return undefined;
    const renewed = await session.renew();
    setPassword(renewed.sip.password);
    return renewed.sip.password;
  }

  /** The element left the page: its tab no longer shares the agent's login (until it is back). */
  hostDisconnected(): void {
    this.#tabs?.close();
  }

  #make(): AgentSession | undefined {
    const part = this.#parts.get('provisioning');
    if (part && !this.#session) {
      this.#session = new part.AgentSession(this.#host);
      this.#tabs = new part.AgentTabs(this.#session, {
        channel: (name) => new BroadcastChannel(name),
        adopted: (session: ProvisioningSession) => this.#host.adopted(session),
        loggedOut: () => this.#host.loggedOut(),
      });
    }
    return this.#session;
  }

  #configure(session: AgentSession): AgentSession {
    const s = this.#settings;
    session.configure(s.provisioningUrl, s.agent, s.provisioningOptions);
    const sharing = s.tabSharing !== 'off' && typeof BroadcastChannel !== 'undefined';
    this.#tabs?.join(sharing ? this.#parts.get('provisioning')?.agentChannelName(s.agent, s.provisioningUrl) : undefined);
    return session;
  }
}
