/**
 * One phone for all same-origin tabs of a browser that show the same `<extension>@<domain>`.
 *
 * Each tab's element gets a `TabEngine` in place of the SIP engine. The tab that holds the group's
 * Web Lock is the leader: it runs the real engine on a phone state of its own and mirrors every
 * change into the element's state and onto the group's BroadcastChannel. The other tabs are
 * followers: they mirror the leader's changes into their element's state (so the element renders
 * and fires the same events) and send each engine method to the leader, which runs it and replies.
 *
 * ```
 *  configure() --> ask for the lock (if free) --+-- got it --> leader: real engine, register
 *                                               +-- held ----> follower: hello -> snapshot, changes
 *                                                              queued for the lock
 *  leader gone (tab closed, element removed) --> the first queued follower gets the lock --> leader
 *  popOut() window: claim --> leader ends its phone once it has no call --> yield --> steal the lock
 * ```
 * The password stays in the tab whose page set it: commands carry call ids, dial targets and park
 * slots, never the configuration. A follower that takes the lead registers with its own page's
 * password (or one `renew` gets: the agent's provisioning session started again in this tab), and
 * says so when it has none.
 */
import type { DialTarget, EngineConfig, EngineFactory, PhoneEngine } from '../core/engine.js';
import { PhoneState, type PhoneChange, type RegistrationDetail } from '../core/phone-state.js';
import { RegistrationState, type CallInfo, type ParkedCall, type TransferMode } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import {
  applySnapshot,
  asFollowerChange,
  forgetLeader,
  groupKey,
  isCommand,
  snapshotOf,
  withLocal,
  type Command,
  type TabChannel,
  type TabLocks,
  type TabMessage,
  type TabRole,
} from './protocol.js';
import { PendingReplies, replyTo, runCommand } from './commands.js';

export interface TabEngineOptions {
  /** Makes the real engine (when this tab leads). */
  factory: EngineFactory;
  /** The element's phone state. */
  state: PhoneState;
  locks: TabLocks;
  channel(name: string): TabChannel;
  /** This tab's role changed. */
  onRole(role: TabRole): void;
  /** Something the agent must hear of that is no failed action (e.g. no password to take over with). */
  onProblem(error: SoftPhoneError): void;
  /**
   * A password for a phone this tab took over when its page set none (e.g. the agent's provisioning
   * session started again); `undefined` when there is none.
   */
  renew?(): Promise<string | undefined>;
  /** Take the lead from the current leader (a window opened by `popOut()`). */
  claim?: boolean;
  /** How long a follower waits for the leader's reply. */
  replyTimeoutMs?: number;
}

/** This tab's membership of one group (one key); a new key is a new membership. */
interface Membership {
  key: string;
  channel: TabChannel;
  role: 'deciding' | 'leader' | 'follower' | 'yielding' | 'left';
  /** Settles once this tab knows whether it leads. */
  ready: Promise<void>;
  decided: () => void;
  /** Releases the lock this tab holds. */
  release?: () => void;
  /** The lock request that holds the lock now (a request that ends otherwise was only queued). */
  holding?: object;
  /** Cancels this tab's place in the lock's queue. */
  queued?: AbortController;
  real?: PhoneEngine;
  own?: PhoneState;
  unsubscribe?: () => void;
  detail: RegistrationDetail;
  /** A window that asked for the lead (the leader hands over once it has no call). */
  claimant?: string;
}

let nextTab = 0;

export class TabEngine implements PhoneEngine {
  readonly #o: TabEngineOptions;
  readonly #id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${++nextTab}`;
  #config: EngineConfig | undefined;
  #m: Membership | undefined;
  readonly #replies = new PendingReplies();
  /** This tab's page wants the phone registered (it asked to register and did not unregister since). */
  #wanted = false;

  constructor(options: TabEngineOptions) {
    this.#o = options;
  }

  /** The role now: `alone` until the first configuration puts this tab in a group. */
  get role(): TabRole {
    const role = this.#m?.role;
    return role === 'leader' ? 'leader' : role === 'follower' || role === 'yielding' ? 'follower' : 'alone';
  }

  configure(config: EngineConfig): void {
    this.#config = config;
    const key = groupKey(config);
    const m = this.#m;
    if (m && m.key === key) {
      m.real?.configure(config);
      return;
    }
    if (m) void this.#leave(m);
    if (key) this.#join(key);
  }

  register(): Promise<void> {
    this.#wanted = true;
    return this.#send('register', []);
  }

  unregister(): Promise<void> {
    this.#wanted = false;
    return this.#send('unregister', []);
  }

  async call(target: DialTarget): Promise<CallInfo> {
    return this.#asSeen((await this.#send('call', [target])) as CallInfo);
  }

  answer(callId: string): Promise<void> {
    return this.#send('answer', [callId]);
  }

  decline(callId: string): Promise<void> {
    return this.#send('decline', [callId]);
  }

  hangup(callId: string): Promise<void> {
    return this.#send('hangup', [callId]);
  }

  hold(callId: string): Promise<void> {
    return this.#send('hold', [callId]);
  }

  unhold(callId: string): Promise<void> {
    return this.#send('unhold', [callId]);
  }

  setMuted(callId: string, muted: boolean): Promise<void> {
    return this.#send('setMuted', [callId, muted]);
  }

  sendDtmf(callId: string, digits: string): Promise<void> {
    return this.#send('sendDtmf', [callId, digits]);
  }

  async transfer(callId: string, target: DialTarget, mode: TransferMode): Promise<CallInfo | void> {
    const consult = (await this.#send('transfer', [callId, target, mode])) as CallInfo | undefined;
    return consult ? this.#asSeen(consult) : undefined;
  }

  completeTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    return this.#send('completeTransfer', [heldCallId, consultCallId]);
  }

  cancelTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    return this.#send('cancelTransfer', [heldCallId, consultCallId]);
  }

  park(callId: string, slots: readonly string[]): Promise<ParkedCall> {
    return this.#send('park', [callId, [...slots]]);
  }

  resumeAudio(): Promise<void> {
    return this.#send('resumeAudio', []);
  }

  async dispose(): Promise<void> {
    const m = this.#m;
    this.#m = undefined;
    if (m) await this.#leave(m);
  }

  // ---- membership ---------------------------------------------------------------------------

  #join(key: string): void {
    const channel = this.#o.channel(key);
    let decided!: () => void;
    const ready = new Promise<void>((r) => (decided = r));
    const m: Membership = { key, channel, role: 'deciding', ready, decided, detail: {} };
    this.#m = m;
    channel.onmessage = (event: MessageEvent) => this.#onMessage(m, event.data as TabMessage);
    this.#request(m, { ifAvailable: true }, () => {
      this.#follow(m);
      if (this.#o.claim) this.#post(m, { type: 'claim', from: this.#id });
    });
  }

  /**
   * Asks for the group's lock; leads while holding it. `unavailable`: what to do when the lock is
   * held (with `ifAvailable`). The lock goes when this tab leaves, or to a window that steals it.
   */
  #request(m: Membership, options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, unavailable?: () => void): void {
    const token = {};
    this.#o.locks
      .request(m.key, options, async (lock) => {
        if (m.role === 'left' || options.signal?.aborted) return;
        if (!lock) {
          unavailable?.();
          return;
        }
        m.holding = token;
        this.#lead(m);
        await new Promise<void>((r) => (m.release = r));
      })
      .catch((e: unknown) => {
        // Only the request that held the lock can lose it (a queued one was merely cancelled).
        if (m.holding === token) this.#lockLost(m, e);
      });
  }

  /** Waits in the lock's queue; leads when the lock comes (the leader before went away). */
  #queue(m: Membership): void {
    m.queued?.abort();
    m.queued = new AbortController();
    this.#request(m, { signal: m.queued.signal });
  }

  /** Takes the lock from a leader that handed over (its phone is already stopped). */
  #steal(m: Membership): void {
    m.queued?.abort();
    m.queued = undefined;
    this.#request(m, { steal: true });
  }

  /** The lock request ended without this tab leaving: aborted by us (queue left), or stolen from us. */
  #lockLost(m: Membership, e: unknown): void {
    if (m.role === 'left' || (m.role !== 'leader' && m.role !== 'yielding')) return;
    logger.info('this tab no longer holds the phone', e);
    m.holding = undefined;
    void this.#stopLeading(m).then(() => {
      if (m.role !== 'left') this.#follow(m);
    });
  }

  #follow(m: Membership): void {
    m.role = 'follower';
    m.decided();
    this.#o.onRole('follower');
    this.#post(m, { type: 'hello', from: this.#id });
    this.#queue(m);
  }

  #lead(m: Membership): void {
    const takingOver = m.role === 'follower';
    m.queued?.abort();
    m.queued = undefined;
    m.role = 'leader';
    m.decided();
    this.#replies.rejectAll('the tab that held the phone is gone');
    // What this tab showed of the leader before is over: its calls ended with its tab.
    forgetLeader(this.#o.state);
    const own = new PhoneState();
    m.own = own;
    m.detail = {};
    m.unsubscribe = own.subscribe((change) => this.#onOwnChange(m, change));
    m.real = this.#o.factory(own);
    const config = this.#config;
    if (config) m.real.configure(config);
    this.#o.onRole('leader');
    this.#post(m, { type: 'snapshot', from: this.#id, snapshot: snapshotOf(own, m.detail) });
    if (takingOver && this.#wanted && config) void this.#registerAfterTakeover(m, config);
  }

  /**
   * Registers the phone this tab took over, with its own page's password, or one its host gets
   * (`renew`: the agent's provisioning session started again); says so when there is none.
   */
  async #registerAfterTakeover(m: Membership, config: EngineConfig): Promise<void> {
    let password = config.password;
    if (!password && this.#o.renew) {
      password = await this.#o.renew().catch((e: unknown) => {
        logger.info('no password for the phone this tab took over', e);
        return undefined;
      });
      if (m.role !== 'leader' || !m.real) return;
      if (password && this.#config) {
        this.#config = { ...this.#config, password };
        m.real.configure(this.#config);
      }
    }
    if (!password) {
      this.#o.onProblem(new SoftPhoneError('AUTH_FAILED', 'this tab took over the phone, but its page set no password: it registers without one'));
    }
    m.real?.register().catch((e: unknown) => logger.info('registration after taking over did not succeed', e));
  }

  #onOwnChange(m: Membership, change: PhoneChange): void {
    if (change.kind === 'registration') m.detail = change.detail;
    this.#o.state.mirror(change);
    this.#post(m, { type: 'change', from: this.#id, change });
    if (change.kind === 'call') this.#maybeYield(m);
  }

  /** Stops this tab's phone (calls end, the registration goes): it no longer leads. */
  async #stopLeading(m: Membership): Promise<void> {
    const real = m.real;
    const unsubscribe = m.unsubscribe;
    m.real = undefined;
    m.own = undefined;
    m.unsubscribe = undefined;
    try {
      await real?.dispose();
    } catch (e) {
      logger.warn('engine dispose failed', e);
    } finally {
      unsubscribe?.();
    }
  }

  /** A claimant waits for the leader's last call to end; then the leader stops and hands over. */
  #maybeYield(m: Membership): void {
    const claimant = m.claimant;
    if (m.role !== 'leader' || !claimant || (m.own?.calls.length ?? 0) > 0) return;
    m.claimant = undefined;
    m.role = 'yielding';
    void this.#stopLeading(m).then(() => {
      if (m.role === 'left') return;
      this.#o.onRole('follower');
      this.#post(m, { type: 'yield', from: this.#id, to: claimant });
    });
  }

  async #leave(m: Membership): Promise<void> {
    const wasLeading = m.role === 'leader' || m.role === 'yielding';
    m.role = 'left';
    m.queued?.abort();
    if (wasLeading) await this.#stopLeading(m);
    m.release?.();
    m.channel.onmessage = null;
    m.channel.close();
    this.#replies.rejectAll('the phone was removed from this tab');
  }

  // ---- messages -----------------------------------------------------------------------------

  #post(m: Membership, message: TabMessage): void {
    if (m.role === 'left') return;
    try {
      m.channel.postMessage(message);
    } catch (e) {
      logger.warn('cannot reach the other tabs', e);
    }
  }

  #onMessage(m: Membership, message: TabMessage): void {
    if (m.role === 'left' || message.from === this.#id) return;
    switch (message.type) {
      case 'hello':
        if (m.role === 'leader' && m.own) this.#post(m, { type: 'snapshot', from: this.#id, snapshot: snapshotOf(m.own, m.detail) });
        break;
      case 'snapshot':
        if (m.role === 'follower') applySnapshot(this.#o.state, message.snapshot);
        break;
      case 'change':
        if (m.role === 'follower') this.#o.state.mirror(asFollowerChange(message.change));
        break;
      case 'command':
        if (m.role === 'leader' && isCommand(message.method)) {
          const { from, id } = message;
          void replyTo(m.real, m.own?.registration !== RegistrationState.Unregistered, message.method, message.args).then((reply) =>
            this.#post(m, { type: 'reply', from: this.#id, to: from, id, ...reply }),
          );
        }
        break;
      case 'reply':
        if (message.to === this.#id) this.#replies.settle(message);
        break;
      case 'claim':
        if (m.role === 'leader') {
          m.claimant = message.from;
          this.#maybeYield(m);
        }
        break;
      case 'yield':
        if (message.to === this.#id && m.role === 'follower') this.#steal(m);
        break;
    }
  }

  /** Runs an engine method here (leader) or in the leader's tab (follower). */
  async #send<T>(method: Command, args: unknown[]): Promise<T> {
    const m = this.#m;
    if (!m) throw new SoftPhoneError('NOT_REGISTERED', 'the phone is not configured');
    await m.ready;
    if (m.role === 'leader') return (await runCommand(m.real, method, args)) as T;
    if (m.role === 'left') throw new SoftPhoneError('NOT_REGISTERED', 'the phone was removed from this tab');
    return this.#replies.expect<T>(method, this.#o.replyTimeoutMs ?? 15_000, (id) =>
      this.#post(m, { type: 'command', from: this.#id, id, method, args }),
    );
  }

  /** A call as this tab's element shows it (a follower holds no media). */
  #asSeen(call: CallInfo): CallInfo {
    return this.role === 'leader' ? call : withLocal(call, false);
  }
}
