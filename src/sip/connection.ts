/**
 * The phone's connection to its SIP servers: one UserAgent per server, registration
 * and its refresh, a keep-alive that notices a server that went silent, and reconnection with
 * exponential backoff and jitter across the configured servers.
 *
 * SIP.js's own reconnection stays off (`reconnectionAttempts` defaults to 0): it retries one server only
 * and can get stuck. The UserAgent outlives a lost connection: going back to the same server reopens
 * its WebSocket (`reconnect()`), so its sessions and their dialogs (and its Contact) survive and the
 * engine can refresh each call over the new connection. Moving to another server builds a new
 * UserAgent; the old one (and any call still on it) is given up once the new one is registered.
 * Callbacks of an old connection attempt are ignored through `#generation`.
 *
 * ```
 *  register() -> connect(server[i]) -> REGISTER -> registered -- refresh every `refresh` s
 *                   | fails: next server                 |        keep-alive OPTIONS every `keepAlive` s
 *                   v                                     v
 *            all failed once:                  ws closed / refresh failed / keep-alive unanswered
 *            connection-lost  <--------------------------+
 *                   | backoff 0.5 s, 1, 2, 4 ... 30 s (+-20 % jitter), next server each time
 *                   +--> registered again (connection restored)
 *  401/403 at any point: registration-failed, unregistered, no retry.
 * ```
 */
import { Registerer, type Invitation, type UserAgent } from 'sip.js';
import type { EngineConfig } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { RegistrationState } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { backoffDelay, reconnectDelay } from './backoff.js';
import { watchBrowserHints } from './browser-hints.js';
import { AuthError, PENDING, sendGoodbye, sendRegister, TransportError } from './registration.js';
import { keepAliveSeconds, makeUserAgent, openSocket, sameConnection, serverAlive, stopUserAgent } from './user-agent.js';

export { backoffDelay, reconnectDelay } from './backoff.js';

export interface ConnectionHooks {
  /** An INVITE arrived on the current connection. */
  onInvite(invitation: Invitation): void;
  /** The connection that carried the calls is gone (the UserAgent and its sessions stay). */
  onConnectionLost(): void;
  /**
   * Registered again on `ua` (the same UserAgent as before the loss, or a new one on another
   * server): the engine refreshes its calls over it, or gives up those on another UserAgent.
   * Called before an old UserAgent is stopped.
   */
  onConnected(ua: UserAgent): void;
  /** Calls wait for the connection to come back: reconnect attempts stay frequent. */
  callsWaiting(): boolean;
}

export class SipConnection {
  #config: EngineConfig | undefined;
  readonly #state: PhoneState;
  readonly #hooks: ConnectionHooks;

  #ua: UserAgent | undefined;
  #registerer: Registerer | undefined;
  #server: string | undefined;
  #serverIndex = 0;
  #attempt = 0;
  /** The agent wants to be registered (register() called, unregister()/dispose() not). */
  #wanted = false;
  #generation = 0;
  #disposed = false;
  #registering: Promise<void> | undefined;

  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #keepAliveTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Stops listening to the browser's hints (see #listen). */
  #stopHints: (() => void) | undefined;

  constructor(state: PhoneState, hooks: ConnectionHooks) {
    this.#state = state;
    this.#hooks = hooks;
  }

  get userAgent(): UserAgent | undefined {
    return this.#ua;
  }

  get config(): EngineConfig | undefined {
    return this.#config;
  }

  configure(config: EngineConfig): boolean {
    const before = this.#config;
    this.#config = { ...config, servers: [...config.servers], iceServers: [...config.iceServers] };
    // Never removed again: another phone on the page (or this element, re-added) may use it too.
    logger.addSecret(config.password);
    return before !== undefined && !sameConnection(before, config);
  }

  /**
   * Resolves once registered; rejects with AUTH_FAILED or, after every server failed once,
   * TRANSPORT_ERROR (retrying goes on in the background). A call while one is under way joins it.
   */
  register(): Promise<void> {
    if (this.#registering) return this.#registering;
    const attempt = this.#register().finally(() => {
      if (this.#registering === attempt) this.#registering = undefined;
    });
    this.#registering = attempt;
    return attempt;
  }

  /** The agent wants to be registered (used to re-register after a configuration change). */
  get wanted(): boolean {
    return this.#wanted;
  }

  async #register(): Promise<void> {
    if (this.#disposed) throw new SoftPhoneError('NOT_ALLOWED', 'the phone was disposed');
    const config = this.#requireConfig();
    this.#wanted = true;
    this.#listen();
    if (this.#state.registration === RegistrationState.Registered && this.#registerer) {
      await this.#refresh(this.#generation);
      return;
    }
    this.#teardown();
    const gen = ++this.#generation;
    this.#attempt = 0;
    if (this.#state.registration === RegistrationState.Unregistered) {
      this.#state.setRegistration(RegistrationState.Registering, { server: config.servers[0] });
    }
    let lastError: unknown;
    for (let i = 0; i < config.servers.length; i++) {
      const index = (this.#serverIndex + i) % config.servers.length;
      try {
        await this.#connect(gen, index);
        return;
      } catch (error) {
        if (gen !== this.#generation) throw new SoftPhoneError('NOT_REGISTERED', 'registration was cancelled');
        if (error instanceof AuthError) {
          this.#authFailed(error);
          throw new SoftPhoneError('AUTH_FAILED', `registration of ${this.#aor(config)} refused: ${error.code} ${error.reason}`);
        }
        lastError = error;
      }
    }
    this.#lost(gen, `no server answered: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
    throw new SoftPhoneError('TRANSPORT_ERROR', `could not reach ${config.servers.join(', ')}`);
  }

  async unregister(reason = 'unregistered'): Promise<void> {
    this.#wanted = false;
    this.#generation++;
    this.#clearTimers();
    await this.#goodbye();
    if (this.#state.registration !== RegistrationState.Unregistered) {
      this.#state.setRegistration(RegistrationState.Unregistered, { reason });
    }
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#unlisten();
    await this.unregister('disposed');
  }

  // --- connecting -----------------------------------------------------------------------------

  async #connect(gen: number, index: number): Promise<void> {
    const config = this.#requireConfig();
    const server = config.servers[index];
    if (server === undefined) throw new TransportError('no server configured');
    this.#serverIndex = index;
    this.#state.notify({ type: 'registering', server });
    const kept = this.#ua && this.#server === server ? this.#ua : undefined;
    // Back to the server we lost: the same UserAgent (its sessions, dialogs and Contact) on a new socket.
    const ua = kept ?? this.#makeUserAgent(config, server);
    const giveUp = (): void => {
      if (!kept) this.#discard(ua);
    };
    await openSocket(ua, kept !== undefined, server).catch((error: unknown) => {
      giveUp();
      throw error;
    });
    if (gen !== this.#generation) {
      giveUp();
      throw new TransportError('superseded');
    }
    const registerer =
      (kept ? this.#registerer : undefined) ??
      new Registerer(ua, {
        expires: config.expires,
        // The refresh timer is ours (see #scheduleRefresh); SIP.js's fires only as a late fallback.
        refreshFrequency: 99,
      });
    const answer = await sendRegister(registerer, ua, config).catch((error: unknown) => {
      giveUp();
      throw error;
    });
    const granted = answer === PENDING ? config.expires : answer;
    if (gen !== this.#generation) {
      giveUp();
      throw new TransportError('superseded');
    }
    const previous = this.#ua;
    this.#ua = ua;
    this.#registerer = registerer;
    this.#server = server;
    const wasLost = this.#state.registration === RegistrationState.ConnectionLost;
    this.#attempt = 0;
    this.#state.setRegistration(RegistrationState.Registered, {
      server,
      aor: this.#aor(config),
      expires: granted,
      ...(wasLost ? { reason: 'connection restored' } : {}),
    });
    this.#scheduleRefresh(gen, granted);
    this.#scheduleKeepAlive(gen);
    this.#hooks.onConnected(ua);
    if (previous && previous !== ua) this.#discard(previous);
  }

  #makeUserAgent(config: EngineConfig, server: string): UserAgent {
    return makeUserAgent(config, server, {
      onDisconnect: (ua, error) => {
        if (error && this.#ua === ua) this.#lost(this.#generation, 'WebSocket closed');
      },
      onInvite: (ua, invitation: Invitation) => {
        if (this.#ua !== ua || this.#state.registration !== RegistrationState.Registered) {
          void invitation.reject({ statusCode: 480 }).catch(() => undefined);
          return;
        }
        this.#hooks.onInvite(invitation);
      },
    });
  }

  #scheduleRefresh(gen: number, granted: number): void {
    const config = this.#requireConfig();
    clearTimeout(this.#refreshTimer);
    const seconds = Math.max(1, Math.min(config.refresh, granted * 0.9));
    this.#refreshTimer = setTimeout(() => void this.#refresh(gen), seconds * 1000);
  }

  async #refresh(gen: number): Promise<void> {
    const registerer = this.#registerer;
    const ua = this.#ua;
    const config = this.#config;
    if (!registerer || !ua || !config || gen !== this.#generation) return;
    try {
      const granted = await sendRegister(registerer, ua, config);
      if (gen !== this.#generation || granted === PENDING) return;
      this.#scheduleRefresh(gen, granted);
    } catch (error) {
      if (gen !== this.#generation) return;
      if (error instanceof AuthError) this.#authFailed(error);
      else this.#lost(gen, `refresh failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // --- detecting a dead server ----------------------------------------------------------------

  #scheduleKeepAlive(gen: number): void {
    clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = setTimeout(() => void this.#keepAlive(gen), keepAliveSeconds(this.#config) * 1000);
  }

  /** One OPTIONS ping; any answer at all proves the server is alive. */
  async #keepAlive(gen: number): Promise<void> {
    const ua = this.#ua;
    const config = this.#config;
    if (!ua || !config || gen !== this.#generation) return;
    const alive = await serverAlive(ua, config);
    if (gen !== this.#generation) return;
    if (alive) this.#scheduleKeepAlive(gen);
    else this.#lost(gen, 'keep-alive unanswered');
  }

  /** Checks the connection at once (after sleep, or when the browser says the network changed). */
  #checkNow(): void {
    const state = this.#state.registration;
    if (!this.#wanted) return;
    if (state === RegistrationState.Registered) void this.#keepAlive(this.#generation);
    else if (state === RegistrationState.ConnectionLost) {
      this.#attempt = 0;
      this.#scheduleReconnect(this.#generation, 0);
    }
  }

  // --- losing and regaining -------------------------------------------------------------------

  #lost(gen: number, reason: string): void {
    if (gen !== this.#generation || !this.#wanted) return;
    logger.warn(`connection lost (${this.#server ?? 'no server'}): ${reason}`);
    const next = ++this.#generation;
    this.#clearTimers();
    // The UserAgent stays (its calls wait for the connection to come back); only its socket goes.
    const ua = this.#ua;
    if (ua) {
      try {
        void ua.transport.disconnect().catch(() => undefined);
      } catch {
        // already closing
      }
    }
    this.#hooks.onConnectionLost();
    if (this.#state.registration !== RegistrationState.ConnectionLost) {
      this.#state.setRegistration(RegistrationState.ConnectionLost, { reason, server: this.#server });
    }
    this.#scheduleReconnect(next, backoffDelay(this.#attempt));
  }

  #scheduleReconnect(gen: number, backoff: number): void {
    const delay = reconnectDelay(backoff, this.#hooks.callsWaiting());
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#reconnect(gen), delay);
  }

  async #reconnect(gen: number): Promise<void> {
    const config = this.#config;
    if (!config || gen !== this.#generation || !this.#wanted) return;
    const attempt = this.#attempt++;
    // The first attempt goes back to the server we lost (a blip); later ones move on in turn.
    const index = attempt === 0 ? this.#serverIndex : (this.#serverIndex + 1) % config.servers.length;
    try {
      await this.#connect(gen, index);
    } catch (error) {
      if (gen !== this.#generation) return;
      if (error instanceof AuthError) {
        this.#authFailed(error);
        return;
      }
      logger.debug(`reconnect to ${config.servers[index] ?? '?'} failed`);
      this.#scheduleReconnect(gen, backoffDelay(this.#attempt));
    }
  }

  #authFailed(error: AuthError): void {
    this.#wanted = false;
    this.#generation++;
    this.#clearTimers();
    this.#teardown();
    this.#state.notify({ type: 'registration-failed', code: error.code, reason: error.reason });
    if (this.#state.registration !== RegistrationState.Unregistered) {
      this.#state.setRegistration(RegistrationState.Unregistered, { code: error.code, reason: error.reason });
    }
  }

  // --- cleaning up ----------------------------------------------------------------------------

  /** Best-effort REGISTER with expires 0, bounded in time, then closes the connection. */
  async #goodbye(): Promise<void> {
    const ua = this.#ua;
    const registerer = this.#registerer;
    this.#ua = undefined;
    this.#registerer = undefined;
    if (!ua) return;
    if (registerer && this.#state.registration === RegistrationState.Registered) await sendGoodbye(registerer);
    this.#discard(ua);
  }

  #teardown(): void {
    const ua = this.#ua;
    this.#ua = undefined;
    this.#registerer = undefined;
    if (ua) this.#discard(ua);
  }

  /** Stops a UserAgent without waiting: its server may be dead or frozen. */
  #discard(ua: UserAgent): void {
    if (this.#ua === ua) {
      this.#ua = undefined;
      this.#registerer = undefined;
    }
    stopUserAgent(ua);
  }

  #clearTimers(): void {
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#keepAliveTimer);
    clearTimeout(this.#reconnectTimer);
    this.#refreshTimer = this.#keepAliveTimer = this.#reconnectTimer = undefined;
  }

  // --- the browser's hints --------------------------------------------------------------------

  #listen(): void {
    this.#stopHints ??= watchBrowserHints(() => this.#checkNow());
  }

  #unlisten(): void {
    this.#stopHints?.();
    this.#stopHints = undefined;
  }

  #requireConfig(): EngineConfig {
    if (!this.#config) throw new SoftPhoneError('INVALID_CONFIG', 'the phone has no configuration');
    return this.#config;
  }

  #aor(config: EngineConfig): string {
    return `${config.extension}@${config.domain}`;
  }
}
