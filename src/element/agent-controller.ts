/**
 * The agent session (provisioning) behind the element: loaded with its UI on first need (a
 * provisioning URL set, or a provisioning method called), configured from the element's settings
 * before every use. Without provisioning the status is `available` and nothing is loaded.
 */
import type { CallInfo } from '../core/types.js';
import { toSoftPhoneError } from '../errors.js';
import type { AgentSession, AgentSessionHost, ProvisioningOptions } from '../provisioning/agent-session.js';
import type { LazyParts } from './parts.js';

export interface AgentSettings {
  provisioningUrl: string;
  agent: string;
  provisioningOptions: ProvisioningOptions;
}

export class AgentController {
  readonly #parts: LazyParts;
  readonly #host: AgentSessionHost & { loaded(): void };
  readonly #settings: AgentSettings;
  #session: AgentSession | undefined;

  /** `host.loaded`: the session arrived (the element checks its configuration again). */
  constructor(parts: LazyParts, settings: AgentSettings, host: AgentSessionHost & { loaded(): void }) {
    this.#parts = parts;
    this.#settings = settings;
    this.#host = host;
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

  #make(): AgentSession | undefined {
    const part = this.#parts.get('provisioning');
    if (part && !this.#session) this.#session = new part.AgentSession(this.#host);
    return this.#session;
  }

  #configure(session: AgentSession): AgentSession {
    const s = this.#settings;
    session.configure(s.provisioningUrl, s.agent, s.provisioningOptions);
    return session;
  }
}
