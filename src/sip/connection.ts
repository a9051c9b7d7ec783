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
import {
  Registerer,
  RegistererState,
  RequestPendingError,
  SIPExtension,
  UserAgent,
  type Core,
  type Invitation,
  type LogLevel as SipLogLevel,
} from 'sip.js';
import type { EngineConfig } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { RegistrationState } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { promptSdhFactory } from './media.js';
import { acceptInDialogUpdates, dropUnparseableMessages } from './pbx-interop.js';

type IncomingResponse = Core.IncomingResponse;

/** Keep-alive period; with its 2 s answer timeout a silent server is noticed within about 4 s. */
const DEFAULT_KEEP_ALIVE_S = 2;
const KEEP_ALIVE_ANSWER_MS = 2000;
/** #sendRegister's answer when another REGISTER is already under way. */
const PENDING = -1;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Longest gap between reconnect attempts while calls wait for the connection (they have a deadline). */
const CALL_BACKOFF_MAX_MS = 1_500;
/**
 * How long a WebSocket may take to open before the server counts as unreachable. Generous: a
 * browser opens sockets to one host:port one after another, so with many phones in a page a
 * socket may wait its turn for seconds; a server that goes silent later is caught by the keep-alive.
 */
const CONNECT_TIMEOUT_S = 10;
/** Longest wait for the final answer to a REGISTER. */
const REGISTER_TIMEOUT_MS = 5000;
/** Upper bound for the goodbye REGISTER (expires 0) when stopping. */
const UNREGISTER_TIMEOUT_MS = 1000;
/** A timer tick that comes this much later than asked means the machine slept. */
const DRIFT_TICK_MS = 2000;
const DRIFT_LIMIT_MS = 4000;

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

class AuthError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`${code} ${reason}`);
  }
}

class TransportError extends Error {}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TransportError(`${what}: no answer in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Backoff delay before reconnect attempt `n` (0-based): 0.5 s doubling to 30 s, +-20 % jitter. */
export function backoffDelay(n: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(n, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The wait before the next reconnect attempt: the backoff, but at most 1.5 s while calls wait for the connection. */
export function reconnectDelay(backoff: number, callsWaiting: boolean): number {
  return callsWaiting ? Math.min(backoff, CALL_BACKOFF_MAX_MS) : backoff;
}

function sipLogConnector(level: SipLogLevel, category: string, _label: string | undefined, content: string): void {
  const line = `sip.js ${category}: ${content}`;
  if (level === 'error') logger.error(line);
  else if (level === 'warn') logger.warn(line);
  else logger.debug(line);
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
  #driftTimer: ReturnType<typeof setInterval> | undefined;
  #lastTick = 0;
  #listening = false;

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

  get server(): string | undefined {
    return this.#server;
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
    try {
      await timeout(kept ? ua.reconnect() : ua.start(), (CONNECT_TIMEOUT_S + 1) * 1000, `connect to ${server}`);
    } catch (error) {
      giveUp();
      throw error instanceof TransportError ? error : new TransportError(`connect to ${server} failed`);
    }
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
    const answer = await this.#sendRegister(registerer, ua, config).catch((error: unknown) => {
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
    const uri = UserAgent.makeURI(`sip:${config.extension}@${config.domain}`);
    if (!uri) throw new SoftPhoneError('INVALID_CONFIG', `bad registration name ${config.extension}@${config.domain}`);
    const ua = new UserAgent({
      uri,
      transportOptions: { server, connectionTimeout: CONNECT_TIMEOUT_S, keepAliveInterval: 0 },
      // reconnectionAttempts stays at its default, 0: SIP.js never reconnects on its own.
      authorizationUsername: config.authUser || config.extension,
      authorizationPassword: config.password ?? '',
      ...(config.displayName ? { displayName: config.displayName } : {}),
      sipExtensionReplaces: SIPExtension.Supported,
      // The engine sends the 180 Ringing itself; SIP.js's would be a second one for the caller to parse.
      sendInitialProvisionalResponse: false,
      logBuiltinEnabled: false,
      logLevel: 'warn',
      logConnector: sipLogConnector,
      logConfiguration: false,
      userAgentString: 'soft-phone',
      sessionDescriptionHandlerFactory: promptSdhFactory({
        iceServers: config.iceServers,
        candidateFilter: config.candidateFilter ?? [],
      }),
      delegate: {
        onDisconnect: (error?: Error) => {
          if (error && this.#ua === ua) this.#lost(this.#generation, 'WebSocket closed');
        },
        onInvite: (invitation: Invitation) => {
          if (this.#ua !== ua || this.#state.registration !== RegistrationState.Registered) {
            void invitation.reject({ statusCode: 480 }).catch(() => undefined);
            return;
          }
          this.#hooks.onInvite(invitation);
        },
      },
    });
    acceptInDialogUpdates(ua);
    dropUnparseableMessages(ua);
    return ua;
  }

  /**
   * Sends one REGISTER and resolves with the expiry the server granted, or with PENDING when a
   * REGISTER of this registerer is already on its way (its own handler schedules what follows).
   */
  #sendRegister(registerer: Registerer, ua: UserAgent, config: EngineConfig): Promise<number> {
    let settle: () => void = () => undefined;
    const answerGone = new Promise<void>((resolve) => (settle = resolve));
    const answer = new Promise<number>((resolve, reject) => {
      // SIP.js answers a 423 (Interval Too Brief) itself with a new REGISTER that our delegate
      // never hears of; the registerer's state still tells us when that one succeeded.
      const onState = (state: RegistererState): void => {
        if (state === RegistererState.Registered) queueMicrotask(() => resolve(config.expires));
      };
      registerer.stateChange.addListener(onState);
      void answerGone.then(() => registerer.stateChange.removeListener(onState));
      registerer
        .register({
          requestDelegate: {
            onAccept: (response) => resolve(grantedExpires(response, ua, config.expires)),
            onReject: (response) => {
              const code = response.message.statusCode ?? 0;
              const reason = response.message.reasonPhrase ?? '';
              if (code === 401 || code === 403 || code === 407) reject(new AuthError(code, reason));
              else reject(new TransportError(`REGISTER answered ${code} ${reason}`));
            },
          },
        })
        .catch((error: unknown) => {
          if (error instanceof RequestPendingError) resolve(PENDING);
          else reject(new TransportError(error instanceof Error ? error.message : String(error)));
        });
    });
    const bounded = timeout(answer, REGISTER_TIMEOUT_MS, 'REGISTER');
    bounded.then(settle, settle);
    return bounded;
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
      const granted = await this.#sendRegister(registerer, ua, config);
      if (gen !== this.#generation || granted === PENDING) return;
      this.#scheduleRefresh(gen, granted);
    } catch (error) {
      if (gen !== this.#generation) return;
      if (error instanceof AuthError) this.#authFailed(error);
      else this.#lost(gen, `refresh failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // --- detecting a dead server ----------------------------------------------------------------

  #keepAliveSeconds(): number {
    const s = this.#config?.keepAlive;
    return s && s > 0 ? s : DEFAULT_KEEP_ALIVE_S;
  }

  #scheduleKeepAlive(gen: number): void {
    clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = setTimeout(() => void this.#keepAlive(gen), this.#keepAliveSeconds() * 1000);
  }

  /** One OPTIONS ping; any answer at all proves the server is alive. */
  async #keepAlive(gen: number): Promise<void> {
    const ua = this.#ua;
    const config = this.#config;
    if (!ua || !config || gen !== this.#generation) return;
    const alive = await timeout(ping(ua, config.domain), Math.min(KEEP_ALIVE_ANSWER_MS, this.#keepAliveSeconds() * 1000), 'keep-alive').then(
      (ok) => ok,
      () => false,
    );
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
    if (registerer && this.#state.registration === RegistrationState.Registered) {
      const done = new Promise<void>((resolve) => {
        registerer
          .unregister({ requestDelegate: { onAccept: () => resolve(), onReject: () => resolve() } })
          .catch(() => resolve());
      });
      await Promise.race([done, sleep(UNREGISTER_TIMEOUT_MS)]);
    }
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
    // The registerer is already gone from the server's view (or about to be): skip SIP.js's
    // own goodbye REGISTER by disposing the transport directly.
    try {
      void ua.transport.dispose().catch(() => undefined);
    } catch {
      // already disposed
    }
    void ua.stop().catch(() => undefined);
  }

  #clearTimers(): void {
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#keepAliveTimer);
    clearTimeout(this.#reconnectTimer);
    this.#refreshTimer = this.#keepAliveTimer = this.#reconnectTimer = undefined;
  }

  // --- the browser's hints --------------------------------------------------------------------

  readonly #onOnline = (): void => this.#checkNow();
  readonly #onOffline = (): void => this.#checkNow();
  readonly #onVisible = (): void => {
    if (typeof document !== 'undefined' && document.visibilityState === 'visible') this.#checkNow();
  };

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.#onOnline);
      window.addEventListener('offline', this.#onOffline);
    }
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.#onVisible);
    this.#lastTick = Date.now();
    this.#driftTimer = setInterval(() => {
      const now = Date.now();
      const late = now - this.#lastTick - DRIFT_TICK_MS;
      this.#lastTick = now;
      if (late > DRIFT_LIMIT_MS) {
        logger.info(`timers were ${late} ms late (sleep?): checking the connection`);
        this.#checkNow();
      }
    }, DRIFT_TICK_MS);
  }

  #unlisten(): void {
    if (!this.#listening) return;
    this.#listening = false;
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.#onOnline);
      window.removeEventListener('offline', this.#onOffline);
    }
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.#onVisible);
    clearInterval(this.#driftTimer);
    this.#driftTimer = undefined;
  }

  #requireConfig(): EngineConfig {
    if (!this.#config) throw new SoftPhoneError('INVALID_CONFIG', 'the phone has no configuration');
    return this.#config;
  }

  #aor(config: EngineConfig): string {
    return `${config.extension}@${config.domain}`;
  }
}

function sameConnection(a: EngineConfig, b: EngineConfig): boolean {
  return (
    a.servers.join(' ') === b.servers.join(' ') &&
    a.domain === b.domain &&
    a.extension === b.extension &&
    a.authUser === b.authUser &&
    a.password === b.password &&
    a.displayName === b.displayName &&
    a.expires === b.expires &&
    a.refresh === b.refresh &&
    JSON.stringify(a.iceServers) === JSON.stringify(b.iceServers) &&
    JSON.stringify(a.candidateFilter ?? []) === JSON.stringify(b.candidateFilter ?? [])
  );
}

interface ContactHeader {
  uri: { user?: string };
  getParam(name: string): string | undefined;
}

/** The expiry the server granted to our contact (RFC 3261 10.2.4), else the Expires header. */
function grantedExpires(response: IncomingResponse, ua: UserAgent, requested: number): number {
  const message = response.message;
  const count = message.getHeaders('contact').length;
  for (let i = 0; i < count; i++) {
    const contact = message.parseHeader('contact', i) as ContactHeader | undefined;
    if (contact && contact.uri.user === ua.contact.uri.user) {
      const value = Number(contact.getParam('expires'));
      if (Number.isFinite(value) && value > 0) return value;
    }
  }
  const header = Number(message.getHeader('expires'));
  return Number.isFinite(header) && header > 0 ? header : requested;
}

/** Sends an out-of-dialog OPTIONS to the domain; true on any real answer. */
function ping(ua: UserAgent, domain: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const target = UserAgent.makeURI(`sip:${domain}`);
    if (!target) {
      resolve(false);
      return;
    }
    const core = ua.userAgentCore;
    const message = core.makeOutgoingRequestMessage('OPTIONS', target, ua.configuration.uri, target, {});
    // Answers SIP.js makes up itself (408 after timer F, 503 on a transport error) carry no wire data.
    const answered = (response: { message: { data?: string } }): void => resolve(Boolean(response.message.data));
    core.request(message, { onAccept: answered, onReject: answered, onRedirect: answered });
  });
}
