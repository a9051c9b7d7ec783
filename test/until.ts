/**
 * Waits for a condition the code under test should bring about (never a fixed sleep): polls
 * `check` until it gives a value other than `undefined` or `false`, and returns that value. Fails
 * with `what` once `timeoutMs` has passed. Runs in Node and in the browser (element tests).
 */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  { timeoutMs = 15_000, everyMs = 100 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
