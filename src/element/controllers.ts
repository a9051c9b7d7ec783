/**
 * The element's controllers, wired to each other and to the element: the configuration, the phone
 * (the engine's life and guards), state changes to DOM events, the call history, sounds and devices,
 * localization, tab sharing, keyboard shortcuts and the view. The element (soft-phone.component.ts)
 * keeps what this returns and calls into it from its public methods and its lifecycle.
 */
import type { EngineFactory } from '../core/engine.js';
import { emit } from '../events.js';
import type { SoftPhone } from '../soft-phone.component.js';
import { TabController } from '../tabs/tab-controller.js';
import type { AgentController } from './agent-controller.js';
import { AudioController } from './audio-controller.js';
import { PhoneConfig, type PasswordSlot } from './config.js';
import { CallHistoryStore } from './history-store.js';
import { LocalizeController } from './localize.js';
import type { LazyParts } from './parts.js';
import { PhoneController } from './phone-controller.js';
import { PhoneEvents } from './phone-events.js';
import { ShortcutController } from './shortcuts.js';
import { PhoneView } from './view.js';

export interface WiringOptions {
  /** The lazily loaded parts, shared with the agent session. */
  parts: LazyParts;
  agent: AgentController;
  /** The password as the host set it. */
  password: () => PasswordSlot;
  /** The engine factory in force (a static of the element class). */
  engineFactory: () => EngineFactory | undefined;
}

export interface Controllers {
  readonly agent: AgentController;
  readonly config: PhoneConfig;
  readonly history: CallHistoryStore;
  readonly localize: LocalizeController;
  readonly audio: AudioController;
  readonly phone: PhoneController;
  readonly tabs: TabController;
  readonly view: PhoneView;
  /** The element was added to a document: events start afresh (nothing of a removed phone leaks in). */
  connected(): void;
  /** Reflects the registration state and the tab role as the `registration-state` and `tab-role` attributes. */
  reflectState(): void;
}

export function wireControllers(el: SoftPhone, { parts, agent, password, engineFactory }: WiringOptions): Controllers {
  const config = new PhoneConfig(el);
  let events = new PhoneEvents();
  const history = new CallHistoryStore(() => el);
  const localize = new LocalizeController(el, () => el.lang);
  const audio = new AudioController(el, () => phone.scheduleApply());
  const reflectState = (): void => {
    const reg = phone.state.registration;
    if (el.getAttribute('registration-state') !== reg) el.setAttribute('registration-state', reg);
    if (el.getAttribute('tab-role') !== tabs.role) el.setAttribute('tab-role', tabs.role);
  };
  const phone: PhoneController = new PhoneController(el, {
    config,
    // With tab sharing, the tab controller decides whether this tab runs the engine or follows another tab's.
    factory: () => {
      const factory = engineFactory();
      return factory && ((state) => tabs.engine(factory, state));
    },
    password,
    audio: () => audio.prefs,
    // With provisioning, only a softphone session registers (also again when the element is re-added).
    mayAutoRegister: () => el.autoRegister && (!el.provisioningUrl || agent.registers),
    checkConfig: () => view.configErrors(config.errors([() => agent.check(), () => shortcuts.table()])),
    changed: (change) => {
      const state = phone.state;
      const out = events.next(change, {
        registration: state.registration,
        calls: state.calls,
        firstServer: config.firstServer(),
        aor: `${el.extension.trim()}@${el.domain.trim()}`,
        expires: el.expires,
      });
      view.apply(out);
      for (const { name, detail } of out.events) emit(el, name, detail);
      if (out.record) history.remember(out.record.call, out.record.quality);
      if (out.registered) audio.warmSoon();
      if (change.kind === 'quality') {
        if (out.render) el.requestUpdate();
        return;
      }
      if (change.kind === 'call') agent.callsChanged(state.calls);
      audio.sync(state.calls);
      el.requestUpdate();
      reflectState();
    },
    reconnectReason: (id) => events.reconnectReason(id),
    report: (e, fallback) => view.report(e, fallback),
  });
  const tabs: TabController = new TabController(el, {
    roleChanged: (role) => {
      reflectState();
      emit(el, 'softphone-tab-role', { role });
      el.requestUpdate();
    },
    problem: (error) => view.report(error, 'AUTH_FAILED'),
    state: () => phone.state,
    renew: () => agent.renew((password) => (el.password = password)),
  });
  const shortcuts = new ShortcutController(el, () => el.shortcuts, (action) => view.shortcut(action));
  const view: PhoneView = new PhoneView(el, { phone, agent, parts, audio, localize, config, tabs });
  return {
    agent,
    config,
    history,
    localize,
    audio,
    phone,
    tabs,
    view,
    connected: () => {
      events = new PhoneEvents();
      view.reset();
      reflectState();
    },
    reflectState,
  };
}
