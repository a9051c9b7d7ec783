/**
 * Transfers and park, both ends. Ours: blind (REFER to a URI), attended (the caller waits on hold
 * while the agent consults the target, then REFER with Replaces), park (a blind REFER to the first
 * free orbit slot), each following the NOTIFYs to a final answer. Theirs: the far end refers us to
 * someone else, and we place that call.
 */
import { SessionState, UserAgent, type Inviter, type Referral, type Session, type URI } from 'sip.js';
import type { DialTarget, EngineConfig } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState, type CallInfo, type ParkedCall, type TransferMode } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import { requireReachable, type CallControls } from './call-controls.js';
import { classifyParty, confirmedByFarEnd, mediaOptions, type CallContext } from './call-record.js';
import type { CallTable } from './call-table.js';
import { ALLOW_UPDATE, notifyReferrerProperly } from './pbx-interop.js';
import { isBusyStatus, sipfragStatus, transferFailure, type ReferOutcome } from './transfer.js';

/** A transfer whose final NOTIFY never comes fails after this long (longer than a target may ring). */
const REFER_TIMEOUT_MS = 90_000;

/** The engine's own operations a transfer uses. */
export interface TransferHooks {
  /** Places a call as the agent would (the consult call of an attended transfer). */
  call(target: DialTarget): Promise<CallInfo>;
  hangup(callId: string): Promise<void>;
  /** Places the call a REFER asked for. */
  dial(inviter: Inviter, what: string, call: Pick<CallInfo, 'remote' | 'transferredBy'>): Promise<CallInfo>;
  /** The phone is registered (and not disposed): it can follow a REFER. */
  canDial(): boolean;
}

export class CallTransfers {
  readonly #calls: CallTable;
  readonly #state: PhoneState;
  readonly #config: () => EngineConfig | undefined;
  readonly #controls: CallControls;
  readonly #hooks: TransferHooks;

  constructor(calls: CallTable, state: PhoneState, config: () => EngineConfig | undefined, controls: CallControls, hooks: TransferHooks) {
    this.#calls = calls;
    this.#state = state;
    this.#config = config;
    this.#controls = controls;
    this.#hooks = hooks;
  }

  async transfer(callId: string, target: DialTarget, mode: TransferMode): Promise<CallInfo | void> {
    const ctx = this.#calls.require(callId);
    if (mode === 'attended') {
      // '*' transfer: the caller waits on hold while the agent talks to the target.
      if (this.#calls.info(ctx).state === CallState.Established) await this.#controls.setHeld(ctx, true);
      const consult = await this.#hooks.call(target);
      const consultCtx = this.#calls.get(consult.id);
      if (!consultCtx) return consult;
      consultCtx.consultFor = ctx.id;
      return this.#state.patchCall(consult.id, { consultFor: ctx.id });
    }
    const uri = UserAgent.makeURI(target.uri);
    if (!uri) throw new SoftPhoneError('INVALID_NUMBER', `not a transfer target: ${target.uri}`);
    const previous = this.#calls.info(ctx).state;
    const outcome = await this.#refer(ctx, uri, 'transferred');
    this.#settleTransfer([ctx], [previous], outcome, 'blind', target.remote.number);
  }

  async completeTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    const held = this.#calls.require(heldCallId);
    const consult = this.#calls.require(consultCallId);
    if (consult.session.state !== SessionState.Established || held.session.state !== SessionState.Established) {
      throw new SoftPhoneError('NOT_ALLOWED', `calls ${heldCallId} and ${consultCallId} must both be connected to be joined`);
    }
    const previous = [this.#calls.info(held).state, this.#calls.info(consult).state];
    const target = this.#calls.info(consult).remote.number;
    this.#calls.move(consult, CallState.Transferring);
    consult.referring = 'transferred';
    // REFER with Replaces: the held caller calls the target, replacing our consult call there.
    const outcome = await this.#refer(held, consult.session, 'transferred');
    this.#settleTransfer([held, consult], previous, outcome, 'attended', target);
  }

  async cancelTransfer(heldCallId: string, consultCallId: string): Promise<void> {
    const held = this.#calls.require(heldCallId);
    await this.#hooks.hangup(consultCallId);
    if (this.#calls.info(held).state === CallState.Held) await this.#controls.setHeld(held, false);
  }

  async park(callId: string, slots: readonly string[]): Promise<ParkedCall> {
    const ctx = this.#calls.require(callId);
    const domain = this.#config()?.domain ?? '';
    const previous = this.#calls.info(ctx).state;
    const remote = this.#calls.info(ctx).remote;
    let last: ReferOutcome = { ok: false, code: 486, reason: 'no park slot' };
    for (const slot of slots) {
      const uri = UserAgent.makeURI(`sip:${slot}@${domain}`);
      if (!uri) continue;
      last = await this.#refer(ctx, uri, 'parked');
      if (last.ok) {
        const parked: ParkedCall = { slot, remote, parkedAt: Date.now() };
        const call = this.#calls.handOver(ctx, 'parked');
        this.#state.setParked([...this.#state.parked.filter((p) => p.slot !== slot), parked]);
        if (call) this.#state.notify({ type: 'call-parked', call, slot });
        return parked;
      }
      // a slot that refuses is occupied: try the next one; anything else is not about the slot
      if (!isBusyStatus(last.code) || ctx.ended) break;
    }
    delete ctx.referring;
    if (!ctx.ended) this.#calls.move(ctx, previous);
    const why = isBusyStatus(last.code) ? `every park slot is busy (${slots.join(', ')})` : `${last.code} ${last.reason}`.trim();
    throw new SoftPhoneError('PARK_FAILED', `could not park call ${callId}: ${why}`);
  }

  /**
   * Sends a REFER on `ctx` (blind: a URI; attended: the consult session, which becomes
   * Refer-To with Replaces) and follows the NOTIFYs until a final answer. The call shows
   * `transferring` meanwhile. If the far end leaves after accepting the REFER, it went through.
   */
  #refer(ctx: CallContext, to: URI | Session, cause: 'transferred' | 'parked'): Promise<ReferOutcome> {
    requireReachable(ctx, cause === 'parked' ? 'park' : 'transfer');
    this.#calls.move(ctx, CallState.Transferring);
    ctx.referring = cause;
    const session = ctx.session;
    return new Promise<ReferOutcome>((resolve) => {
      let accepted = false;
      let settled = false;
      const done = (outcome: ReferOutcome): void => {
        settled = true;
        clearTimeout(timer);
        session.stateChange.removeListener(onState);
        resolve(outcome);
      };
      const timer = setTimeout(() => done({ ok: false, code: 408, reason: 'the transfer got no final answer' }), REFER_TIMEOUT_MS);
      const onState = (state: SessionState): void => {
        if (state === SessionState.Terminated) done(accepted ? { ok: true } : { ok: false, code: 487, reason: 'the call ended' });
      };
      session.stateChange.addListener(onState);
      const send = (): Promise<unknown> =>
        session.refer(to, {
          requestDelegate: {
            onAccept: () => (accepted = true),
            onReject: (response) => done(transferFailure(response.message.statusCode ?? 0, response.message.reasonPhrase ?? 'REFER refused')),
          },
          onNotify: (notification) => {
            notification.accept().catch(() => undefined);
            const status = sipfragStatus(notification.request.body ?? '');
            if (status && status.code >= 200) done(status.code < 300 ? { ok: true } : transferFailure(status.code, status.reason));
          },
        });
      void confirmedByFarEnd(ctx)
        .then(() => (settled ? undefined : send()))
        .catch((error: unknown) => done({ ok: false, code: 0, reason: error instanceof Error ? error.message : String(error) }));
    });
  }

  /** After a REFER: success ends the calls as transferred; failure puts them back as they were. */
  #settleTransfer(ctxs: CallContext[], previous: CallState[], outcome: ReferOutcome, mode: TransferMode, target: string): void {
    const [main] = ctxs;
    if (!main) return;
    if (outcome.ok) {
      const ended = ctxs.map((c) => this.#calls.handOver(c, 'transferred'));
      if (ended[0]) this.#state.notify({ type: 'transfer-completed', call: ended[0], mode, target });
      return;
    }
    ctxs.forEach((c, i) => {
      delete c.referring;
      if (!c.ended) this.#calls.move(c, previous[i] ?? CallState.Established);
    });
    const call = this.#state.getCall(main.id);
    const reason = outcome.reason || 'transfer failed';
    if (call) this.#state.notify({ type: 'transfer-failed', call, mode, target, code: String(outcome.code), reason });
    throw new SoftPhoneError('TRANSFER_FAILED', `transfer of call ${main.id} to ${target} failed: ${outcome.code} ${reason}`.trim());
  }

  // The other end of a transfer: the far end asks us (REFER) to call someone else. We place that
  // call (SIP.js adds Referred-By and, for an attended transfer, Replaces) and leave the old call
  // as transferred once the new one is up; if it fails, the old call simply goes on.
  followRefer(ctx: CallContext, referral: Referral): void {
    if (!this.#hooks.canDial()) {
      referral.reject({ statusCode: 480 }).catch(() => undefined);
      return;
    }
    let referTo;
    try {
      referTo = referral.referTo;
    } catch {
      referral.reject({ statusCode: 400 }).catch(() => undefined);
      return;
    }
    void referral.accept().then(async () => {
      const inviter = referral.makeInviter({ earlyMedia: true, extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: mediaOptions(this.#config()) });
      // SIP.js would say `terminated` in every NOTIFY: the referrer would never hear the outcome.
      notifyReferrerProperly(inviter);
      // An attended transfer refers to the target's WebSocket contact (a made-up user at an
      // .invalid host): the display name is then the number the agent dialed.
      const uri = referTo.uri;
      const user = /\.invalid$/i.test(uri.host) && referTo.displayName ? referTo.displayName : (uri.user ?? '');
      const by = this.#calls.info(ctx).remote.number;
      ctx.following = inviter;
      inviter.stateChange.addListener((state) => {
        if (state === SessionState.Established && !ctx.ended) this.#calls.handOver(ctx, 'transferred');
      });
      await this.#hooks.dial(inviter, uri.toString(), { remote: classifyParty(this.#config(), user, referTo.displayName || undefined), transferredBy: by });
    }).catch((error: unknown) => logger.warn('following a transfer failed:', error));
  }
}
