/**
 * One agent login for all same-origin tabs of a browser with the same provisioning `agent` (and
 * provisioning URL). The phone itself is shared by `src/tabs/` (one registration per
 * `<extension>@<domain>`); this shares what the agent did at the provisioning server, over a
 * BroadcastChannel of its own:
 *
 * ```
 *  tab A logs in ──> `login` { session without password, chosen status } ──> B, C show it
 *  tab B chooses a status (and saves it) ──> `status` ──> A, C show it
 *  tab C logs out (unregisters, tells the server) ──> `logout` ──> A, B are logged out too
 *  a tab opens ──> `hello` ──> a logged-in tab answers with `login`
 * ```
 * The password never crosses: a login carries the session with an empty password. A tab that takes
 * over the phone starts the session again at the same extension to get its own (`AgentSession.renew`).
 */
import type { TabChannel } from '../tabs/protocol.js';
import type { ProvisioningSession } from './client.js';
import type { AgentSession, SharedLogin } from './agent-session.js';

export type AgentTabMessage =
  | { type: 'hello'; from: string }
  | { type: 'login'; from: string; login: SharedLogin }
  | { type: 'status'; from: string; chosen: string }
  | { type: 'logout'; from: string }
  /** Nothing to do: `settled()` waits for it to come back. */
  | { type: 'probe'; from: string };

export interface AgentTabsHooks {
  channel(name: string): TabChannel;
  /** Another tab logged in: the element takes the session's settings (there is no password in them). */
  adopted(session: ProvisioningSession): void;
  /** Another tab logged out: the element drops the settings the session had set. */
  loggedOut(): void;
}

/** The channel of one agent's logins: same agent id at the same provisioning URL. */
export function agentChannelName(agent: string, url: string): string | undefined {
  const a = agent.trim();
  const u = url.trim();
  return a && u ? `soft-phone-agent:${a}@${u}` : undefined;
}

export class AgentTabs {
  readonly #session: AgentSession;
  readonly #hooks: AgentTabsHooks;
  readonly #id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  #name: string | undefined;
  #channel: TabChannel | undefined;

  constructor(session: AgentSession, hooks: AgentTabsHooks) {
    this.#session = session;
    this.#hooks = hooks;
  }

  /** Joins the channel `name` (leaves the one before); `undefined`: shares with no tab. */
  join(name: string | undefined): void {
    if (name === this.#name) return;
    this.close();
    this.#name = name;
    if (!name) return;
    const channel = this.#hooks.channel(name);
    channel.onmessage = (event) => this.#receive(event.data as AgentTabMessage);
    this.#channel = channel;
    this.#post({ type: 'hello', from: this.#id });
  }

  /** This tab logged in: the other tabs show the login. */
  loggedIn(): void {
    const login = this.#session.shared;
    if (login) this.#post({ type: 'login', from: this.#id, login });
  }

  /** This tab saved a chosen status. */
  statusChosen(): void {
    const login = this.#session.shared;
    if (login) this.#post({ type: 'status', from: this.#id, chosen: login.chosen });
  }

  /** This tab logged out (the phone is unregistered, the server told). */
  loggedOut(): void {
    this.#post({ type: 'logout', from: this.#id });
  }

  /**
   * Resolves once every message posted on the agent's channel before now has reached this tab (a
   * channel delivers in order): e.g. a logout from another tab, before this tab starts the session
   * again for a phone it just took over.
   */
  settled(): Promise<void> {
    const name = this.#name;
    if (!name) return Promise.resolve();
    const [send, receive] = [this.#hooks.channel(name), this.#hooks.channel(name)];
    return new Promise((resolve) => {
      receive.onmessage = (event) => {
        if ((event.data as AgentTabMessage).from !== this.#id) return;
        send.close();
        receive.close();
        resolve();
      };
      send.postMessage({ type: 'probe', from: this.#id } satisfies AgentTabMessage);
    });
  }

  close(): void {
    if (!this.#channel) return;
    this.#channel.onmessage = null;
    this.#channel.close();
    this.#channel = undefined;
    this.#name = undefined;
  }

  #post(message: AgentTabMessage): void {
    this.#channel?.postMessage(message);
  }

  #receive(message: AgentTabMessage): void {
    if (message.from === this.#id) return;
    switch (message.type) {
      case 'hello':
        this.loggedIn();
        break;
      case 'login':
        if (this.#session.adopt(message.login)) this.#hooks.adopted(message.login.session);
        break;
      case 'status':
        this.#session.adoptStatus(message.chosen);
        break;
      case 'logout':
        if (this.#session.shared) {
          this.#session.adoptLogout();
          this.#hooks.loggedOut();
        }
        break;
    }
  }
}
