/**
 * The parts of the UI that load on first use, each a chunk of its own: provisioning (login step,
 * agent bar, forwarding panel and their client), the history list and the transfer panel. The
 * element's update waits for the parts its next render needs, so a part never shows half-there.
 */
import { logger } from '../logger.js';

const LOADERS = {
  provisioning: () => import('./provisioning-part.js'),
  history: () => import('../ui/history-list.js'),
  transfer: () => import('../ui/transfer.js'),
};
type Parts = { [K in keyof typeof LOADERS]: Awaited<ReturnType<(typeof LOADERS)[K]>> };
export type PartName = keyof Parts;

export class LazyParts {
  #loaded: Partial<Parts> = {};
  #loading = new Map<PartName, Promise<void>>();

  /** The part if it is loaded. */
  get<K extends PartName>(name: K): Parts[K] | undefined {
    return this.#loaded[name];
  }

  /** Loads a part (once); a part that cannot be loaded stays away (logged), nothing else breaks. */
  load(name: PartName): Promise<void> {
    let pending = this.#loading.get(name);
    if (!pending) {
      pending = LOADERS[name]().then(
        (part) => void Object.assign(this.#loaded, { [name]: part }),
        (e: unknown) => logger.warn(`the ${name} part could not be loaded`, e),
      );
      this.#loading.set(name, pending);
    }
    return pending;
  }

  /** Starts loading each of `names` not loaded yet; what is still on its way. */
  pending(names: readonly PartName[]): Promise<void>[] {
    return names.filter((n) => !this.#loaded[n]).map((n) => this.load(n));
  }
}
