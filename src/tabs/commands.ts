/**
 * Engine methods run across tabs. The leader runs a follower's command on the phone it holds and
 * replies (`runCommand`, `replyTo`); the follower keeps its commands waiting for the reply
 * (`PendingReplies`): each settles with the reply (an error keeps its code), or rejects when no tab
 * holding the phone answers in time, or when the leader is gone.
 */
import type { PhoneEngine } from '../core/engine.js';
import { SoftPhoneError } from '../errors.js';
import { errorFields, type Command, type TabMessage } from './protocol.js';

/** Runs an engine method on the phone this tab holds. */
export function runCommand(real: PhoneEngine | undefined, method: Command, args: unknown[]): Promise<unknown> {
  if (!real) return Promise.reject(new SoftPhoneError('NOT_REGISTERED', 'this tab holds no phone'));
  if (method === 'resumeAudio') return real.resumeAudio?.() ?? Promise.resolve();
  return (real[method] as (...a: unknown[]) => Promise<unknown>)(...args);
}

export type Reply = { ok: true; value: unknown } | { ok: false; code: SoftPhoneError['code']; message: string };

/**
 * The leader's reply to a follower's command: its value, or its error's code and message (never a
 * stack or a secret). The follower's page asks to register whenever it configures: a phone that is
 * `registered` (or on its way) stays as it is.
 */
export async function replyTo(real: PhoneEngine | undefined, registered: boolean, method: Command, args: unknown[]): Promise<Reply> {
  try {
    const value = method === 'register' && registered ? undefined : await runCommand(real, method, args);
    return { ok: true, value: value ?? null };
  } catch (e) {
    return { ok: false, ...errorFields(e) };
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: SoftPhoneError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingReplies {
  #pending = new Map<number, Pending>();
  #next = 0;

  /** A new command id and the promise of its reply; `send` posts the command. */
  expect<T>(what: string, timeoutMs: number, send: (id: number) => void): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SoftPhoneError('TRANSPORT_ERROR', `no tab holding the phone answered ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      send(id);
    });
  }

  /** The leader replied. */
  settle(message: Extract<TabMessage, { type: 'reply' }>): void {
    const pending = this.#take(message.id);
    if (!pending) return;
    if (message.ok) pending.resolve(message.value ?? undefined);
    else pending.reject(new SoftPhoneError(message.code, message.message));
  }

  /** No reply will come (the leader is gone, or this tab left). */
  rejectAll(why: string): void {
    for (const id of [...this.#pending.keys()]) this.#take(id)?.reject(new SoftPhoneError('CALL_FAILED', why));
  }

  #take(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }
}
