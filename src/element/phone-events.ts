/**
 * From a change of the phone's state to the DOM events it fires and what the UI does about it,
 * without a DOM: `PhoneEvents.next()` remembers what it needs across changes (the calls seen, the
 * established ones, each call's quality tally, a lost connection, reconnecting calls) and returns
 * the events in the order the element dispatches them.
 */
import { qualityBars, QualityTally, type QualitySummary } from '../core/call-quality.js';
import type { PhoneChange, PhoneNotice } from '../core/phone-state.js';
import { CallState, isRingingIn, RegistrationState, type CallInfo, type ReconnectReason } from '../core/types.js';
import type { SoftPhoneEventMap, SoftPhoneEventName } from '../events.js';

/** The text of `softphone-connection-lost` (the UI shows it in the element's language). */
export const CONNECTION_LOST_MESSAGE = 'SIP phone has lost connection with the system';

/** One event to fire: its name and its detail, typed by the event map. */
export type PhoneEvent = { [K in SoftPhoneEventName]: { name: K; detail: SoftPhoneEventMap[K] } }[SoftPhoneEventName];

/** What the element knows that the change does not carry. */
export interface EventContext {
  /** The phone's registration and live calls after the change. */
  registration: RegistrationState;
  calls: readonly CallInfo[];
  /** For registration events the engine did not fill in. */
  firstServer: string;
  aor: string;
  expires: number;
}

export interface PhoneOutcome {
  events: PhoneEvent[];
  /** The element re-renders. */
  render: boolean;
  /** A new call rings at us: announce it; `null`: nothing rings any more, clear the announcement. */
  announce?: CallInfo | null;
  /** The call whose end the UI shows; `null`: a new call began, forget the last one. */
  lastEnded?: CallInfo | null;
  /** The last call ended: the in-call UI (keypad, notices) resets. */
  idle?: boolean;
  /** The call's microphone was replaced by the default one. */
  micFallback?: boolean;
  /** An ended call for the history, with its quality. */
  record?: { call: CallInfo; quality?: QualitySummary };
  /** Registered: a good moment to warm up the ringtone's audio. */
  registered?: boolean;
}

export class PhoneEvents {
  #calls = new Map<string, CallInfo>();
  #established = new Set<string>();
  #tallies = new Map<string, QualityTally>();
  /** Calls now reconnecting, with what they lost. */
  #reconnecting = new Map<string, ReconnectReason>();
  #lostConnection = false;

  /** What a reconnecting call lost, while it reconnects. */
  reconnectReason(callId: string): ReconnectReason | undefined {
    return this.#reconnecting.get(callId);
  }

  next(change: PhoneChange, ctx: EventContext): PhoneOutcome {
    const out: PhoneOutcome = { events: [], render: true };
    if (change.kind === 'quality') this.#quality(change, out);
    else if (change.kind === 'registration') this.#registration(change, ctx, out);
    else if (change.kind === 'call') this.#call(change.call, ctx, out);
    else this.#notice(change.notice, ctx, out);
    return out;
  }

  #registration(change: Extract<PhoneChange, { kind: 'registration' }>, ctx: EventContext, out: PhoneOutcome): void {
    const { to, detail } = change;
    const server = detail.server ?? ctx.firstServer;
    const fire = out.events;
    switch (to) {
      case RegistrationState.Registering:
        fire.push({ name: 'softphone-registering', detail: { server } });
        break;
      case RegistrationState.Registered:
        fire.push({ name: 'softphone-registered', detail: { aor: detail.aor ?? ctx.aor, server, expires: detail.expires ?? ctx.expires } });
        if (this.#lostConnection) fire.push({ name: 'softphone-connection-restored', detail: { server } });
        this.#lostConnection = false;
        out.registered = true;
        break;
      case RegistrationState.Unregistered:
        this.#lostConnection = false;
        fire.push({ name: 'softphone-unregistered', detail: { reason: detail.reason ?? 'unregistered' } });
        break;
      case RegistrationState.ConnectionLost:
        this.#lostConnection = true;
        fire.push({ name: 'softphone-connection-lost', detail: { message: CONNECTION_LOST_MESSAGE } });
        break;
    }
  }

  #call(call: CallInfo, ctx: EventContext, out: PhoneOutcome): void {
    const fire = out.events;
    const prev = this.#calls.get(call.id);
    if (call.state === CallState.Ended) {
      this.#calls.delete(call.id);
      this.#reconnecting.delete(call.id);
    } else {
      this.#calls.set(call.id, call);
    }
    fire.push({ name: 'softphone-call-state', detail: { call } });
    if (!prev) {
      out.lastEnded = null;
      if (isRingingIn(call)) {
        out.announce = call;
        fire.push({ name: 'softphone-incoming-call', detail: { call } });
      }
    }
    if (call.state === CallState.Established && !this.#established.has(call.id)) {
      this.#established.add(call.id);
      fire.push({ name: 'softphone-call-established', detail: { call } });
    }
    // Cleared once nothing rings, so the next incoming call is announced even from the same caller.
    if (!ctx.calls.some(isRingingIn) && !isRingingIn(call)) out.announce = null;
    if (call.state !== CallState.Ended) {
      if (call.held && !prev?.held) fire.push({ name: 'softphone-call-held', detail: { call } });
      else if (!call.held && prev?.held) fire.push({ name: 'softphone-call-resumed', detail: { call } });
      return;
    }
    this.#established.delete(call.id);
    out.lastEnded = call;
    if (!ctx.calls.length) out.idle = true;
    const quality = this.#tallies.get(call.id)?.summary();
    this.#tallies.delete(call.id);
    fire.push({ name: 'softphone-call-ended', detail: { call, ...(quality ? { quality } : {}) } });
    out.record = { call, ...(quality ? { quality } : {}) };
  }

  /**
   * New quality figures: kept for the history; an event only when a warning starts or ends. The call
   * clock re-renders every second anyway (and the tooltip's figures with it): only a warning or a new
   * number of bars needs a render of its own.
   */
  #quality(change: Extract<PhoneChange, { kind: 'quality' }>, out: PhoneOutcome): void {
    const { call, started, ended } = change;
    const prev = this.#calls.get(call.id);
    out.render = false;
    if (!prev) return;
    this.#calls.set(call.id, call);
    let tally = this.#tallies.get(call.id);
    if (!tally) this.#tallies.set(call.id, (tally = new QualityTally()));
    tally.add(call.quality, call.warnings);
    if (started.length || ended.length) {
      out.events.push({ name: 'softphone-call-quality', detail: { call, warnings: [...call.warnings], started, ended } });
    }
    const bars = (c: CallInfo): number => (c.quality ? qualityBars(c.quality.mos) : 0);
    out.render = started.length > 0 || ended.length > 0 || bars(prev) !== bars(call);
  }

  #notice(notice: PhoneNotice, ctx: EventContext, out: PhoneOutcome): void {
    if (notice.type === 'call-reconnecting') this.#reconnecting.set(notice.call.id, notice.reason);
    else if (notice.type === 'call-reconnected') this.#reconnecting.delete(notice.call.id);
    if (notice.type === 'registering') {
      // Reconnect attempts while the connection is lost; the first attempt is the state change.
      if (ctx.registration === RegistrationState.ConnectionLost) out.events.push({ name: 'softphone-registering', detail: { server: notice.server } });
    } else if (notice.type === 'microphone-fallback') {
      out.micFallback = true;
    } else if (notice.type !== 'parked-changed') {
      // The other notices are events of the same name with the same fields.
      const { type, ...detail } = notice;
      out.events.push({ name: `softphone-${type}`, detail } as PhoneEvent);
    }
  }
}
