/**
 * A follower's commands waiting for the leader's reply: each settles with the reply (an error keeps
 * its code), or rejects when no tab holding the phone answers in time, or when the leader is gone.
 */
import { SoftPhoneError } from '../errors.js';
import type { TabMessage } from './protocol.js';

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
