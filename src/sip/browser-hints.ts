/**
 * The browser's hints that the connection may be gone without a word from the socket: the network
 * going on- or offline, the page becoming visible again, and timers firing late (the machine slept).
 */
import { logger } from '../logger.js';

/** A timer tick that comes this much later than asked means the machine slept. */
const DRIFT_TICK_MS = 2000;
const DRIFT_LIMIT_MS = 4000;

/** Calls `check` on each hint until the returned function is called. */
export function watchBrowserHints(check: () => void): () => void {
  const onVisible = (): void => {
    if (typeof document !== 'undefined' && document.visibilityState === 'visible') check();
  };
  if (typeof window !== 'undefined') {
    window.addEventListener('online', check);
    window.addEventListener('offline', check);
  }
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisible);
  let lastTick = Date.now();
  const driftTimer = setInterval(() => {
    const now = Date.now();
    const late = now - lastTick - DRIFT_TICK_MS;
    lastTick = now;
    if (late > DRIFT_LIMIT_MS) {
      logger.info(`timers were ${late} ms late (sleep?): checking the connection`);
      check();
    }
  }, DRIFT_TICK_MS);
  return () => {
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', check);
      window.removeEventListener('offline', check);
    }
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible);
    clearInterval(driftTimer);
  };
}
