/**
 * A SIP.js UserAgent for one server: how it is built from the configuration (and which changes
 * of it need a new one), the OPTIONS ping that proves its server alive, and stopping it without
 * waiting on a server that may be dead.
 */
import { SIPExtension, UserAgent, type Invitation, type LogLevel as SipLogLevel } from 'sip.js';
import type { EngineConfig } from '../core/engine.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { promptSdhFactory } from './media.js';
import { acceptInDialogUpdates, dropUnparseableMessages } from './pbx-interop.js';
import { timeout, TransportError } from './registration.js';

/**
 * How long a WebSocket may take to open before the server counts as unreachable. Generous: a
 * browser opens sockets to one host:port one after another, so with many phones in a page a
 * socket may wait its turn for seconds; a server that goes silent later is caught by the keep-alive.
 */
const CONNECT_TIMEOUT_S = 10;
/** Keep-alive period; with its 2 s answer timeout a silent server is noticed within about 4 s. */
const DEFAULT_KEEP_ALIVE_S = 2;
const KEEP_ALIVE_ANSWER_MS = 2000;

/** What a UserAgent reports to the connection that made it. */
export interface UserAgentEvents {
  onDisconnect(ua: UserAgent, error?: Error): void;
  onInvite(ua: UserAgent, invitation: Invitation): void;
}

function sipLogConnector(level: SipLogLevel, category: string, _label: string | undefined, content: string): void {
  const line = `sip.js ${category}: ${content}`;
  if (level === 'error') logger.error(line);
  else if (level === 'warn') logger.warn(line);
  else logger.debug(line);
}

export function makeUserAgent(config: EngineConfig, server: string, events: UserAgentEvents): UserAgent {
  const uri = UserAgent.makeURI(`sip:${config.extension}@${config.domain}`);
  if (!uri) throw new SoftPhoneError('INVALID_CONFIG', `bad registration name ${config.extension}@${config.domain}`);
  const ua: UserAgent = new UserAgent({
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
      onDisconnect: (error?: Error) => events.onDisconnect(ua, error),
      onInvite: (invitation: Invitation) => events.onInvite(ua, invitation),
    },
  });
  acceptInDialogUpdates(ua);
  dropUnparseableMessages(ua);
  return ua;
}

/** Opens the UserAgent's WebSocket (`reopen`: one it had before); rejects with a TransportError. */
export async function openSocket(ua: UserAgent, reopen: boolean, server: string): Promise<void> {
  try {
    await timeout(reopen ? ua.reconnect() : ua.start(), (CONNECT_TIMEOUT_S + 1) * 1000, `connect to ${server}`);
  } catch (error) {
    throw error instanceof TransportError ? error : new TransportError(`connect to ${server} failed`);
  }
}

/** Whether two configurations need a new UserAgent (and registration) to go from one to the other. */
export function sameConnection(a: EngineConfig, b: EngineConfig): boolean {
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

export function keepAliveSeconds(config: EngineConfig | undefined): number {
  const s = config?.keepAlive;
  return s && s > 0 ? s : DEFAULT_KEEP_ALIVE_S;
}

/** One keep-alive OPTIONS ping; any answer at all, in time, proves the server is alive. */
export function serverAlive(ua: UserAgent, config: EngineConfig): Promise<boolean> {
  return timeout(ping(ua, config.domain), Math.min(KEEP_ALIVE_ANSWER_MS, keepAliveSeconds(config) * 1000), 'keep-alive').then(
    (ok) => ok,
    () => false,
  );
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

/** Stops a UserAgent without waiting: its server may be dead or frozen. */
export function stopUserAgent(ua: UserAgent): void {
  // The registerer is already gone from the server's view (or about to be): skip SIP.js's
  // own goodbye REGISTER by disposing the transport directly.
  try {
    void ua.transport.dispose().catch(() => undefined);
  } catch {
    // already disposed
  }
  void ua.stop().catch(() => undefined);
}
