/**
 * What a host sets and styles on `<soft-phone>`: the reactive properties (their attributes, types,
 * defaults and documentation), the write-only password, and the styles with their CSS parts and
 * custom properties. custom-elements.json is generated from these declarations too. The element
 * (`SoftPhone`, soft-phone.component.ts) extends this class and holds the behaviour; the manifest
 * lists these members as the element's own (custom-elements-manifest.config.mjs).
 */
import { LitElement } from 'lit';
import type { CallPolicy } from '../core/call-policy.js';
import type { QualityThresholds } from '../core/call-quality.js';
import type { CallRecord } from '../core/call-history.js';
import type { CallInfo, IceServer, LinkedServer, ParkedCall, RegistrationState } from '../core/types.js';
import { logger } from '../logger.js';
import type { ProvisioningOptions } from '../provisioning/agent-session.js';
import type { TabRole } from '../tabs/protocol.js';
import type { Theme } from '../ui/palette.js';
import { agentStyles, historyStyles, transferStyles } from '../ui/part-styles.js';
import { qualityStyles } from '../ui/quality.js';
import { styles } from '../soft-phone.styles.js';
import { autoRegisterConverter, switchConverter, type EngineOptions, type PasswordSlot } from './config.js';
import type { Shortcuts } from './shortcuts.js';

/** Where the read-only properties come from (soft-phone.component.ts gives its controllers). */
export interface Readout {
  readonly phone: { readonly state: { readonly registration: RegistrationState; readonly calls: readonly CallInfo[]; readonly parked: readonly ParkedCall[] } };
  readonly history: { readonly list: readonly CallRecord[] };
  readonly tabs: { readonly role: TabRole };
  readonly agent: { readonly status: string };
}

// Built at run time so the manifest analyzer does not list it as a documented attribute.
const PASSWORD_ATTRIBUTE = ['pass', 'word'].join('');

/**
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
 * @cssproperty [--soft-phone-background=light-dark(#ffffff, #0d1117)] - Background.
 * @cssproperty [--soft-phone-color=light-dark(#1f2328, #e6edf3)] - Text color.
 * @cssproperty [--soft-phone-muted-color=light-dark(#59636e, #9198a1)] - Secondary text.
 * @cssproperty [--soft-phone-border-color=light-dark(#d1d9e0, #3d444d)] - Borders, call quality bars.
 * @cssproperty [--soft-phone-field-border-color=light-dark(#818b98, #656c76)] - Outline of text fields and menus (3:1 against the background).
 * @cssproperty [--soft-phone-surface=light-dark(#f6f8fa, #151b23)] - Cards and keys.
 * @cssproperty [--soft-phone-success=light-dark(#1a7f37, #3fb950)] - Answer / call buttons, registered dot, good call quality.
 * @cssproperty [--soft-phone-danger=light-dark(#cf222e, #f85149)] - Hang up / decline buttons, lost-connection banner, missed calls.
 * @cssproperty [--soft-phone-warning=light-dark(#9a6700, #d29922)] - Registering dot.
 * @cssproperty [--soft-phone-idle=light-dark(#8c959f, #6e7681)] - Unregistered dot.
 * @cssproperty [--soft-phone-on-accent=light-dark(#ffffff, #0d1117)] - Text on success / danger buttons and the banner.
 * @cssproperty [--soft-phone-warning-background=light-dark(#fff1e5, #2d1b0e)] - Notices.
 * @cssproperty [--soft-phone-warning-color=light-dark(#953800, #f0883e)] - Notice text.
 * @cssproperty [--soft-phone-focus-ring=light-dark(#0969da, #4493f8)] - Keyboard focus outline.
 * @cssproperty [--soft-phone-radius=8px] - Corner radius.
 */
export abstract class SoftPhoneProperties extends LitElement {
  static override styles = [styles, historyStyles, agentStyles, transferStyles, qualityStyles];
  /** Focus given to the element goes to its first control (Tab order, a click on the host). */
  static override shadowRootOptions: ShadowRootInit = { ...LitElement.shadowRootOptions, delegatesFocus: true };

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
    shortcuts: { converter: switchConverter(false) },
    tabSharing: { attribute: 'tab-sharing' },
    popOutUrl: { attribute: 'pop-out-url' },
    unloadWarning: { attribute: 'unload-warning' },
    theme: {},
  };

  static {
    this.createProperty('engineOptions', { attribute: false });
    this.createProperty('provisioningOptions', { attribute: false });
  }

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
   * Keyboard shortcuts anywhere in the page, off by default. `true` (or the bare `shortcuts`
   * attribute): answer `Alt+Shift+A`, hang up `Alt+Shift+H`, mute/unmute `Alt+Shift+M`, hold/resume
   * `Alt+Shift+P`, focus the dialpad `Alt+Shift+D`; an object sets the keys of the actions it names
   * (`{ answer: 'F2', hangup: 'Ctrl+F4' }`). A bad value is an `INVALID_CONFIG` error naming it.
   * @type {boolean | Partial<Record<'answer' | 'hangup' | 'mute' | 'hold' | 'dialpad', string>>}
   */
  shortcuts: boolean | Shortcuts = false;
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
  /**
   * Color scheme: `auto` (default) follows the system's `prefers-color-scheme`, `light` and `dark`
   * force one. A bad value is an `INVALID_CONFIG` error naming it (the phone then follows the system).
   * @type {'auto' | 'light' | 'dark'}
   */
  theme: Theme = 'auto';

  #password: PasswordSlot = { text: '', version: 0 };

  // Observed only to catch (and drop) a password set as an attribute; not a documented attribute.
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, PASSWORD_ATTRIBUTE];
  }

  constructor() {
    super();
    // A password set on the element before this class upgraded it sits in an own property that
    // would hide the setter (and could be read back): move it into the slot (nothing is connected yet).
    if (Object.prototype.hasOwnProperty.call(this, 'password')) {
      const value = (this as { password?: string }).password;
      delete (this as { password?: string }).password;
      this.#storePassword(value);
    }
  }

  /**
   * The SIP password. Write-only: reading it gives `undefined`, never the secret.
   * @type {string | undefined}
   */
  set password(value: string | undefined) {
    if (this.#storePassword(value)) this.passwordChanged();
  }
  get password(): string | undefined {
    return undefined;
  }

  /**
   * Registration state, reflected as the `registration-state` attribute.
   * @readonly
   */
  get registrationState(): RegistrationState {
    return this.readout.phone.state.registration;
  }

  /**
   * Snapshots of the live calls, oldest first.
   * @readonly
   */
  get calls(): readonly CallInfo[] {
    return this.readout.phone.state.calls;
  }

  /**
   * Calls parked from this phone.
   * @readonly
   */
  get parkedCalls(): readonly ParkedCall[] {
    return this.readout.phone.state.parked;
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
    return this.readout.history.list;
  }

  /**
   * This tab's part in a phone shared by tabs: `leader` (holds the SIP connection and the calls'
   * media), `follower` (shows the leader's phone and acts through it) or `alone` (sharing off, or
   * not configured yet). Reflected as the `tab-role` attribute.
   * @readonly
   */
  get tabRole(): TabRole {
    return this.readout.tabs.role;
  }

  /**
   * The agent status; `'available'` when no provisioning is used.
   * @readonly
   */
  get status(): string {
    return this.readout.agent.status;
  }

  /** What the read-only properties read: the element's controllers. */
  protected abstract readonly readout: Readout;

  /** The password as set, for the engine configuration; never public. */
  protected get passwordSlot(): PasswordSlot {
    return this.#password;
  }

  /** Called after the password changed (not for one set before the element upgraded). */
  protected passwordChanged(): void {}

  #storePassword(value: string | undefined): boolean {
    const next = value === undefined || value === null ? '' : String(value);
    if (next === this.#password.text) return false;
    logger.addSecret(next);
    this.#password = { text: next, version: this.#password.version + 1 };
    return true;
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
}
