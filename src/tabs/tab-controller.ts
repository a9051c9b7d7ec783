/**
 * The element's side of tab sharing: which engine the element gets (shared across tabs, or its own),
 * its role, the browser's "leave page?" prompt while this tab holds a live call, and the pop-out
 * window.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { EngineFactory, PhoneEngine } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { SoftPhoneError } from '../errors.js';
import { groupKey, type TabLocks, type TabRole } from './protocol.js';
import { TabEngine } from './tab-engine.js';

/** Window name prefix of a pop-out window: the phone in such a window claims the lead. */
export const POP_OUT_WINDOW = 'soft-phone-pop-out';

export interface TabSharingHost extends ReactiveControllerHost {
  tabSharing: string;
  popOutUrl: string;
  unloadWarning: string;
  extension: string;
  domain: string;
  agent: string;
  provisioningUrl: string;
}

export interface TabCallbacks {
  /** This tab's role changed. */
  roleChanged(role: TabRole): void;
  /** Something the agent must be told (e.g. no password to take over the phone with). */
  problem(error: SoftPhoneError): void;
  /** The element's state now (to tell whether this tab holds a live call). */
  state(): PhoneState;
  /** A password for a phone this tab took over without one (see `TabEngineOptions.renew`). */
  renew?(): Promise<string | undefined>;
}

export class TabController implements ReactiveController {
  readonly #host: TabSharingHost;
  readonly #callbacks: TabCallbacks;
  #role: TabRole = 'alone';

  constructor(host: TabSharingHost, callbacks: TabCallbacks) {
    this.#host = host;
    this.#callbacks = callbacks;
    host.addController(this);
  }

  get role(): TabRole {
    return this.#role;
  }

  /** Sharing is on (the default) and the browser has Web Locks and BroadcastChannel. */
  get sharing(): boolean {
    return this.#host.tabSharing !== 'off' && !!globalThis.navigator?.locks && typeof BroadcastChannel !== 'undefined';
  }

  /** The engine for the element: shared with the other tabs of this phone, or its own. */
  engine(factory: EngineFactory, state: PhoneState): PhoneEngine {
    if (!this.sharing) {
      this.#setRole('alone');
      return factory(state);
    }
    return new TabEngine({
      factory,
      state,
      locks: navigator.locks as unknown as TabLocks,
      channel: (name) => new BroadcastChannel(name),
      onRole: (role) => this.#setRole(role),
      onProblem: (error) => this.#callbacks.problem(error),
      renew: this.#callbacks.renew,
      claim: isPopOutWindow(),
    });
  }

  /**
   * Opens `pop-out-url` in a small window of its own, named after this phone, where the phone
   * takes the lead (once the current leader has no call). Returns false when there is no URL or
   * the browser blocked the window.
   */
  popOut(): boolean {
    const url = this.#host.popOutUrl.trim();
    if (!url) throw new SoftPhoneError('INVALID_CONFIG', 'pop-out-url is not set');
    const key = groupKey(this.#host) ?? '';
    const opened = globalThis.open?.(url, `${POP_OUT_WINDOW}:${key}`, 'popup,width=380,height=720');
    return !!opened;
  }

  /** Whether the element shows the pop-out button (a URL, sharing on, and not in the window itself). */
  get canPopOut(): boolean {
    return !!this.#host.popOutUrl.trim() && this.sharing && !isPopOutWindow();
  }

  hostConnected(): void {
    globalThis.addEventListener?.('beforeunload', this.#beforeUnload);
  }

  hostDisconnected(): void {
    globalThis.removeEventListener?.('beforeunload', this.#beforeUnload);
    this.#setRole('alone');
  }

  /** A leader with a live call asks before the page goes (its calls would end with it). */
  #beforeUnload = (event: BeforeUnloadEvent): void => {
    if (this.#role !== 'leader' || this.#host.unloadWarning === 'off') return;
    if (!this.#callbacks.state().calls.some((c) => c.local)) return;
    event.preventDefault();
    event.returnValue = '';
  };

  #setRole(role: TabRole): void {
    if (role === this.#role) return;
    this.#role = role;
    this.#callbacks.roleChanged(role);
  }
}

/** This window was opened by `popOut()`. */
export function isPopOutWindow(): boolean {
  return typeof window !== 'undefined' && window.name.startsWith(POP_OUT_WINDOW);
}
