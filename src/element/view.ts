/**
 * What the agent sees and does: the element's UI state (the number being typed, the keypad, the
 * transfer panel, the last failure, the last call's end, the announcement), the handlers of every
 * button, and the composition of the parts in `src/ui/`. Actions go through the element's public
 * methods, so the UI and the host page take the same road.
 */
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { canChooseOutput } from '../audio/devices.js';
import { blockReason, describeOperations, stateBlockReason } from '../core/call-policy.js';
import { formatRemote } from '../core/dial-plan.js';
import { requireCall } from '../core/guards.js';
import { CallState, isConnected, isRingingIn, RegistrationState, type CallInfo } from '../core/types.js';
import { toSoftPhoneError, type ErrorCode, type SoftPhoneError } from '../errors.js';
import { emit } from '../events.js';
import type { Language, Translate } from '../i18n/index.js';
import { logger } from '../logger.js';
import type { SoftPhone } from '../soft-phone.component.js';
import type { AgentBarHandlers } from '../ui/agent-status.js';
import { renderCallList, renderCurrentCall, renderIncoming, type CallAction, type CallHandlers } from '../ui/calls.js';
import { renderDialpad, type DialpadHandlers } from '../ui/dialpad.js';
import type { ForwardingHandlers } from '../ui/forwarding.js';
import { renderHeader } from '../ui/header.js';
import { renderHistory, type HistoryHandlers } from '../ui/history.js';
import type { LoginHandlers } from '../ui/login.js';
import { renderNotice } from '../ui/notice.js';
import { renderParked } from '../ui/parked.js';
import { renderQualityNotices } from '../ui/quality.js';
import { renderSettings } from '../ui/settings.js';
import type { TransferAction, TransferHandlers } from '../ui/transfer.js';
import type { AgentController } from './agent-controller.js';
import type { AudioController } from './audio-controller.js';
import type { PhoneConfig } from './config.js';
import type { LocalizeController } from './localize.js';
import type { PhoneController } from './phone-controller.js';
import type { LazyParts, PartName } from './parts.js';
import type { PhoneOutcome } from './phone-events.js';
import type { ShortcutAction } from './shortcuts.js';
import type { TabController } from '../tabs/tab-controller.js';
import { renderTabBar } from '../ui/tabs.js';

/** The element's parts the view reads. */
export interface ViewParts {
  phone: PhoneController;
  agent: AgentController;
  parts: LazyParts;
  audio: AudioController;
  localize: LocalizeController;
  config: PhoneConfig;
  tabs: TabController;
}

interface UiState {
  number: string;
  dtmf: string;
  keypad: boolean;
  xferOpen: boolean;
  xferTarget: string;
  history: boolean;
  micFallback: boolean;
  announce: string;
  error: SoftPhoneError | undefined;
  configErrors: readonly string[];
  lastEnded: CallInfo | undefined;
}

const FRESH: UiState = {
  number: '', dtmf: '', keypad: false, xferOpen: false, xferTarget: '', history: false, micFallback: false,
  announce: '', error: undefined, configErrors: [], lastEnded: undefined,
};

export class PhoneView {
  readonly #el: SoftPhone & ReactiveControllerHost;
  readonly #p: ViewParts;
  #s: UiState = { ...FRESH };

  constructor(el: SoftPhone & ReactiveControllerHost, parts: ViewParts) {
    this.#el = el;
    this.#p = parts;
  }

  #set(patch: Partial<UiState>): void {
    this.#s = { ...this.#s, ...patch };
    this.#el.requestUpdate();
  }

  /** A fresh connection: nothing of the last one's calls is shown (a typed number and errors stay). */
  reset(): void {
    this.#set({ micFallback: false, announce: '', lastEnded: undefined });
  }

  /** The configuration errors now; each new set is logged and fired as `softphone-error` once. */
  configErrors(errors: readonly SoftPhoneError[]): void {
    const messages = errors.map((e) => e.message);
    if (messages.join('\n') === this.#s.configErrors.join('\n')) return;
    this.#set({ configErrors: messages });
    for (const e of errors) {
      logger.warn(e.message);
      emit(this.#el, 'softphone-error', e.toJSON());
    }
  }

  /** What a change of the phone's state means for the UI. */
  apply(out: PhoneOutcome): void {
    const patch: Partial<UiState> = {};
    if (out.lastEnded !== undefined) patch.lastEnded = out.lastEnded ?? undefined;
    if (out.announce !== undefined) patch.announce = out.announce ? this.#announcement(out.announce) : '';
    if (out.micFallback) patch.micFallback = true;
    if (out.idle) Object.assign(patch, { keypad: false, dtmf: '', micFallback: false });
    this.#s = { ...this.#s, ...patch };
  }

  #announcement(call: CallInfo): string {
    const number = formatRemote(call.remote);
    return this.#p.localize.t('incomingFrom', { caller: call.remote.displayName ? `${call.remote.displayName} (${number})` : number });
  }

  /** Reports a failure of an action the agent started in the UI. */
  report(e: unknown, fallback: ErrorCode): void {
    const error = toSoftPhoneError(e, fallback);
    this.#set({ error });
    logger.warn(error.message);
    emit(this.#el, 'softphone-error', error.toJSON());
  }

  #run(work: () => Promise<unknown>, fallback: ErrorCode = 'CALL_FAILED'): void {
    this.#set({ error: undefined });
    work().catch((e: unknown) => this.report(e, fallback));
  }

  /** Provisioning actions from the UI: the login step and the panels show their own failures. */
  #agentRun(work: () => Promise<unknown>): void {
    this.#set({ error: undefined });
    work().catch((e: unknown) => {
      const error = toSoftPhoneError(e, 'PROVISIONING_ERROR');
      if (!['PROVISIONING_ERROR', 'NO_FREE_NUMBER', 'INVALID_CONFIG'].includes(error.code)) this.#set({ error });
      logger.warn(error.message);
      emit(this.#el, 'softphone-error', error.toJSON());
    });
  }

  /** The call the in-call card shows: the current call, unless it is only ringing at us. */
  activeCall(): CallInfo | undefined {
    const calls = this.#p.phone.state.calls.filter((c) => !isRingingIn(c));
    if (!calls.length) return undefined;
    try {
      return requireCall(calls, undefined, 'hangup');
    } catch {
      return undefined;
    }
  }

  #focus(selector: string): void {
    void this.#el.updateComplete.then(() => this.#el.renderRoot.querySelector<HTMLElement>(selector)?.focus());
  }

  /** A keyboard shortcut: the same road as the buttons. */
  shortcut(action: ShortcutAction): void {
    if (action === 'dialpad') return this.#focus('[part=dialpad] input');
    const call = this.activeCall();
    const work = {
      answer: () => this.#el.answer(),
      hangup: () => this.#el.hangup(),
      mute: () => (call?.muted ? this.#el.unmute() : this.#el.mute()),
      hold: () => (call?.state === CallState.Held ? this.#el.unhold() : this.#el.hold()),
    }[action];
    this.#run(work);
  }

  readonly #calls: CallHandlers = {
    act: (action: CallAction, id: string) => {
      if (action === 'switch') {
        this.#run(async () => {
          const up = this.#p.phone.state.calls.find((c) => c.id !== id && c.state === CallState.Established);
          if (up) await this.#el.hold(up.id);
          await this.#el.unhold(id);
        });
        return;
      }
      this.#run(() => this.#el[action](id));
    },
    toggleKeypad: () => this.#set({ keypad: !this.#s.keypad, dtmf: '' }),
  };

  readonly #dial: DialpadHandlers = {
    key: (k: string) => {
      const current = this.activeCall();
      if (current && current.state === CallState.Established && this.#s.keypad) {
        this.#set({ dtmf: this.#s.dtmf + k });
        this.#run(() => this.#el.sendDtmf(k, current.id));
      } else {
        this.#set({ number: this.#s.number + k });
      }
    },
    input: (value: string) => this.#set({ number: value }),
    backspace: () => this.#set({ number: this.#s.number.slice(0, -1) }),
    call: () => {
      const number = this.#s.number.trim();
      if (!number) return;
      this.#run(async () => {
        await this.#el.call(number);
        this.#set({ number: '' });
      });
    },
  };

  readonly #history: HistoryHandlers = {
    toggle: () => this.#set({ history: !this.#s.history }),
    use: (number: string) => {
      this.#set({ number });
      this.#focus('input[type=tel]');
    },
    call: (number: string) => this.#run(() => this.#el.call(number)),
    clear: () => this.#run(() => this.#el.clearCallHistory()),
  };

  #dismissAgentError = (): void => {
    const session = this.#p.agent.session;
    if (session) session.error = undefined;
    this.#el.requestUpdate();
  };

  /** The agent session's own actions (the element's methods cover the rest). */
  #agentDo(work: (session: NonNullable<AgentController['session']>) => Promise<unknown>): void {
    // At once when the session is here (it is whenever its UI shows), so a click acts before the next render.
    const session = this.#p.agent.session;
    this.#agentRun(() => (session ? work(session) : this.#p.agent.ready().then(work)));
  }

  readonly #login: LoginHandlers = {
    login: (number) =>
      this.#agentRun(async () => {
        await this.#el.login(number);
        // The chosen button is gone: keyboard users continue at the status menu.
        this.#focus('[part=agent] select');
      }),
    retry: () => this.#agentDo((a) => a.load()),
    dismiss: this.#dismissAgentError,
  };

  readonly #agentBar: AgentBarHandlers = {
    setStatus: (status) => this.#agentRun(() => this.#el.setStatus(status)),
    toggleForwarding: () => this.#agentDo((a) => a.forwarding.toggle()),
    logout: () => this.#agentRun(() => this.#el.logout()),
    dismiss: this.#dismissAgentError,
  };

  readonly #forwarding: ForwardingHandlers = {
    edit: (field, value) => this.#p.agent.session?.forwarding.edit(field, value),
    save: () => this.#agentDo((a) => a.forwarding.save()),
    retry: () => this.#agentDo((a) => a.forwarding.load()),
    close: () => this.#agentDo((a) => a.forwarding.toggle()),
    dismiss: () => {
      const session = this.#p.agent.session;
      if (session) session.forwarding.error = undefined;
      this.#el.requestUpdate();
    },
  };

  readonly #transfer: TransferHandlers = {
    toggle: () => this.#set({ xferOpen: !this.#s.xferOpen }),
    input: (value: string) => this.#set({ xferTarget: value }),
    act: (action: TransferAction) => {
      const id = this.activeCall()?.id;
      if (action === 'park') this.#run(() => this.#el.park(id), 'PARK_FAILED');
      else if (action === 'complete') this.#run(() => this.#el.completeTransfer(), 'TRANSFER_FAILED');
      else if (action === 'cancel') this.#run(() => this.#el.cancelTransfer(), 'TRANSFER_FAILED');
      else {
        this.#run(async () => {
          await this.#el.transfer(this.#s.xferTarget.trim(), { mode: action }, id);
          this.#set({ xferTarget: '', xferOpen: false });
        }, 'TRANSFER_FAILED');
      }
    },
  };

  #enableSound = (): void => {
    this.#run(async () => {
      await this.#p.audio.tones.unlock();
      await this.#p.phone.engine?.resumeAudio?.();
    });
  };

  /** The transfer panel shows under a connected call, also while a '*' transfer's consult call still rings (to cancel it). */
  #transferCall(): CallInfo | undefined {
    const active = this.activeCall();
    return active && (isConnected(active) || active.consultFor) ? active : undefined;
  }

  /** The parts that load on first use which the next render shows. */
  partsNeeded(): PartName[] {
    const names: PartName[] = [];
    if (this.#p.agent.wanted) names.push('provisioning');
    if (this.#s.history) names.push('history');
    if (this.#transferCall()) names.push('transfer');
    return names;
  }

  /** The transfer panel: what each button would do and why it is refused. */
  #renderTransfer(t: Translate): TemplateResult | typeof nothing {
    const active = this.#transferCall();
    const part = this.#p.parts.get('transfer');
    if (!active || !part) return nothing;
    const policy = this.#p.config.policy();
    const ops = describeOperations(active, policy);
    let pair: [CallInfo, CallInfo] | undefined;
    try {
      pair = this.#p.phone.state.calls.length >= 2 ? this.#p.phone.transferPair() : undefined;
    } catch {
      pair = undefined;
    }
    const complete = pair
      ? pair[1].consultFor === pair[0].id
        ? stateBlockReason(pair[0], 'unhold')
        : blockReason(pair[0], 'holdTransfer', policy)
      : undefined;
    const { xferOpen: open, xferTarget: target } = this.#s;
    const blocked = { blind: ops.blindTransfer, attended: ops.attendedTransfer, park: ops.park, ...(pair ? { complete } : {}) };
    return part.renderTransfer({ call: active, open, target, pair: pair !== undefined, blocked }, t, this.#transfer);
  }

  #renderHistory(lang: Language, t: Translate): TemplateResult {
    const list = this.#el.callHistory;
    const part = this.#s.history ? this.#p.parts.get('history') : undefined;
    return renderHistory(list.length, this.#s.history, t, this.#history, part?.renderHistoryList(list, lang, t, this.#history));
  }

  /** The notices every screen starts with: configuration errors and the last failed action. */
  #errors(t: Translate): TemplateResult[] {
    const s = this.#s;
    return [
      ...s.configErrors.map((m) => renderNotice(t('configError', { message: m }), t, { role: 'alert' })),
      ...(s.error ? [renderNotice(t('error', { message: s.error.message }), t, { role: 'alert', code: s.error.code, dismiss: () => this.#set({ error: undefined }) })] : []),
    ];
  }

  render(): TemplateResult {
    const { localize, audio, phone, parts } = this.#p;
    const prov = this.#p.agent.wanted ? parts.get('provisioning') : undefined;
    const agent = prov ? this.#p.agent.session : undefined;
    const { language: lang, dir, t } = localize;
    const s = this.#s;
    const reg = phone.state.registration;
    const calls = phone.state.calls;
    const active = this.activeCall();
    const aor = this.#p.config.aor();
    const dtmf = active?.state === CallState.Established && s.keypad;
    const dial = !active || active.state === CallState.Held;
    // A virtual login has no phone here: no registration, no call controls.
    const virtual = !!agent?.session?.virtual;
    if (prov && agent?.loginStep) {
      return html`<div part="base" class="base" dir=${dir} lang=${lang} data-theme=${this.#el.theme}>${this.#errors(t)}${prov.renderLogin(agent, t, this.#login)}</div>`;
    }
    const run = (work: () => Promise<unknown>, fallback?: ErrorCode) => () => this.#run(work, fallback);
    return html`<div part="base" class="base" dir=${dir} lang=${lang} data-theme=${this.#el.theme}>
      ${virtual ? nothing : renderHeader(aor, reg, audio.settingsOpen, t, { register: run(() => this.#el.register(), 'TRANSPORT_ERROR'), toggleSettings: audio.toggleSettings })}
      ${renderTabBar(this.#p.tabs.role, this.#p.tabs.canPopOut, t, run(() => this.#el.popOut(), 'NOT_ALLOWED'))}
      ${prov && agent?.session ? prov.renderAgentBar(agent, calls.length > 0, t, this.#agentBar) : nothing}
      ${prov && agent?.session && agent.forwarding.open ? prov.renderForwarding(agent.forwarding, t, this.#forwarding) : nothing}
      ${reg === RegistrationState.ConnectionLost
        ? html`<div part="banner" class="banner" role="alert">${t('connectionLost')}<small>${t('reconnecting')}</small></div>`
        : nothing}
      ${this.#errors(t)}
      ${audio.tones.blocked
        ? renderNotice(t('soundBlocked'), t, { action: html`<button class="btn mini text" data-action="enable-sound" @click=${this.#enableSound}>${t('enableSound')}</button>` })
        : nothing}
      ${audio.settingsOpen
        ? renderSettings(audio.devices, audio.prefs, canChooseOutput(), t, {
            change: audio.changeDevice,
            close: audio.toggleSettings,
            test: run(() => this.#el.testAudio(), 'MEDIA_DENIED'),
          }, audio.test)
        : nothing}
      ${calls.filter(isRingingIn).map((c) => renderIncoming(c, active !== undefined, t, this.#calls))}
      ${active ? renderCurrentCall(active, audio.now, s.keypad, t, this.#calls) : nothing}
      ${renderQualityNotices(active, t)}
      ${s.micFallback && calls.length ? renderNotice(t('micFallback'), t, { dismiss: () => this.#set({ micFallback: false }) }) : nothing}
      ${this.#renderTransfer(t)}
      ${phone.state.parked.length ? renderParked(phone.state.parked, t, (slot) => this.#run(() => this.#el.retrieve(slot))) : nothing}
      ${calls.length >= 2 ? renderCallList(calls, active?.id, t, this.#calls) : nothing}
      ${s.lastEnded && !calls.length
        ? renderNotice(endedText(s.lastEnded, t), t, { dismiss: () => this.#set({ lastEnded: undefined }) })
        : nothing}
      ${dtmf
        ? renderDialpad('dtmf', s.dtmf, false, t, this.#dial)
        : dial && !virtual
          ? renderDialpad('dial', s.number, reg === RegistrationState.Registered, t, this.#dial)
          : nothing}
      ${dial && aor ? this.#renderHistory(lang, t) : nothing}
      <div class="sr" role="status" aria-live="assertive">${s.announce}</div>
    </div>`;
  }
}

/** Why the last call ended; in a tab that shares another tab's phone, a call lost with that tab says so. */
function endedText(call: CallInfo, t: Translate): string {
  if (call.local === false && call.endCause === 'connection-lost') return t('tabCallGone');
  return t('callEnded', { cause: t(`end.${call.endCause ?? 'failed'}`) });
}
