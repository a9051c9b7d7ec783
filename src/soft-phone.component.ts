import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { canChooseOutput, listAudioDevices, loadAudioPrefs, saveAudioPrefs, type AudioDevices, type AudioPrefs } from './audio/devices.js';
import { TonePlayer, type ToneKind } from './audio/tones.js';
import { parseThresholds, QualityTally, type QualitySummary, type QualityThresholds } from './core/call-quality.js';
import { addRecord, historyStorageKey, parseHistory, recordFromCall, serializeHistory, type CallRecord } from './core/call-history.js';
import { assertCallOperation, assertTransferPair, blockReason, describeOperations, stateBlockReason, type CallOperation, type CallPolicy } from './core/call-policy.js';
import { createDialPlan, formatRemote, parseParkSlots, type DialPlan } from './core/dial-plan.js';
import type { EngineConfig, EngineFactory, PhoneEngine } from './core/engine.js';
import { parseDtmf, requireCall } from './core/guards.js';
import { PhoneState, type PhoneChange, type PhoneNotice } from './core/phone-state.js';
import { isSeconds, SettingsCache, type Settings } from './core/settings.js';
import { checkServers, type CheckedServers } from './core/servers.js';
import {
  CallState,
  RegistrationState,
  type CallInfo,
  type IceServer,
  type LinkedServer,
  type ParkedCall,
  type ReconnectReason,
  type TransferMode,
} from './core/types.js';
import { SoftPhoneError, toSoftPhoneError, type ErrorCode } from './errors.js';
import { emit, type SoftPhoneEventMap } from './events.js';
import { isRtl, matchLanguage, translator, type Language, type Translate } from './i18n/index.js';
import { logger } from './logger.js';
import { styles } from './soft-phone.styles.js';
import { renderCallList, renderCurrentCall, renderIncoming, type CallAction, type CallHandlers } from './ui/calls.js';
import { renderParked } from './ui/parked.js';
import { renderTransfer, transferStyles, type TransferAction, type TransferHandlers } from './ui/transfer.js';
import { renderDialpad, type DialpadHandlers } from './ui/dialpad.js';
import { renderAgentBar, type AgentBarHandlers } from './ui/agent-status.js';
import { renderForwarding, type ForwardingHandlers } from './ui/forwarding.js';
import { agentStyles, renderLogin, type LoginHandlers } from './ui/login.js';
import { AgentSession, type ProvisioningOptions } from './provisioning/agent-session.js';
import type { ForwardingSettings } from './provisioning/forwarding.js';
import { historyStyles, renderHistory, type HistoryHandlers } from './ui/history.js';
import { renderHeader } from './ui/header.js';
import { icons } from './ui/icons.js';
import { renderSettings } from './ui/settings.js';
import { qualityBars, qualityStyles, renderQualityNotices } from './ui/quality.js';
import { runAudioTest, type AudioTestResult } from './audio/audio-test.js';
import { TabController } from './tabs/tab-controller.js';
import type { TabRole } from './tabs/protocol.js';
import { renderTabBar } from './ui/tabs.js';

/** The text of `softphone-connection-lost` (the UI shows it in the element's language). */
export const CONNECTION_LOST_MESSAGE = 'SIP phone has lost connection with the system';

/**
 * `auto-register` is true unless the attribute says otherwise: absent means the default (true), and
 * `"false"`, `"off"`, `"no"` and `"0"` (any case) turn it off. Any other value, including the empty
 * value of a bare `auto-register`, means true. (A plain HTML boolean attribute could never switch a
 * default-true option off.)
 */
export const autoRegisterConverter = {
  fromAttribute(value: string | null): boolean {
    return value === null || !/^(false|off|no|0)$/i.test(value.trim());
  },
};

/** Internal engine settings the public API does not cover (tests and the lab). */
export type EngineOptions = Partial<Pick<EngineConfig, 'keepAlive' | 'candidateFilter' | 'qualitySampling'>>;

// Built at run time so the manifest analyzer does not list it as a documented attribute.
const PASSWORD_ATTRIBUTE = ['pass', 'word'].join('');
const CONNECTED: readonly string[] = [CallState.Established, CallState.Held, CallState.Transferring];
/** What a reconnecting call refuses: operations the far end must take part in. */
const NEEDS_FAR_END: ReadonlySet<CallOperation> = new Set(['hold', 'unhold', 'dtmf', 'blindTransfer', 'attendedTransfer', 'holdTransfer', 'park']);
const isRingingIn = (c: CallInfo): boolean => c.direction === 'inbound' && c.state === CallState.Ringing;

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
 * step instead of the dialer: the agent's extensions from `GET {url}/agents/{agent}/extensions`,
 * always in the order personal, virtual (`mobile <number>`), all others, plus "Automatic" (the server
 * picks a free number). Choosing one (click, or Up/Down and Enter) or `login(number?)` starts the
 * session and registers with the SIP settings the server returns (the session's password goes only
 * to the SIP stack). A virtual extension registers nothing: the element shows "Calls go to your
 * mobile <number>", status `virtual` (built in, not renamable), no call controls, and no automatic
 * call statuses. Every other login starts in `available`; the status menu offers the session's
 * `statuses` (`setStatus()`, `softphone-status-changed`, the `status` property), and while a call is
 * up the status is `incoming call` / `outgoing call`, back to the chosen one after the last call.
 * The forwarding panel and `getForwarding()` / `setForwarding()` act on the agent's extension
 * (always, busy, no answer after 5-120 s, unavailable), checked before sending. A 409 shows "No free
 * number or the number is invalid" (`NO_FREE_NUMBER`); other failures are `PROVISIONING_ERROR` and
 * never touch a running call or what the agent typed. `logout()` unregisters, then ends the session.
 * Removing the element does not end the session (a CRM page may add it again: the same element then
 * registers again; a new element shows the login step, and `logout()` there ends a leftover session).
 *
 * Call history: the last 100 ended calls of each `<extension>@<domain>`, newest first, are kept in
 * the browser's localStorage (`soft-phone:history:<extension>@<domain>`), read through
 * `callHistory` and emptied by `clearCallHistory()`. Linked-server calls are recorded as extension
 * calls with their prefix and server label (`113999`, kind `linked`, server `Tokyo`). The UI lists
 * them behind a "Recent calls" toggle: choosing an entry puts its number in the dialpad, the phone
 * button next to it calls it.
 *
 * Call quality: while a call is established, `CallInfo.quality` holds the latest figures (about once
 * a second from `getStats()`: an E-model MOS estimate, round trip, jitter, loss both ways over the
 * last 5 s, audio levels) without any event; `CallInfo.warnings` and `softphone-call-quality`
 * change only when a warning (`high-rtt`, `high-jitter`, `high-packet-loss`, `low-mos`,
 * `no-audio-in`, `no-audio-out`) starts or ends, by `qualityThresholds`. The call card shows bars
 * with the figures in their tooltip and a notice with advice per warning. A microphone that goes
 * away mid-call is replaced by the default one, and the card says so.
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
 *
 * @csspart base - The whole widget.
 * @csspart header - Registration name and state.
 * @csspart banner - The "lost connection" banner.
 * @csspart notice - Configuration errors, failed actions, blocked sound, the last call's end.
 * @csspart incoming - The ringing call card (answer / decline).
 * @csspart call - The current call card.
 * @csspart controls - The in-call buttons.
 * @csspart call-list - The list of calls, shown when there are two or more.
 * @csspart transfer - The transfer panel under the current call ('#' / '*' transfer, complete, cancel, park).
 * @csspart parked - The calls parked from this phone, with their count.
 * @csspart dialpad - Number field, keys and call button.
 * @csspart history - The call history toggle and list.
 * @csspart settings - The audio settings panel.
 * @csspart login - The agent login step (extension choices).
 * @csspart agent - The agent bar: status menu, forwarding and logout buttons, a virtual login's mobile.
 * @csspart forwarding - The call forwarding panel.
 * @csspart tabs - The line that says another tab holds the phone, and the pop-out button.
 *
 * @cssproperty [--soft-phone-width=320px] - Width of the widget.
 * @cssproperty [--soft-phone-font] - Font shorthand.
 * @cssproperty [--soft-phone-background=#ffffff] - Background.
 * @cssproperty [--soft-phone-color=#1f2328] - Text color.
 * @cssproperty [--soft-phone-muted-color=#59636e] - Secondary text.
 * @cssproperty [--soft-phone-border-color=#d1d9e0] - Borders.
 * @cssproperty [--soft-phone-surface=#f6f8fa] - Cards and keys.
 * @cssproperty [--soft-phone-success=#1a7f37] - Answer / call buttons, registered dot.
 * @cssproperty [--soft-phone-danger=#cf222e] - Hang up / decline buttons, lost-connection banner.
 * @cssproperty [--soft-phone-warning-background=#fff1e5] - Notices.
 * @cssproperty [--soft-phone-warning-color=#953800] - Notice text.
 * @cssproperty [--soft-phone-focus-ring=#0969da] - Keyboard focus outline.
 * @cssproperty [--soft-phone-radius=8px] - Corner radius.
 */
export class SoftPhone extends LitElement {
  static override styles = [styles, historyStyles, agentStyles, transferStyles, qualityStyles];

  // Declared here rather than with decorators: no decorator helper in the bundle.
  static override properties = {
    server: {},
    domain: {},
    extension: {},
    authUser: { attribute: 'auth-user' },
    displayName: { attribute: 'display-name' },
    expires: { type: Number },
    refresh: { type: Number },
    callRecovery: { type: Number, attribute: 'call-recovery' },
    prefix: {},
    linkedServers: { attribute: 'linked-servers' },
    parkSlots: { attribute: 'park-slots' },
    provisioningUrl: { attribute: 'provisioning-url' },
    agent: {},
    lang: {},
    autoRegister: { attribute: 'auto-register', converter: autoRegisterConverter },
    iceServers: { attribute: false },
    callPolicy: { attribute: false },
    qualityThresholds: { attribute: false },
    tabSharing: { attribute: 'tab-sharing' },
    popOutUrl: { attribute: 'pop-out-url' },
    unloadWarning: { attribute: 'unload-warning' },
  };

  static {
    // Internal state: reactive, but not part of the documented API.
    for (const name of ['_number', '_dtmf', '_keypad', '_settings', '_devices', '_audio', '_now', '_announce', '_error', '_configErrors', '_lastEnded', '_history', '_micFallback', '_audioTest']) {
      this.createProperty(name, { state: true });
    }
    this.createProperty('_xferOpen', { state: true });
    this.createProperty('_xferTarget', { state: true });
    this.createProperty('engineOptions', { attribute: false });
    this.createProperty('provisioningOptions', { attribute: false });
  }

  /**
   * Creates the SIP engine. Internal: the package entry sets the real engine; tests put a fake here.
   * @internal
   */
  static engineFactory: EngineFactory | undefined;

  /** WebSocket URL(s) of the SIP server, space-separated; later ones are failover servers tried in order. */
  server = '';
  /** SIP domain; the phone registers as `<extension>@<domain>`. */
  domain = '';
  /** The extension number (SIP user). */
  extension = '';
  /** Digest user name; empty means the extension. */
  authUser = '';
  /** Caller name sent with calls. */
  displayName = '';
  /** Registration expiry requested from the server, seconds. */
  expires = 30;
  /** Seconds between registration refreshes. */
  refresh = 15;
  /**
   * Seconds a call may spend reconnecting (its signaling connection or media path lost) before it
   * ends with `connection-lost`, counted from `softphone-call-reconnecting`.
   */
  callRecovery = 30;
  /** This server's own prefix in a group of linked servers (e.g. `11`). */
  override prefix = '';
  /** Other servers reachable by prefix + extension: JSON `[{ "prefix": "12", "label": "Osaka" }]` (attribute) or an array (property). */
  linkedServers: string | readonly LinkedServer[] = '';
  /** The park orbit's slots: extensions and ranges, e.g. `701-720`. */
  parkSlots = '701-720';
  /** Base URL of the provisioning API. */
  provisioningUrl = '';
  /** Agent id for the provisioning API. */
  agent = '';
  /** UI language: `en`, `ja`, `he` (right-to-left) or `pl`; empty: the document's language, else English. */
  override lang = '';
  /**
   * Register as soon as server, domain and extension are known (and again when they change).
   * The attribute is on unless it is `"false"`, `"off"`, `"no"` or `"0"`.
   */
  autoRegister = true;
  /** STUN/TURN servers. Empty by default: no public server is contacted unless configured. */
  iceServers: IceServer[] = [];
  /** Which call operations are allowed when, e.g. `{ outbound: { blindTransfer: true } }`. */
  callPolicy: CallPolicy = {};
  /**
   * When call quality warnings start, overriding any of the defaults `{ rttMs: 400, jitterMs: 30,
   * lossPct: 3, mos: 3.5, silenceSeconds: 5, startSamples: 3, endSamples: 3 }` (a warning starts
   * after its condition held for `startSamples` samples, about one a second, and ends after it was
   * clear for `endSamples`). A bad value is an `INVALID_CONFIG` error naming it (the defaults apply).
   * @type {Partial<QualityThresholds>}
   */
  qualityThresholds: Partial<QualityThresholds> = {};
  /**
   * Engine settings outside the public API (keep-alive period, ICE candidate filter).
   * @internal
   */
  engineOptions: EngineOptions = {};
  /**
   * Provisioning client settings: `headers` (e.g. the CRM's authorization), `credentials`
   * (`'include'` sends the CRM's cookies to another origin), `timeoutMs` per request (default 8000).
   */
  provisioningOptions: ProvisioningOptions = {};
  /**
   * `on` (default): elements of the same `<extension>@<domain>` in same-origin tabs of this browser
   * share one registration (see "One phone per browser"); `off`: this element registers on its own.
   * Read when the element connects.
   */
  tabSharing: 'on' | 'off' = 'on';
  /** The page `popOut()` opens in a window of its own (e.g. the package's `pop-out.html`, served by the CRM). */
  popOutUrl = '';
  /**
   * `on` (default): while this tab holds a live call of a shared phone, leaving or reloading the page
   * asks first (the browser's own prompt); `off`: it does not ask.
   */
  unloadWarning: 'on' | 'off' = 'on';

  private _number = '';
  private _dtmf = '';
  private _keypad = false;
  private _settings = false;
  private _devices: AudioDevices = { inputs: [], outputs: [] };
  private _audio: AudioPrefs = loadAudioPrefs();
  private _now = Date.now();
  private _announce = '';
  private _error: SoftPhoneError | undefined;
  private _configErrors: readonly string[] = [];
  private _lastEnded: CallInfo | undefined;
  private _xferOpen = false;
  private _xferTarget = '';
  private _history = false;
  private _micFallback = false;
  /** The audio check in the settings panel: running (level so far) or done. */
  private _audioTest: { running: boolean; level: number; result?: AudioTestResult } | undefined;
  #tallies = new Map<string, QualityTally>();
  #historyCache: { key: string; raw: string | null; list: readonly CallRecord[] } | undefined;

  #password = '';
  #passwordVersion = 0;
  #phone = new PhoneState();
  #unsubscribe: (() => void) | undefined;
  #engine: PhoneEngine | undefined;
  #settingsCache = new SettingsCache();
  #appliedKey = '';
  #applyQueued = false;
  #userUnregistered = false;
  #calls = new Map<string, CallInfo>();
  #established = new Set<string>();
  /** Calls now reconnecting, with what they lost. */
  #reconnecting = new Map<string, ReconnectReason>();
  #lostConnection = false;
  #tones = new TonePlayer(() => this.requestUpdate());
  #tabs = new TabController(this, {
    roleChanged: (role) => {
      this.#reflectState();
      emit(this, 'softphone-tab-role', { role });
      this.requestUpdate();
    },
    problem: (error) => this.#report(error, 'AUTH_FAILED'),
    state: () => this.#phone,
  });
  #clock: ReturnType<typeof setInterval> | undefined;
  #langObserver: MutationObserver | undefined;
  #agent = new AgentSession({
    changed: () => this.requestUpdate(),
    statusChanged: (status) => emit(this, 'softphone-status-changed', { status }),
  });

  // Observed only to catch (and drop) a password set as an attribute; not a documented attribute.
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, PASSWORD_ATTRIBUTE];
  }

  constructor() {
    super();
    // A password set on the element before this class upgraded it sits in an own property that
    // would hide the setter (and could be read back): move it through the setter.
    if (Object.prototype.hasOwnProperty.call(this, 'password')) {
      const value = (this as { password?: string }).password;
      delete (this as { password?: string }).password;
      this.password = value;
    }
  }

  /**
   * The SIP password. Write-only: reading it gives `undefined`, never the secret.
   * @type {string | undefined}
   */
  set password(value: string | undefined) {
    const next = value === undefined || value === null ? '' : String(value);
    if (next === this.#password) return;
    logger.addSecret(next);
    this.#password = next;
    this.#passwordVersion++;
    this.#scheduleApply();
  }
  get password(): string | undefined {
    return undefined;
  }

  /**
   * Registration state, reflected as the `registration-state` attribute.
   * @readonly
   */
  get registrationState(): RegistrationState {
    return this.#phone.registration;
  }

  /**
   * Snapshots of the live calls, oldest first.
   * @readonly
   */
  get calls(): readonly CallInfo[] {
    return this.#phone.calls;
  }

  /**
   * Calls parked from this phone.
   * @readonly
   */
  get parkedCalls(): readonly ParkedCall[] {
    return this.#phone.parked;
  }

  /**
   * The call history of this `<extension>@<domain>`: the last 100 ended calls, newest first, kept in
   * localStorage. Each record is `{ id, direction, remote, startedAt, answeredAt?, endedAt, endCause,
   * transferredBy?, quality? }` (`quality`: `{ mosAvg, mosMin, warnings }` of a measured call); a
   * linked-server call keeps `remote` as shown (prefix + extension, `kind:
   * 'linked'`, `prefix`, `server`). Empty while extension or domain is not set.
   * @readonly
   * @type {readonly CallRecord[]}
   */
  get callHistory(): readonly CallRecord[] {
    const key = this.#historyKey();
    if (!key) return [];
    let raw: string | null = null;
    try {
      raw = localStorage.getItem(key);
    } catch {
      // storage blocked by the browser: no history
    }
    // Compared by the stored text, so another tab's calls on the same extension show up too.
    const cached = this.#historyCache;
    if (cached?.key === key && cached.raw === raw) return cached.list;
    const list = Object.freeze(parseHistory(raw).map((r) => Object.freeze({ ...r, remote: Object.freeze(r.remote) })));
    this.#historyCache = { key, raw, list };
    return list;
  }

  /**
   * This tab's part in a phone shared by tabs: `leader` (holds the SIP connection and the calls'
   * media), `follower` (shows the leader's phone and acts through it) or `alone` (sharing off, or
   * not configured yet). Reflected as the `tab-role` attribute.
   * @readonly
   */
  get tabRole(): TabRole {
    return this.#tabs.role;
  }

  /**
   * The agent status; `'available'` when no provisioning is used.
   * @readonly
   */
  get status(): string {
    return this.#agent.status;
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (name === PASSWORD_ATTRIBUTE) {
      if (value !== null) {
        logger.warn('the password attribute is ignored and removed: set the password property instead');
        this.removeAttribute(PASSWORD_ATTRIBUTE);
      }
      return;
    }
    super.attributeChangedCallback(name, old, value);
  }

  override connectedCallback(): void {
    // Queued before Lit queues the first render, so the connection starts (WebSocket opening)
    // before the first render takes the main thread; still a microtask, so properties the host
    // sets right after appending the element are part of the first configuration.
    this.#scheduleApply();
    super.connectedCallback();
    // A fresh state per connection: nothing of a removed phone leaks into the re-added one.
    this.#phone = new PhoneState();
    this.#calls.clear();
    this.#tallies.clear();
    this._micFallback = false;
    this.#established.clear();
    this.#lostConnection = false;
    this.#appliedKey = '';
    // Adding the element again is a fresh start: it registers again even after an unregister().
    this.#userUnregistered = false;
    this._announce = '';
    this._lastEnded = undefined;
    const phone = this.#phone;
    this.#unsubscribe = phone.subscribe((change) => this.#onChange(phone, change));
    this.#reflectState();
    if (typeof MutationObserver !== 'undefined') {
      this.#langObserver = new MutationObserver(() => this.requestUpdate());
      this.#langObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#langObserver?.disconnect();
    this.#stopClock();
    void this.#tones.dispose();
    const engine = this.#engine;
    const unsubscribe = this.#unsubscribe;
    this.#engine = undefined;
    this.#unsubscribe = undefined;
    // Keep listening until the engine has wound down, so the host hears the final events.
    void (engine?.dispose() ?? Promise.resolve())
      .catch((e: unknown) => logger.warn('engine dispose failed', e))
      .finally(() => unsubscribe?.());
  }

  // ---- Public methods -------------------------------------------------------------------------

  /**
   * The pre-call check the settings panel offers: listens to the chosen microphone for 1.5 s (the
   * panel shows its level live), then plays a short test tone on the chosen speaker and on the
   * ringer output. Resolves `{ microphone: { level }, speaker: 'played' }` (level: the loudest RMS,
   * 0..1); rejects `MEDIA_DENIED` when the microphone cannot be opened.
   */
  async testAudio(): Promise<AudioTestResult> {
    this._audioTest = { running: true, level: 0 };
    try {
      const result = await runAudioTest({
        ...this._audio,
        onLevel: (level) => {
          if (this._audioTest?.running) this._audioTest = { running: true, level };
        },
      });
      this._audioTest = { running: false, level: result.microphone.level, result };
      return result;
    } catch (e) {
      this._audioTest = undefined;
      throw toSoftPhoneError(e, 'MEDIA_DENIED');
    }
  }

  /**
   * Opens the phone in a small window of its own (`pop-out-url`), which takes over the phone (once no
   * call is up in the tab that holds it), so the CRM's pages can navigate freely. Rejects
   * `INVALID_CONFIG` without `pop-out-url`, `NOT_ALLOWED` when the browser blocked the window.
   */
  async popOut(): Promise<void> {
    if (!this.#tabs.popOut()) throw new SoftPhoneError('NOT_ALLOWED', `the browser did not open ${JSON.stringify(this.popOutUrl)}`);
  }

  /** Empties the call history of this `<extension>@<domain>` (in this browser). */
  async clearCallHistory(): Promise<void> {
    const key = this.#historyKey();
    if (!key) return;
    try {
      localStorage.removeItem(key);
    } catch (e) {
      logger.debug('call history not cleared', e);
    }
    this.requestUpdate();
  }

  /** Registers with the configured server(s). */
  async register(): Promise<void> {
    this.#userUnregistered = false;
    const engine = this.#configuredEngine();
    await this.#guard(engine.register(), 'TRANSPORT_ERROR');
  }

  /**
   * Unregisters. The phone stays unregistered (auto-register does not undo this) until `register()`
   * or until the element is added to a document again.
   */
  async unregister(): Promise<void> {
    this.#userUnregistered = true;
    await this.#guard(this.#engine?.unregister() ?? Promise.resolve(), 'TRANSPORT_ERROR');
  }

  /**
   * Places a call to an extension, a linked number (prefix + extension), an external number or a SIP
   * URI. Fires the cancelable `softphone-before-dial` first.
   */
  async call(number: string): Promise<CallInfo> {
    const engine = this.#registeredEngine();
    const detail = { number };
    if (!emit(this, 'softphone-before-dial', detail, { cancelable: true })) {
      throw new SoftPhoneError('NOT_ALLOWED', `the call to ${JSON.stringify(String(number))} was cancelled by the page`);
    }
    const target = this.#plan().toTarget(detail.number);
    return this.#guard(engine.call(target), 'CALL_FAILED');
  }

  /** Answers a ringing call (default: the one that has rung longest). */
  answer(callId?: string): Promise<void> {
    return this.#act(callId, 'answer', (e, c) => e.answer(c.id));
  }

  /** Declines a ringing call. */
  decline(callId?: string): Promise<void> {
    return this.#act(callId, 'decline', (e, c) => e.decline(c.id));
  }

  /** Ends a call (an outbound one that still rings is cancelled). */
  hangup(callId?: string): Promise<void> {
    return this.#act(callId, 'hangup', (e, c) => e.hangup(c.id));
  }

  hold(callId?: string): Promise<void> {
    return this.#act(callId, 'hold', (e, c) => e.hold(c.id));
  }

  unhold(callId?: string): Promise<void> {
    return this.#act(callId, 'unhold', (e, c) => e.unhold(c.id));
  }

  mute(callId?: string): Promise<void> {
    return this.#act(callId, 'mute', (e, c) => e.setMuted(c.id, true));
  }

  unmute(callId?: string): Promise<void> {
    return this.#act(callId, 'unmute', (e, c) => e.setMuted(c.id, false));
  }

  /** Sends DTMF (`0-9 * # A-D`) as RFC 4733 events. */
  async sendDtmf(digits: string, callId?: string): Promise<void> {
    const tones = parseDtmf(digits);
    return this.#act(callId, 'dtmf', (e, c) => e.sendDtmf(c.id, tones));
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
    return this.#act(
      callId,
      mode === 'blind' ? 'blindTransfer' : 'attendedTransfer',
      (e, c) => e.transfer(c.id, this.#plan().toTarget(target), mode),
      'TRANSFER_FAILED',
    );
  }

  /**
   * Joins a held call with a second call: completes a '*' transfer or a hold transfer (REFER with
   * Replaces to the held caller, who then talks to the target directly). Without ids: a '*'
   * transfer's consult call and its held call, else the held call and the newest other connected call.
   */
  async completeTransfer(heldCallId?: string, consultCallId?: string): Promise<void> {
    const engine = this.#registeredEngine();
    const [held, consult] = this.#transferPair(heldCallId, consultCallId);
    for (const c of [held, consult]) {
      if (c.reconnecting) throw new SoftPhoneError('CALL_FAILED', `call ${c.id} is reconnecting (${this.#reconnecting.get(c.id) ?? 'signaling'} lost): cannot transfer it until it is back`);
    }
    // a consult call the element placed for a '*' transfer had its policy checked then
    assertTransferPair(held, consult, consult.consultFor === held.id ? 'attendedTransfer' : 'holdTransfer', this.#policy);
    await this.#guard(engine.completeTransfer(held.id, consult.id), 'TRANSFER_FAILED');
  }

  /** Ends the consult call of a '*' transfer and resumes the held call. */
  async cancelTransfer(heldCallId?: string, consultCallId?: string): Promise<void> {
    const engine = this.#registeredEngine();
    const [held, consult] = this.#transferPair(heldCallId, consultCallId);
    await this.#guard(engine.cancelTransfer(held.id, consult.id), 'TRANSFER_FAILED');
  }

  /**
   * Parks a call in the first free slot of `park-slots` (a blind transfer to `sip:<slot>@<domain>`; a
   * slot that answers busy is taken, the next one is tried). Resolves with the `ParkedCall`, which
   * stays in `parkedCalls` until this phone retrieves it or it comes back; rejects `PARK_FAILED`.
   */
  park(callId?: string): Promise<ParkedCall> {
    return this.#act(callId, 'park', (e, c) => e.park(c.id, this.#slotsOrThrow()), 'PARK_FAILED');
  }

  /** Calls a park slot back: the parked call is connected to this phone. */
  async retrieve(slot: string): Promise<CallInfo> {
    const engine = this.#registeredEngine();
    if (!this.#slotsOrThrow().includes(String(slot).trim())) {
      throw new SoftPhoneError('INVALID_NUMBER', `${JSON.stringify(String(slot))} is not one of the park slots ${this.parkSlots}`);
    }
    return this.#guard(engine.call(this.#plan().toTarget(String(slot).trim())), 'CALL_FAILED');
  }

  /**
   * Provisioning: starts the agent's session at `extensionNumber` (without one: automatic mode, the
   * server picks a free number) and registers with the SIP settings the server returns. A virtual
   * extension registers nothing (calls go to the agent's mobile). Rejects with `NO_FREE_NUMBER`,
   * `PROVISIONING_ERROR`, or the registration's error (the session stays: `logout()` ends it).
   */
  async login(extensionNumber?: string): Promise<void> {
    const session = await this.#provisioning().login(extensionNumber);
    if (!session.sip) return;
    const { server, domain, extension, authUser, displayName, password } = session.sip;
    Object.assign(this, { server: server.join(' '), domain, extension, authUser, displayName });
    this.password = password;
    await this.register();
  }

  /**
   * Provisioning: unregisters and ends the session on the server (also one left by an earlier page).
   * Refused with `NOT_ALLOWED` during a call. The agent is logged out here even when the server cannot
   * be reached (the promise rejects with `PROVISIONING_ERROR` then).
   */
  async logout(): Promise<void> {
    const agent = this.#provisioning();
    if (this.#phone.calls.length) throw new SoftPhoneError('NOT_ALLOWED', 'cannot log out during a call: end the call first');
    await agent.logout(async () => {
      if (!agent.registers) return;
      await this.unregister().catch((e: unknown) => logger.info('unregister failed', e));
      Object.assign(this, { server: '', domain: '', extension: '', authUser: '', displayName: '' });
      this.password = '';
    });
  }

  /**
   * Provisioning: sets the agent status to one of the session's statuses (PUT), then fires
   * `softphone-status-changed`. The automatic call statuses are not for choosing: `INVALID_CONFIG`.
   */
  setStatus(status: string): Promise<void> {
    return this.#provisioning().setStatus(status);
  }

  /** Provisioning: the forwarding settings of the extension the agent is logged in at. */
  getForwarding(): Promise<ForwardingSettings> {
    return this.#provisioning().getForwarding();
  }

  /** Provisioning: replaces the forwarding settings; checked before sending (`INVALID_CONFIG` naming the rule). */
  setForwarding(settings: ForwardingSettings): Promise<ForwardingSettings> {
    return this.#provisioning().setForwarding(settings);
  }

  // ---- Configuration --------------------------------------------------------------------------

  protected override updated(changed: PropertyValues<this>): void {
    const configKeys = [
      'server', 'domain', 'extension', 'authUser', 'displayName', 'expires', 'refresh', 'callRecovery', 'prefix',
      'linkedServers', 'parkSlots', 'iceServers', 'callPolicy', 'autoRegister', 'engineOptions',
      'provisioningUrl', 'agent', 'provisioningOptions', 'qualityThresholds',
    ] as const;
    if (configKeys.some((k) => changed.has(k))) this.#scheduleApply();
    this.#reflectState();
  }

  /** Coalesces any number of changes in one task into one reconfiguration. */
  #scheduleApply(): void {
    if (this.#applyQueued) return;
    this.#applyQueued = true;
    queueMicrotask(() => {
      this.#applyQueued = false;
      if (this.isConnected) this.#apply();
    });
  }

  /** The `server` URLs, checked: the usable ones, and an error for each one left out. */
  #servers(): CheckedServers {
    return checkServers(this.server.split(/\s+/).filter(Boolean), globalThis.location?.protocol);
  }

  #apply(): void {
    const errors = [...this.#settings().errors, ...this.#servers().errors];
    for (const check of [() => this.#provisioning(), () => parseThresholds(this.qualityThresholds)]) {
      try {
        check();
      } catch (e) {
        errors.push(toSoftPhoneError(e, 'INVALID_CONFIG'));
      }
    }
    const messages = errors.map((e) => e.message);
    if (messages.join('\n') !== this._configErrors.join('\n')) {
      this._configErrors = messages;
      for (const e of errors) {
        logger.warn(e.message);
        emit(this, 'softphone-error', e.toJSON());
      }
    }

    const config = this.#engineConfig();
    if (!config) {
      // The host cleared server, domain or extension (e.g. the agent signed out): stop registering.
      if (this.#appliedKey && this.#phone.registration !== 'unregistered') {
        this.#engine?.unregister().catch((e: unknown) => logger.info('unregister failed', e));
      }
      this.#appliedKey = '';
      return;
    }
    const key = this.#configKey(config);
    if (key === this.#appliedKey) return;
    this.#appliedKey = key;
    let engine: PhoneEngine;
    try {
      engine = this.#ensureEngine();
    } catch (e) {
      this.#report(e, 'INVALID_CONFIG');
      return;
    }
    engine.configure(config);
    // With provisioning, only a softphone session registers (also again when the element is re-added).
    const allowed = !this.provisioningUrl || this.#agent.registers;
    if (this.autoRegister && !this.#userUnregistered && allowed && this.#phone.registration === 'unregistered') {
      // The outcome arrives as registration events; a rejection here is already reported there.
      engine.register().catch((e: unknown) => logger.info('registration did not succeed', e));
    }
  }

  /** The engine configuration, or undefined while server, domain or extension is missing. */
  #engineConfig(): EngineConfig | undefined {
    const servers = this.#servers().usable;
    const domain = this.domain.trim();
    const extension = this.extension.trim();
    if (!servers.length || !domain || !extension) return undefined;
    const plan = this.#settings().plan;
    const num = (v: number, fallback: number): number => (isSeconds(v) ? v : fallback);
    return {
      servers,
      domain,
      extension,
      authUser: this.authUser.trim() || extension,
      ...(this.#password ? { password: this.#password } : {}),
      ...(this.displayName ? { displayName: this.displayName } : {}),
      expires: num(this.expires, 30),
      refresh: num(this.refresh, 15),
      callRecovery: num(this.callRecovery, 30),
      iceServers: Array.isArray(this.iceServers) ? this.iceServers : [],
      // The plan in force when the call arrives: prefix and linked servers change without reconfiguring.
      ...(plan ? { classify: (user: string, name?: string, host?: string) => (this.#settings().plan ?? plan).classifyIncoming(user, name, host) } : {}),
      microphone: this._audio.microphone,
      speaker: this._audio.speaker,
      qualityThresholds: this.#thresholds(),
      ...this.engineOptions,
    };
  }

  /** Equal for configurations that need no reconfiguring (the password by its version, never its text). */
  #configKey(config: EngineConfig): string {
    return JSON.stringify({ ...config, password: this.#passwordVersion, classify: undefined });
  }

  #ensureEngine(): PhoneEngine {
    if (this.#engine) return this.#engine;
    const factory = (this.constructor as typeof SoftPhone).engineFactory;
    if (!factory) throw new SoftPhoneError('INVALID_CONFIG', 'no SIP engine is available in this build');
    this.#engine = this.#tabs.engine(factory, this.#phone);
    return this.#engine;
  }

  #configuredEngine(): PhoneEngine {
    if (!this.isConnected) throw new SoftPhoneError('NOT_REGISTERED', 'the phone is not in the document');
    const config = this.#engineConfig();
    if (!config) {
      // a server set but none usable (e.g. ws:// on an https:// page): the reason, naming the URL
      const servers = this.#servers();
      if (!servers.usable.length && servers.errors[0]) throw servers.errors[0];
      const missing = (['server', 'domain', 'extension'] as const).filter((k) => !this[k].trim());
      throw new SoftPhoneError('INVALID_CONFIG', `cannot register: ${missing.join(', ')} not set`);
    }
    const engine = this.#ensureEngine();
    const key = this.#configKey(config);
    if (key !== this.#appliedKey) {
      this.#appliedKey = key;
      engine.configure(config);
    }
    return engine;
  }

  #registeredEngine(): PhoneEngine {
    const reg = this.#phone.registration;
    if (reg !== 'registered' || !this.#engine) {
      throw new SoftPhoneError('NOT_REGISTERED', `the phone is not registered (registration state: ${reg})`);
    }
    return this.#engine;
  }

  /**
   * Runs an operation on one call (by id, else the current call for `op`) after the state and policy
   * checks. Ending a call (hang up, decline) works whatever the registration state.
   */
  async #act<T>(
    callId: string | undefined,
    op: CallOperation,
    work: (engine: PhoneEngine, call: CallInfo) => Promise<T>,
    fallback: ErrorCode = 'CALL_FAILED',
  ): Promise<T> {
    const reg = this.#phone.registration;
    let asked: CallInfo | undefined;
    try {
      asked = requireCall(this.#phone.calls, callId, op);
    } catch {
      // reported below, as before
    }
    if (asked?.reconnecting && NEEDS_FAR_END.has(op)) {
      const reason = this.#reconnecting.get(asked.id) ?? 'signaling';
      throw new SoftPhoneError('CALL_FAILED', `call ${asked.id} is reconnecting (${reason} lost): cannot ${op} until it is back`);
    }
    const ending = (op === 'hangup' || op === 'decline') && this.#phone.calls.length > 0;
    // Muting is local: a call waiting for its connection can be muted too.
    const local = (op === 'mute' || op === 'unmute') && asked?.reconnecting === true;
    if (!this.#engine || (reg !== 'registered' && !ending && !local)) {
      throw new SoftPhoneError('NOT_REGISTERED', `the phone is not registered (registration state: ${reg})`);
    }
    const call = requireCall(this.#phone.calls, callId, op);
    assertCallOperation(call, op, this.#policy);
    return this.#guard(work(this.#engine, call), fallback);
  }

  #transferPair(heldId?: string, consultId?: string): [CallInfo, CallInfo] {
    const calls = this.#phone.calls;
    const given = consultId !== undefined ? requireCall(calls, consultId) : undefined;
    // A '*' transfer's consult call names its held call; otherwise: the held call and the newest other connected call.
    const consultOf = given ?? [...calls].reverse().find((c) => c.consultFor !== undefined && calls.some((h) => h.id === c.consultFor));
    const held =
      heldId !== undefined
        ? requireCall(calls, heldId)
        : calls.find((c) => c.id === consultOf?.consultFor) ?? calls.find((c) => c.state === CallState.Held && c.id !== given?.id);
    if (!held) throw new SoftPhoneError('NO_SUCH_CALL', 'no call is on hold');
    const consult = given ?? (consultOf?.consultFor === held.id ? consultOf : [...calls].reverse().find((c) => c.id !== held.id && CONNECTED.includes(c.state)));
    if (!consult) throw new SoftPhoneError('NO_SUCH_CALL', 'there is no second call to join the held call with');
    return [held, consult];
  }

  /** The transfer panel's buttons: what each would do and why it is refused. */
  #transferHandlers: TransferHandlers = {
    toggle: () => {
      this._xferOpen = !this._xferOpen;
    },
    input: (value: string) => {
      this._xferTarget = value;
    },
    act: (action: TransferAction) => {
      const id = this.#activeCall()?.id;
      const target = this._xferTarget.trim();
      const done = (): void => {
        this._xferTarget = '';
        this._xferOpen = false;
      };
      if (action === 'park') this.#run(() => this.park(id), 'PARK_FAILED');
      else if (action === 'complete') this.#run(() => this.completeTransfer(), 'TRANSFER_FAILED');
      else if (action === 'cancel') this.#run(() => this.cancelTransfer(), 'TRANSFER_FAILED');
      else {
        this.#run(async () => {
          await this.transfer(target, { mode: action }, id);
          done();
        }, 'TRANSFER_FAILED');
      }
    },
  };

  #renderTransfer(active: CallInfo | undefined, t: Translate): TemplateResult | typeof nothing {
    // also while a '*' transfer's consult call still rings, so it can be cancelled
    if (!active || (!CONNECTED.includes(active.state) && !active.consultFor)) return nothing;
    const ops = describeOperations(active, this.#policy);
    let pair: [CallInfo, CallInfo] | undefined;
    try {
      pair = this.#phone.calls.length >= 2 ? this.#transferPair() : undefined;
    } catch {
      pair = undefined;
    }
    const complete = pair
      ? pair[1].consultFor === pair[0].id
        ? stateBlockReason(pair[0], 'unhold')
        : blockReason(pair[0], 'holdTransfer', this.#policy)
      : undefined;
    return renderTransfer(
      {
        call: active,
        open: this._xferOpen,
        target: this._xferTarget,
        pair: pair !== undefined,
        blocked: { blind: ops.blindTransfer, attended: ops.attendedTransfer, park: ops.park, ...(pair ? { complete } : {}) },
      },
      t,
      this.#transferHandlers,
    );
  }

  /** The settings as they are now, even when set in this same task (derived on demand, cached). */
  #settings(): Settings {
    const { domain, prefix, linkedServers, callPolicy, parkSlots, expires, refresh, callRecovery } = this;
    return this.#settingsCache.get({ domain, prefix, linkedServers, callPolicy, parkSlots, expires, refresh, callRecovery });
  }

  get #policy(): CallPolicy {
    return this.#settings().policy;
  }

  /** The dial plan in force; without a valid domain this throws the domain's `INVALID_CONFIG`. */
  #plan(): DialPlan {
    return this.#settings().plan ?? createDialPlan({ domain: this.domain });
  }

  #slotsOrThrow(): readonly string[] {
    const slots = this.#settings().slots;
    return slots.length ? slots : parseParkSlots(this.parkSlots);
  }

  /** The provisioning controller with the current settings (a method may run before the first update). */
  #provisioning(): AgentSession {
    this.#agent.configure(this.provisioningUrl, this.agent, this.provisioningOptions);
    return this.#agent;
  }

  /** Turns any engine failure into a SoftPhoneError without a secret in it. */
  async #guard<T>(work: Promise<T>, fallback: ErrorCode): Promise<T> {
    try {
      return await work;
    } catch (e) {
      const error = toSoftPhoneError(e, fallback);
      throw new SoftPhoneError(error.code, logger.redact(error.message));
    }
  }

  // ---- State changes -> render + DOM events ---------------------------------------------------

  #onChange(phone: PhoneState, change: PhoneChange): void {
    // A disposed engine's late changes belong to a phone that is gone.
    if (phone !== this.#phone) return;
    if (change.kind === 'quality') {
      // The call clock re-renders every second anyway (and the tooltip's figures with it): only a
      // warning or a new number of bars needs a render of its own.
      if (this.#onQuality(change)) this.requestUpdate();
      return;
    }
    if (change.kind === 'registration') this.#onRegistration(change);
    else if (change.kind === 'call') {
      this.#onCall(change.call);
      this.#agent.callsChanged(phone.calls);
    }
    else this.#onNotice(change.notice);
    this.#syncTones();
    this.#syncClock();
    this.requestUpdate();
    this.#reflectState();
  }

  #onRegistration(change: Extract<PhoneChange, { kind: 'registration' }>): void {
    const { to, detail } = change;
    const server = detail.server ?? this.server.split(/\s+/).find(Boolean) ?? '';
    switch (to) {
      case RegistrationState.Registering:
        emit(this, 'softphone-registering', { server });
        break;
      case RegistrationState.Registered:
        emit(this, 'softphone-registered', {
          aor: detail.aor ?? `${this.extension.trim()}@${this.domain.trim()}`,
          server,
          expires: detail.expires ?? this.expires,
        });
        if (this.#lostConnection) emit(this, 'softphone-connection-restored', { server });
        this.#lostConnection = false;
        // The tone player's audio starts once the page is idle after registering, so the first
        // incoming call rings, and is answered, sooner; not once the phone is removed.
        (globalThis.requestIdleCallback ?? setTimeout)(() => this.isConnected && this.#tones.warm(this._audio.ringer));
        break;
      case RegistrationState.Unregistered:
        this.#lostConnection = false;
        emit(this, 'softphone-unregistered', { reason: detail.reason ?? 'unregistered' });
        break;
      case RegistrationState.ConnectionLost:
        this.#lostConnection = true;
        emit(this, 'softphone-connection-lost', { message: CONNECTION_LOST_MESSAGE });
        break;
    }
  }

  #onCall(call: CallInfo): void {
    const prev = this.#calls.get(call.id);
    if (call.state === CallState.Ended) {
      this.#calls.delete(call.id);
      this.#reconnecting.delete(call.id);
    }
    else this.#calls.set(call.id, call);
    emit(this, 'softphone-call-state', { call });
    if (!prev) {
      this._lastEnded = undefined;
      if (isRingingIn(call)) {
        const number = formatRemote(call.remote);
        const caller = call.remote.displayName ? `${call.remote.displayName} (${number})` : number;
        this._announce = this.#t()('incomingFrom', { caller });
        emit(this, 'softphone-incoming-call', { call });
      }
    }
    if (call.state === CallState.Established && !this.#established.has(call.id)) {
      this.#established.add(call.id);
      emit(this, 'softphone-call-established', { call });
    }
    // Cleared once nothing rings, so the next incoming call is announced even from the same caller.
    if (!this.#phone.calls.some(isRingingIn) && !isRingingIn(call)) this._announce = '';
    if (call.state !== CallState.Ended) {
      if (call.held && !prev?.held) emit(this, 'softphone-call-held', { call });
      else if (!call.held && prev?.held) emit(this, 'softphone-call-resumed', { call });
      return;
    }
    this.#established.delete(call.id);
    this._lastEnded = call;
    if (!this.#phone.calls.length) {
      this._keypad = false;
      this._dtmf = '';
      this._micFallback = false;
    }
    const quality = this.#tallies.get(call.id)?.summary();
    this.#tallies.delete(call.id);
    emit(this, 'softphone-call-ended', { call, ...(quality ? { quality } : {}) });
    this.#remember(call, quality);
  }

  /** New quality figures: kept for the history; an event only when a warning starts or ends. */
  #onQuality(change: Extract<PhoneChange, { kind: 'quality' }>): boolean {
    const { call, started, ended } = change;
    const prev = this.#calls.get(call.id);
    if (!prev) return false;
    this.#calls.set(call.id, call);
    let tally = this.#tallies.get(call.id);
    if (!tally) this.#tallies.set(call.id, (tally = new QualityTally()));
    tally.add(call.quality, call.warnings);
    if (started.length || ended.length) emit(this, 'softphone-call-quality', { call, warnings: [...call.warnings], started, ended });
    const bars = (c: CallInfo): number => (c.quality ? qualityBars(c.quality.mos) : 0);
    return started.length > 0 || ended.length > 0 || bars(prev) !== bars(call);
  }

  /** The thresholds in force: the host's override, or the defaults while it is invalid. */
  #thresholds(): QualityThresholds {
    try {
      return parseThresholds(this.qualityThresholds);
    } catch {
      return parseThresholds(undefined);
    }
  }

  #onNotice(notice: PhoneNotice): void {
    if (notice.type === 'call-reconnecting') this.#reconnecting.set(notice.call.id, notice.reason);
    else if (notice.type === 'call-reconnected') this.#reconnecting.delete(notice.call.id);
    if (notice.type === 'registering') {
      // Reconnect attempts while the connection is lost; the first attempt is the state change.
      if (this.#phone.registration === RegistrationState.ConnectionLost) emit(this, 'softphone-registering', { server: notice.server });
    } else if (notice.type === 'microphone-fallback') {
      this._micFallback = true;
    } else if (notice.type !== 'parked-changed') {
      // The other notices are events of the same name with the same fields.
      const { type, ...detail } = notice;
      emit(this, `softphone-${type}`, detail as SoftPhoneEventMap[`softphone-${typeof type}`]);
    }
  }

  /** Where the history of this `<extension>@<domain>` is kept; undefined while either is not set. */
  #historyKey(): string | undefined {
    const extension = this.extension.trim();
    const domain = this.domain.trim();
    return extension && domain ? historyStorageKey(extension, domain) : undefined;
  }

  /** Keeps the last 100 calls of this extension in localStorage. */
  #remember(call: CallInfo, quality?: QualitySummary): void {
    const record = recordFromCall(call, quality);
    const key = this.#historyKey();
    if (!record || !key) return;
    try {
      const list = addRecord(parseHistory(localStorage.getItem(key)), record);
      localStorage.setItem(key, serializeHistory(list));
    } catch (e) {
      logger.debug('call history not saved', e);
    }
  }

  #reflectState(): void {
    const reg = this.#phone.registration;
    if (this.getAttribute('registration-state') !== reg) this.setAttribute('registration-state', reg);
    if (this.getAttribute('tab-role') !== this.#tabs.role) this.setAttribute('tab-role', this.#tabs.role);
  }

  #syncTones(): void {
    // Tabs that share a phone: only the one with the calls' media rings.
    const calls = this.#phone.calls.filter((c) => c.local);
    let tone: ToneKind | undefined;
    if (calls.some(isRingingIn)) tone = calls.some((c) => !isRingingIn(c)) ? 'call-waiting' : 'ringtone';
    else if (calls.some((c) => c.direction === 'outbound' && c.state === CallState.Ringing)) tone = 'ringback';
    if (tone) {
      this.#tones.setSinks(this._audio.ringer, this._audio.speaker);
      this.#tones.play(tone);
    } else {
      this.#tones.stop();
    }
  }

  #syncClock(): void {
    const running = this.#phone.calls.some((c) => c.answeredAt !== undefined && CONNECTED.includes(c.state));
    if (running && this.#clock === undefined) {
      this._now = Date.now();
      this.#clock = setInterval(() => (this._now = Date.now()), 1000);
    } else if (!running) {
      this.#stopClock();
    }
  }

  #stopClock(): void {
    if (this.#clock !== undefined) clearInterval(this.#clock);
    this.#clock = undefined;
  }

  // ---- UI -------------------------------------------------------------------------------------

  #language(): Language {
    return matchLanguage(this.lang) ?? matchLanguage(globalThis.document?.documentElement.lang) ?? 'en';
  }

  #t(): Translate {
    return translator(this.#language());
  }

  /** Reports a failure of an action the agent started in the UI. */
  #report(e: unknown, fallback: ErrorCode): void {
    const error = toSoftPhoneError(e, fallback);
    this._error = error;
    logger.warn(error.message);
    emit(this, 'softphone-error', error.toJSON());
  }

  #run(work: () => Promise<unknown>, fallback: ErrorCode = 'CALL_FAILED'): void {
    this._error = undefined;
    work().catch((e: unknown) => this.#report(e, fallback));
  }

  #callHandlers: CallHandlers = {
    act: (action: CallAction, id: string) => {
      if (action === 'switch') {
        this.#run(async () => {
          const up = this.#phone.calls.find((c) => c.id !== id && c.state === CallState.Established);
          if (up) await this.hold(up.id);
          await this.unhold(id);
        });
        return;
      }
      this.#run(() => this[action](id));
    },
    toggleKeypad: () => {
      this._keypad = !this._keypad;
      this._dtmf = '';
    },
  };

  #dialHandlers: DialpadHandlers = {
    key: (k: string) => {
      const current = this.#activeCall();
      if (current && current.state === CallState.Established && this._keypad) {
        this._dtmf += k;
        this.#run(() => this.sendDtmf(k, current.id));
      } else {
        this._number += k;
      }
    },
    input: (value: string) => {
      this._number = value;
    },
    backspace: () => {
      this._number = this._number.slice(0, -1);
    },
    call: () => {
      const number = this._number.trim();
      if (!number) return;
      this.#run(async () => {
        await this.call(number);
        this._number = '';
      });
    },
  };

  #historyHandlers: HistoryHandlers = {
    toggle: () => (this._history = !this._history),
    use: (number: string) => {
      this._number = number;
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('input[type=tel]')?.focus());
    },
    call: (number: string) => this.#run(() => this.call(number)),
    clear: () => this.#run(() => this.clearCallHistory()),
  };

  /** Provisioning actions from the UI: the login step and the panels show their own failures. */
  #agentRun(work: () => Promise<unknown>): void {
    this._error = undefined;
    work().catch((e: unknown) => {
      const error = toSoftPhoneError(e, 'PROVISIONING_ERROR');
      if (!['PROVISIONING_ERROR', 'NO_FREE_NUMBER', 'INVALID_CONFIG'].includes(error.code)) this._error = error;
      logger.warn(error.message);
      emit(this, 'softphone-error', error.toJSON());
    });
  }

  #dismissAgentError = (): void => {
    this.#agent.error = undefined;
    this.requestUpdate();
  };

  #loginHandlers: LoginHandlers = {
    login: (number) =>
      this.#agentRun(async () => {
        await this.login(number);
        // The chosen button is gone: keyboard users continue at the status menu.
        await this.updateComplete;
        this.renderRoot.querySelector<HTMLElement>('[part=agent] select')?.focus();
      }),
    retry: () => this.#agentRun(() => this.#agent.load()),
    dismiss: this.#dismissAgentError,
  };

  #agentHandlers: AgentBarHandlers = {
    setStatus: (status) => this.#agentRun(() => this.setStatus(status)),
    toggleForwarding: () => this.#agentRun(() => this.#agent.toggleForwarding()),
    logout: () => this.#agentRun(() => this.logout()),
    dismiss: this.#dismissAgentError,
  };

  #forwardingHandlers: ForwardingHandlers = {
    edit: (field, value) => this.#agent.editForwarding(field, value),
    save: () => this.#agentRun(() => this.#agent.saveForwarding()),
    retry: () => this.#agentRun(() => this.#agent.loadForwarding()),
    close: () => this.#agentRun(() => this.#agent.toggleForwarding()),
    dismiss: () => {
      this.#agent.forwarding.error = undefined;
      this.requestUpdate();
    },
  };

  /** The call the in-call card shows: the current call, unless it is only ringing at us. */
  #activeCall(): CallInfo | undefined {
    const calls = this.#phone.calls.filter((c) => !isRingingIn(c));
    if (!calls.length) return undefined;
    try {
      return requireCall(calls, undefined, 'hangup');
    } catch {
      return undefined;
    }
  }

  #toggleSettings = (): void => {
    this._settings = !this._settings;
    if (this._settings) {
      listAudioDevices()
        .then((devices) => (this._devices = devices))
        .catch((e: unknown) => logger.debug('cannot list audio devices', e));
    }
  };

  #changeDevice = (key: keyof AudioPrefs, id: string): void => {
    this._audio = { ...this._audio, [key]: id };
    saveAudioPrefs(this._audio);
    this.#tones.setSinks(this._audio.ringer, this._audio.speaker);
    this.#scheduleApply();
  };

  #enableSound = (): void => {
    this.#run(async () => {
      await this.#tones.unlock();
      await this.#engine?.resumeAudio?.();
    });
  };

  #notice(text: string, onDismiss?: () => void, action?: TemplateResult): TemplateResult {
    return html`<div part="notice" class="notice" role="status">
      <span>${text}</span>${action ?? nothing}
      ${onDismiss
        ? html`<button class="btn mini" aria-label=${this.#t()('dismiss')} title=${this.#t()('dismiss')} @click=${onDismiss}>
            ${icons.close()}</button>`
        : nothing}
    </div>`;
  }

  protected override render(): TemplateResult {
    const lang = this.#language();
    const t = translator(lang);
    const reg = this.#phone.registration;
    const calls = this.#phone.calls;
    const ringing = calls.filter(isRingingIn);
    const active = this.#activeCall();
    const extension = this.extension.trim();
    const domain = this.domain.trim();
    const aor = extension && domain ? `${extension}@${domain}` : '';
    const dtmf = active?.state === CallState.Established && this._keypad;
    const dial = !active || active.state === CallState.Held;
    const ended = this._lastEnded;
    const agent = this.#agent;
    // A virtual login has no phone here: no registration, no call controls.
    const virtual = !!agent.session?.virtual;
    if (agent.loginStep) {
      return html`<div part="base" class="base" dir=${isRtl(lang) ? 'rtl' : 'ltr'} lang=${lang}>
        ${this._configErrors.map((m) => this.#notice(t('configError', { message: m })))}
        ${this._error ? this.#notice(t('error', { message: this._error.message }), () => (this._error = undefined)) : nothing}
        ${renderLogin(agent, t, this.#loginHandlers)}
      </div>`;
    }
    return html`<div part="base" class="base" dir=${isRtl(lang) ? 'rtl' : 'ltr'} lang=${lang}>
      ${virtual ? nothing : renderHeader(aor, reg, this._settings, t, { register: () => this.#run(() => this.register(), 'TRANSPORT_ERROR'), toggleSettings: this.#toggleSettings })}
      ${renderTabBar(this.#tabs.role, this.#tabs.canPopOut, t, () => this.#run(() => this.popOut(), 'NOT_ALLOWED'))}
      ${agent.session ? renderAgentBar(agent, calls.length > 0, t, this.#agentHandlers) : nothing}
      ${agent.session && agent.forwarding.open ? renderForwarding(agent.forwarding, t, this.#forwardingHandlers) : nothing}
      ${reg === RegistrationState.ConnectionLost
        ? html`<div part="banner" class="banner" role="alert">${t('connectionLost')}<small>${t('reconnecting')}</small></div>`
        : nothing}
      ${this._configErrors.map((m) => this.#notice(t('configError', { message: m })))}
      ${this._error ? this.#notice(t('error', { message: this._error.message }), () => (this._error = undefined)) : nothing}
      ${this.#tones.blocked
        ? this.#notice(t('soundBlocked'), undefined, html`<button class="btn mini text" data-action="enable-sound" @click=${this.#enableSound}>${t('enableSound')}</button>`)
        : nothing}
      ${this._settings
        ? renderSettings(this._devices, this._audio, canChooseOutput(), t, {
            change: this.#changeDevice,
            close: this.#toggleSettings,
            test: () => this.#run(() => this.testAudio(), 'MEDIA_DENIED'),
          }, this._audioTest)
        : nothing}
      ${ringing.map((c) => renderIncoming(c, active !== undefined, t, this.#callHandlers))}
      ${active ? renderCurrentCall(active, this._now, this._keypad, t, this.#callHandlers) : nothing}
      ${renderQualityNotices(active, t)}
      ${this._micFallback && calls.length ? this.#notice(t('micFallback'), () => (this._micFallback = false)) : nothing}
      ${this.#renderTransfer(active, t)}
      ${this.#phone.parked.length ? renderParked(this.#phone.parked, t, (slot) => this.#run(() => this.retrieve(slot))) : nothing}
      ${calls.length >= 2 ? renderCallList(calls, active?.id, t, this.#callHandlers) : nothing}
      ${ended && !calls.length
        ? this.#notice(
            ended.local === false && ended.endCause === 'connection-lost' ? t('tabCallGone') : t('callEnded', { cause: t(`end.${ended.endCause ?? 'failed'}`) }),
            () => (this._lastEnded = undefined),
          )
        : nothing}
      ${dtmf
        ? renderDialpad('dtmf', this._dtmf, false, t, this.#dialHandlers)
        : dial && !virtual
          ? renderDialpad('dial', this._number, reg === RegistrationState.Registered, t, this.#dialHandlers)
          : nothing}
      ${dial && aor ? renderHistory(this.callHistory, this._history, lang, t, this.#historyHandlers) : nothing}
      <div class="sr" role="status" aria-live="assertive">${this._announce}</div>
    </div>`;
  }
}
