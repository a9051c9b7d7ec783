/**
 * One REGISTER and its answer, apart from the connection's loop: the expiry the server granted,
 * a refusal told apart as an authentication failure or a transport trouble, a REGISTER already under
 * way, and the bounded goodbye (expires 0) when stopping.
 */
import { RegistererState, RequestPendingError, type Core, type Registerer, type UserAgent } from 'sip.js';
import type { EngineConfig } from '../core/engine.js';

type IncomingResponse = Core.IncomingResponse;

/** sendRegister's answer when another REGISTER is already under way. */
export const PENDING = -1;
/** Longest wait for the final answer to a REGISTER. */
const REGISTER_TIMEOUT_MS = 5000;
/** Upper bound for the goodbye REGISTER (expires 0) when stopping. */
const UNREGISTER_TIMEOUT_MS = 1000;

/** The server refused our credentials (401/403/407): no retry. */
export class AuthError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`${code} ${reason}`);
  }
}

/** The server could not be reached or did not answer: try again, maybe elsewhere. */
export class TransportError extends Error {}

export function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

/**
 * Sends one REGISTER and resolves with the expiry the server granted, or with PENDING when a
 * REGISTER of this registerer is already on its way (its own handler schedules what follows).
 */
export function sendRegister(registerer: Registerer, ua: UserAgent, config: EngineConfig): Promise<number> {
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

/** Best-effort REGISTER with expires 0, bounded in time. */
export async function sendGoodbye(registerer: Registerer): Promise<void> {
  const done = new Promise<void>((resolve) => {
    registerer
      .unregister({ requestDelegate: { onAccept: () => resolve(), onReject: () => resolve() } })
      .catch(() => resolve());
  });
  await Promise.race([done, sleep(UNREGISTER_TIMEOUT_MS)]);
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
