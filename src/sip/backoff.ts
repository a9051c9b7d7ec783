/**
 * How long the connection waits between reconnect attempts: exponential backoff with jitter, kept
 * short while calls wait for the connection to come back.
 */

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Longest gap between reconnect attempts while calls wait for the connection (they have a deadline). */
const CALL_BACKOFF_MAX_MS = 1_500;

/** Backoff delay before reconnect attempt `n` (0-based): 0.5 s doubling to 30 s, +-20 % jitter. */
export function backoffDelay(n: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(n, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The wait before the next reconnect attempt: the backoff, but at most 1.5 s while calls wait for the connection. */
export function reconnectDelay(backoff: number, callsWaiting: boolean): number {
  return callsWaiting ? Math.min(backoff, CALL_BACKOFF_MAX_MS) : backoff;
}
