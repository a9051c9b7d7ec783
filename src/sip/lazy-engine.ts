/**
 * The real engine, loaded with SIP.js on first need: the factory returns at once and starts loading
 * the engine's chunk (about 52 KB gzip of SIP.js), so the element renders without waiting for it.
 * Every call waits for the engine; the latest configuration is applied as soon as it is there.
 */
import type { EngineConfig, PhoneEngine } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';

export function createLazySipEngine(state: PhoneState): PhoneEngine {
  let engine: PhoneEngine | undefined;
  let config: EngineConfig | undefined;
  const ready = import('./sip-engine.js').then(({ createSipEngine }) => {
    engine = createSipEngine(state);
    if (config) engine.configure(config);
    return engine;
  });
  // A failed load is reported by the first call that needs the engine.
  ready.catch(() => undefined);
  const later =
    <A extends unknown[], R>(work: (e: PhoneEngine, ...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> =>
      work(await ready, ...args);
  return {
    configure(next) {
      config = next;
      engine?.configure(next);
    },
    register: later((e) => e.register()),
    unregister: later((e) => e.unregister()),
    call: later((e, target) => e.call(target)),
    answer: later((e, id) => e.answer(id)),
    decline: later((e, id) => e.decline(id)),
    hangup: later((e, id) => e.hangup(id)),
    hold: later((e, id) => e.hold(id)),
    unhold: later((e, id) => e.unhold(id)),
    setMuted: later((e, id, muted) => e.setMuted(id, muted)),
    sendDtmf: later((e, id, digits) => e.sendDtmf(id, digits)),
    transfer: later((e, id, target, mode) => e.transfer(id, target, mode)),
    completeTransfer: later((e, held, consult) => e.completeTransfer(held, consult)),
    cancelTransfer: later((e, held, consult) => e.cancelTransfer(held, consult)),
    park: later((e, id, slots) => e.park(id, slots)),
    resumeAudio: later(async (e) => e.resumeAudio?.()),
    dispose: later((e) => e.dispose()),
  };
}
