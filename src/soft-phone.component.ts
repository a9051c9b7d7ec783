// Not `import type`: this import keeps lit first in the bundle's module order, which gzips 0.3 KB smaller.
import { type PropertyValues, type TemplateResult } from 'lit';
import type { AudioTestResult } from './audio/audio-test.js';
import type { EngineFactory } from './core/engine.js';
import { parseDtmf } from './core/guards.js';
import type { CallInfo, ParkedCall, TransferMode } from './core/types.js';
import { SoftPhoneError } from './errors.js';
import { emit } from './events.js';
import { logger } from './logger.js';
import type { ForwardingSettings } from './provisioning/forwarding.js';
import type { SoftphoneSession } from './provisioning/client.js';
import { AgentController } from './element/agent-controller.js';
import { CONFIG_KEYS } from './element/config.js';
import { wireControllers, type Controllers } from './element/controllers.js';
import type { PhoneController } from './element/phone-controller.js';
import { LazyParts } from './element/parts.js';
import { SoftPhoneProperties } from './element/properties.js';
import { isLanguageLoaded, loadLanguage } from './i18n/index.js';

export { CONNECTION_LOST_MESSAGE } from './element/phone-events.js';

// The properties, the styles, the CSS parts and custom properties: element/properties.ts.
/**
 * `<soft-phone>`: a WebRTC softphone for contact-center CRMs. It registers as `<extension>@<domain>`
 * on the SIP server(s) in `server`, keeps the registration alive, and places and receives calls.
 *
 * The password is a write-only property: it is never an attribute, never reflected, never in an
 * event, a log line, an error message or the DOM. A `password` attribute is removed and ignored
 * with a console warning.
 *
 * Methods without a call id act on the current call (the connected one, else one still connecting,
 * else a held one, else the incoming call that has rung longest). Every method returns a promise that
 * rejects with a `SoftPhoneError { code, message }`. `call()` fires the cancelable
 * `softphone-before-dial` first; cancelling it rejects the call with `NOT_ALLOWED`.
 *
 * Agent login (provisioning): with `provisioning-url` and `agent` set, the element shows the login
 * step (the agent's extensions: personal, virtual, others, "Automatic"), then the status menu and
 * the forwarding panel; a virtual login registers nothing (calls go to the mobile). Call history:
 * the last 100 ended calls of each `<extension>@<domain>` in localStorage, behind "Recent calls".
 * Call quality: `CallInfo.quality` about once a second, `softphone-call-quality` only when a warning
 * starts or ends. README.md ("Agent login", "Call history", "Call quality") tells the whole story.
 *
 * One phone per browser: with `tab-sharing` on (the default), elements of the same
 * `<extension>@<domain>` in same-origin tabs of one browser share one registration. The tab holding
 * the Web Lock (`tabRole` `leader`) holds the SIP connection and every call's media; the other tabs'
 * elements (`follower`) show the same registration, calls (same ids, `local: false`), parked calls
 * and history, fire the same events, and their methods and buttons act through the leader. When the
 * leader goes, another tab takes over and registers with the password its own page set; a call whose
 * media was in the closed tab ends (`connection-lost`, "the tab that held it was closed"). A leader
 * with a live call asks before its page unloads (`unload-warning="off"` turns that off). `popOut()`
 * opens `pop-out-url` in a window of its own, which takes the lead. The password never leaves its tab.
 *
 * @summary Browser-embeddable WebRTC softphone.
 *
 * @fires {CustomEvent<{ server: string }>} softphone-registering - A registration attempt starts (also each reconnect attempt).
 * @fires {CustomEvent<{ aor: string; server: string; expires: number }>} softphone-registered - Registered; `expires` is what the server granted.
 * @fires {CustomEvent<{ reason: string }>} softphone-unregistered - No longer registered.
 * @fires {CustomEvent<{ code: number; reason: string }>} softphone-registration-failed - The server refused the registration (e.g. 401/403 for a wrong password).
 * @fires {CustomEvent<{ message: string }>} softphone-connection-lost - The connection to the system was lost; `message` is `SIP phone has lost connection with the system`.
 * @fires {CustomEvent<{ server: string }>} softphone-connection-restored - Registered again after a lost connection.
 * @fires {CustomEvent<{ number: string }>} softphone-before-dial - Cancelable, before a call is placed; the host may rewrite `detail.number`.
 * @fires {CustomEvent<{ call: CallInfo }>} softphone-incoming-call - A call rings.
 * @fires {CustomEvent<{ call: CallInfo }>} softphone-call-state - Any change of any call.
 * @fires {CustomEvent<{ call: CallInfo }>} softphone-call-established - A call is connected.
 * @fires {CustomEvent<{ call: CallInfo; quality?: QualitySummary }>} softphone-call-ended - A call ended; `call.endCause` says why, `quality` (calls that were measured) its average and worst MOS and its warnings.
 * @fires {CustomEvent<{ call: CallInfo; warnings: QualityWarning[]; started: QualityWarning[]; ended: QualityWarning[] }>} softphone-call-quality - A call quality warning started or ended (never for new figures alone).
 * @fires {CustomEvent<{ call: CallInfo }>} softphone-call-held - A call was put on hold.
 * @fires {CustomEvent<{ call: CallInfo, reason: 'signaling' | 'media' }>} softphone-call-reconnecting - A call lost its signaling connection or media path; it stays in its state (`reconnecting: true`) while the phone recovers it.
 * @fires {CustomEvent<{ call: CallInfo }>} softphone-call-reconnected - A reconnecting call is back (its dialog refreshed over the new connection, or its media path restored).
 * @fires {CustomEvent<{ call: CallInfo }>} softphone-call-resumed - A held call was resumed.
 * @fires {CustomEvent<{ call: CallInfo; mode: TransferMode; target: string }>} softphone-transfer-completed - A transfer succeeded.
 * @fires {CustomEvent<{ call: CallInfo; mode: TransferMode; target: string; code: string; reason: string }>} softphone-transfer-failed - A transfer failed; the call is still up.
 * @fires {CustomEvent<{ call: CallInfo; slot: string }>} softphone-call-parked - A call was parked in `slot`.
 * @fires {CustomEvent<{ status: string }>} softphone-status-changed - The agent status changed.
 * @fires {CustomEvent<{ role: 'leader' | 'follower' | 'alone' }>} softphone-tab-role - This tab's role in a phone shared by tabs changed (`tabRole`).
 * @fires {CustomEvent<{ code: ErrorCode; message: string }>} softphone-error - An action started from the element's UI failed, or a configuration value is invalid (`INVALID_CONFIG`).
 */
export class SoftPhone extends SoftPhoneProperties {
  /**
   * Creates the SIP engine. Internal: the package entry sets the real engine; tests put a fake here.
   * @internal
   */
  static engineFactory: EngineFactory | undefined;

  // The agent session (provisioning); the other controllers are wired in element/controllers.ts.
  readonly #parts = new LazyParts();
  readonly #agent = new AgentController(this.#parts, this, {
    changed: () => this.requestUpdate(),
    statusChanged: (status) => emit(this, 'softphone-status-changed', { status }),
    loaded: () => {
      this.#phone.scheduleApply();
      this.requestUpdate();
    },
    // Tabs of one agent share its login; only the tab that holds the phone saves the call statuses.
    savesCallStatus: () => this.#c.tabs.role !== 'follower',
    adopted: (session) => {
      if (!session.sip) return;
      this.#useSession(session.sip);
      this.register().catch((e: unknown) => logger.info('the phone of the login from another tab did not register', e));
    },
    loggedOut: () => this.#useSession(undefined),
  });
  readonly #c: Controllers = wireControllers(this, {
    parts: this.#parts,
    agent: this.#agent,
    password: () => this.passwordSlot,
    engineFactory: () => (this.constructor as typeof SoftPhone).engineFactory,
  });
  readonly #phone: PhoneController = this.#c.phone;

  protected override passwordChanged(): void {
    this.#phone.scheduleApply();
  }

  protected override get readout(): Controllers {
    return this.#c;
  }

  override connectedCallback(): void {
    // Queued before Lit queues the first render, so the connection starts (WebSocket opening)
    // before the first render takes the main thread; still a microtask, so properties the host
    // sets right after appending the element are part of the first configuration.
    this.#phone.scheduleApply();
    super.connectedCallback();
    this.#c.connected();
  }

  // ---- Public methods -------------------------------------------------------------------------

  /**
   * Focuses what the agent most likely wants: the answer button of a ringing call, else the number
   * field, else the first control (a CRM focuses the phone on a hotkey).
   */
  override focus(options?: FocusOptions): void {
    const target = this.renderRoot?.querySelector<HTMLElement>('[part=incoming] [data-action=answer]') ??
      this.renderRoot?.querySelector<HTMLElement>('[part=dialpad] input');
    if (target) target.focus(options);
    else super.focus(options);
  }

  /**
   * The pre-call check the settings panel offers: listens to the chosen microphone for 1.5 s (the
   * panel shows its level live), then plays a short test tone on the chosen speaker and on the
   * ringer output. Resolves `{ microphone: { level }, speaker: 'played' }` (level: the loudest RMS,
   * 0..1); rejects `MEDIA_DENIED` when the microphone cannot be opened.
   */
  testAudio(): Promise<AudioTestResult> {
    return this.#c.audio.runTest();
  }

  /**
   * Opens the phone in a small window of its own (`pop-out-url`), which takes over the phone (once no
   * call is up in the tab that holds it), so the CRM's pages can navigate freely. Rejects
   * `INVALID_CONFIG` without `pop-out-url`, `NOT_ALLOWED` when the browser blocked the window.
   */
  async popOut(): Promise<void> {
    if (!this.#c.tabs.popOut()) throw new SoftPhoneError('NOT_ALLOWED', `the browser did not open ${JSON.stringify(this.popOutUrl)}`);
  }

  /** Empties the call history of this `<extension>@<domain>` (in this browser). */
  async clearCallHistory(): Promise<void> {
    this.#c.history.clear();
    this.requestUpdate();
  }

  /** Registers with the configured server(s). */
  async register(): Promise<void> {
    return this.#phone.register();
  }

  /**
   * Unregisters. The phone stays unregistered (auto-register does not undo this) until `register()`
   * or until the element is added to a document again.
   */
  async unregister(): Promise<void> {
    return this.#phone.unregister();
  }

  /**
   * Places a call to an extension, a linked number (prefix + extension), an external number or a SIP
   * URI. Fires the cancelable `softphone-before-dial` first.
   */
  async call(number: string): Promise<CallInfo> {
    return this.#phone.call(() => {
      const detail = { number };
      if (!emit(this, 'softphone-before-dial', detail, { cancelable: true })) {
        throw new SoftPhoneError('NOT_ALLOWED', `the call to ${JSON.stringify(String(number))} was cancelled by the page`);
      }
      return this.#c.config.plan().toTarget(detail.number);
    });
  }

  /** Answers a ringing call (default: the one that has rung longest). */
  answer(callId?: string): Promise<void> {
    return this.#phone.act(callId, 'answer', (e, c) => e.answer(c.id));
  }

  /** Declines a ringing call. */
  decline(callId?: string): Promise<void> {
    return this.#phone.act(callId, 'decline', (e, c) => e.decline(c.id));
  }

  /** Ends a call (an outbound one that still rings is cancelled). */
  hangup(callId?: string): Promise<void> {
    return this.#phone.act(callId, 'hangup', (e, c) => e.hangup(c.id));
  }

  hold(callId?: string): Promise<void> {
    return this.#phone.act(callId, 'hold', (e, c) => e.hold(c.id));
  }

  unhold(callId?: string): Promise<void> {
    return this.#phone.act(callId, 'unhold', (e, c) => e.unhold(c.id));
  }

  mute(callId?: string): Promise<void> {
    return this.#phone.act(callId, 'mute', (e, c) => e.setMuted(c.id, true));
  }

  unmute(callId?: string): Promise<void> {
    return this.#phone.act(callId, 'unmute', (e, c) => e.setMuted(c.id, false));
  }

  /** Sends DTMF (`0-9 * # A-D`) as RFC 4733 events. */
  async sendDtmf(digits: string, callId?: string): Promise<void> {
    const tones = parseDtmf(digits);
    return this.#phone.act(callId, 'dtmf', (e, c) => e.sendDtmf(c.id, tones));
  }

  /**
   * `blind` ('#' transfer): REFER to `target`; resolves once the target answered (the call then ends
   * `transferred`), rejects with `TRANSFER_FAILED` when the target is busy or unknown or the REFER is
   * refused (the call stays up as it was; `softphone-transfer-failed` carries the SIP status as
   * `code`). `attended` ('*' transfer): holds the call and calls `target`; resolves with the consult
   * call (its `consultFor` names the held call), then `completeTransfer()` or `cancelTransfer()`.
   */
  async transfer(target: string, options: { mode: TransferMode } = { mode: 'blind' }, callId?: string): Promise<CallInfo | void> {
    const mode = options?.mode;
    if (mode !== 'blind' && mode !== 'attended') {
      throw new SoftPhoneError('TRANSFER_FAILED', `transfer mode ${JSON.stringify(mode)} is not 'blind' or 'attended'`);
    }
    const op = mode === 'blind' ? 'blindTransfer' : 'attendedTransfer';
    return this.#phone.act(callId, op, (e, c) => e.transfer(c.id, this.#c.config.plan().toTarget(target), mode), 'TRANSFER_FAILED');
  }

  /**
   * Joins a held call with a second call: completes a '*' transfer or a hold transfer (REFER with
   * Replaces to the held caller, who then talks to the target directly). Without ids: a '*'
   * transfer's consult call and its held call, else the held call and the newest other connected call.
   */
  async completeTransfer(heldCallId?: string, consultCallId?: string): Promise<void> {
    return this.#phone.completeTransfer(heldCallId, consultCallId);
  }

  /** Ends the consult call of a '*' transfer and resumes the held call. */
  async cancelTransfer(heldCallId?: string, consultCallId?: string): Promise<void> {
    return this.#phone.cancelTransfer(heldCallId, consultCallId);
  }

  /**
   * Parks a call in the first free slot of `park-slots` (a blind transfer to `sip:<slot>@<domain>`; a
   * slot that answers busy is taken, the next one is tried). Resolves with the `ParkedCall`, which
   * stays in `parkedCalls` until this phone retrieves it or it comes back; rejects `PARK_FAILED`.
   */
  park(callId?: string): Promise<ParkedCall> {
    return this.#phone.act(callId, 'park', (e, c) => e.park(c.id, this.#c.config.slots()), 'PARK_FAILED');
  }

  /** Calls a park slot back: the parked call is connected to this phone. */
  async retrieve(slot: string): Promise<CallInfo> {
    return this.#phone.call(() => {
      if (!this.#c.config.slots().includes(String(slot).trim())) {
        throw new SoftPhoneError('INVALID_NUMBER', `${JSON.stringify(String(slot))} is not one of the park slots ${this.parkSlots}`);
      }
      return this.#c.config.plan().toTarget(String(slot).trim());
    });
  }

  /**
   * Provisioning: starts the agent's session at `extensionNumber` (without one: automatic mode, the
   * server picks a free number) and registers with the SIP settings the server returns. A virtual
   * extension registers nothing (calls go to the agent's mobile). Rejects with `NO_FREE_NUMBER`,
   * `PROVISIONING_ERROR`, or the registration's error (the session stays: `logout()` ends it).
   */
  async login(extensionNumber?: string): Promise<void> {
    const session = await (await this.#agent.ready()).login(extensionNumber);
    try {
      if (!session.sip) return;
      this.#useSession(session.sip);
      this.password = session.sip.password;
      await this.register();
    } finally {
      // The agent's other tabs show the login now (this tab holds the phone by then).
      this.#agent.loggedIn();
    }
  }

  /** Takes a session's SIP settings (the password apart), or drops them (`undefined`). */
  #useSession(sip: Omit<SoftphoneSession['sip'], 'password'> | undefined): void {
    const { server = [], domain = '', extension = '', authUser = '', displayName = '' } = sip ?? {};
    Object.assign(this, { server: server.join(' '), domain, extension, authUser, displayName });
    if (!sip) this.password = '';
  }

  /**
   * Provisioning: unregisters and ends the session on the server (also one left by an earlier page).
   * Refused with `NOT_ALLOWED` during a call. The agent is logged out here even when the server cannot
   * be reached (the promise rejects with `PROVISIONING_ERROR` then).
   */
  async logout(): Promise<void> {
    const agent = await this.#agent.ready();
    if (this.#phone.state.calls.length) throw new SoftPhoneError('NOT_ALLOWED', 'cannot log out during a call: end the call first');
    try {
      await agent.logout(async () => {
        if (!agent.registers) return;
        await this.unregister().catch((e: unknown) => logger.info('unregister failed', e));
        this.#useSession(undefined);
      });
    } finally {
      this.#agent.loggedOut();
    }
  }

  /**
   * Provisioning: sets the agent status to one of the session's statuses (PUT), then fires
   * `softphone-status-changed`. The automatic call statuses are not for choosing: `INVALID_CONFIG`.
   */
  async setStatus(status: string): Promise<void> {
    await (await this.#agent.ready()).setStatus(status);
    this.#agent.statusChosen();
  }

  /** Provisioning: the forwarding settings of the extension the agent is logged in at. */
  async getForwarding(): Promise<ForwardingSettings> {
    return (await this.#agent.ready()).getForwarding();
  }

  /** Provisioning: replaces the forwarding settings; checked before sending (`INVALID_CONFIG` naming the rule). */
  async setForwarding(settings: ForwardingSettings): Promise<ForwardingSettings> {
    return (await this.#agent.ready()).setForwarding(settings);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (CONFIG_KEYS.some((k) => changed.has(k))) this.#phone.scheduleApply();
    this.#c.reflectState();
  }

  /** An update waits for the language and the parts its render needs (each loads once). */
  protected override scheduleUpdate(): void | Promise<unknown> {
    const lang = this.#c.localize.language;
    const pending = [...this.#parts.pending(this.#c.view.partsNeeded()), ...(isLanguageLoaded(lang) ? [] : [loadLanguage(lang)])];
    return pending.length ? Promise.all(pending).then(() => super.scheduleUpdate()) : super.scheduleUpdate();
  }

  protected override render(): TemplateResult {
    return this.#c.view.render();
  }
}
