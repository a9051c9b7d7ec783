/**
 * Taking calls: an INVITE that arrives (refused before it rings when we could never answer it),
 * a parked call coming back, an INVITE with Replaces that takes over one of our calls at once,
 * and answering or declining a ringing call.
 */
import { Invitation, SessionState } from 'sip.js';
import type { EngineConfig } from '../core/engine.js';
import type { PhoneState } from '../core/phone-state.js';
import { CallState, type CallInfo } from '../core/types.js';
import { SoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';
import type { CallControls } from './call-controls.js';
import { classifyParty, isMediaDenied, mediaOptions, newCallId, type CallContext } from './call-record.js';
import type { CallTable } from './call-table.js';
import { unpark, type CallWatcher } from './call-watch.js';
import { refuseFlood, refuseOffer } from './offer-check.js';
import { ALLOW_UPDATE } from './pbx-interop.js';
import { referredByUser } from './transfer.js';

type NewCall = Omit<CallInfo, 'state' | 'startedAt' | 'muted' | 'held' | 'warnings' | 'reconnecting' | 'local'>;

export class IncomingCalls {
  readonly #calls: CallTable;
  readonly #state: PhoneState;
  readonly #config: () => EngineConfig | undefined;
  readonly #controls: CallControls;
  readonly #watcher: CallWatcher;

  constructor(calls: CallTable, state: PhoneState, config: () => EngineConfig | undefined, controls: CallControls, watcher: CallWatcher) {
    this.#calls = calls;
    this.#state = state;
    this.#config = config;
    this.#controls = controls;
    this.#watcher = watcher;
  }

  incoming(invitation: Invitation): void {
    // An offer we could never answer, or one call too many, is refused before anything rings.
    const request = invitation.request;
    const refusal = refuseOffer(request.body || undefined, request.getHeader('Content-Type')) ?? refuseFlood(this.#calls.size);
    if (refusal) {
      logger.warn(`refused an incoming call with ${refusal.statusCode}: ${refusal.why}`);
      invitation.reject({ statusCode: refusal.statusCode, reasonPhrase: refusal.reasonPhrase }).catch((error: unknown) => logger.debug('refusal not sent:', error));
      return;
    }
    // 180 so the caller hears ringback, first thing. The only one: SIP.js's automatic 180 is off
    // (see the connection), as SIP.js skips it when the caller requires 100rel.
    invitation.progress().catch((error: unknown) => logger.debug('180 Ringing not sent:', error));
    const identity = invitation.remoteIdentity;
    const config = this.#config();
    // A parked call coming back from the orbit: show the parked caller, named after the slot.
    const slot = request.getHeader('X-Park-Slot');
    const parkedCaller = slot ? request.getHeader('X-Park-Caller') : undefined;
    const remote = parkedCaller
      ? classifyParty(config, parkedCaller, identity.displayName || `Park ${slot}`)
      : classifyParty(config, identity.uri.user ?? '', identity.displayName || undefined, identity.uri.host);
    const by = referredByUser(request.getHeader('Referred-By'));
    const transferredBy = by ? classifyParty(config, by).number : undefined;
    const ctx: CallContext = { id: newCallId(), session: invitation, ended: false };
    this.#calls.add(ctx);
    invitation.delegate = {
      ...invitation.delegate,
      onCancel: () => {
        ctx.endCause ??= 'remote-hangup';
      },
    };
    this.#watcher.watch(ctx);
    if (slot) {
      invitation.stateChange.addListener((s) => {
        if (s === SessionState.Established) unpark(this.#state, slot);
      });
    }
    const call = { id: ctx.id, direction: 'inbound', remote, ...(transferredBy ? { transferredBy } : {}) } as const;
    const replaced = [...this.#calls.values()].find((c) => c.session === invitation.replacee && !c.ended);
    if (replaced) {
      // INVITE with Replaces (the other end of an attended transfer): it takes the place of a call
      // we already have, so it is answered at once and never rings.
      void this.#replace(ctx, replaced, call);
      return;
    }
    this.#state.addCall({ ...call, state: CallState.Ringing });
  }

  async #replace(ctx: CallContext, replaced: CallContext, call: NewCall): Promise<void> {
    const invitation = ctx.session as Invitation;
    replaced.endCause = 'replaced';
    await this.#controls.holdOthers([ctx.id, replaced.id]);
    try {
      // SIP.js ends the replaced call (BYE) once this one is accepted.
      await invitation.accept({ extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: mediaOptions(this.#config()) });
      if (!ctx.ended) this.#state.addCall({ ...call, state: CallState.Established });
    } catch (error) {
      logger.warn('could not take over the replaced call:', error);
      delete replaced.endCause;
      if (invitation.state !== SessionState.Terminated) await invitation.reject({ statusCode: 500 }).catch(() => undefined);
      ctx.endCause = 'failed';
      this.#calls.finish(ctx);
    }
  }

  async answer(callId: string): Promise<void> {
    const ctx = this.#calls.require(callId);
    const session = ctx.session;
    if (!(session instanceof Invitation) || this.#calls.info(ctx).state !== CallState.Ringing) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${callId} is not ringing here`);
    }
    await this.#controls.holdOthers([ctx.id]);
    try {
      await session.accept({ extraHeaders: [ALLOW_UPDATE], sessionDescriptionHandlerOptions: mediaOptions(this.#config()) });
    } catch (error) {
      if (ctx.ended && ctx.endCause === 'remote-hangup') throw new SoftPhoneError('CALL_FAILED', `call ${callId} was hung up by the caller before it could be answered`);
      const denied = isMediaDenied(error);
      ctx.endCause ??= 'failed';
      if (session.state !== SessionState.Terminated) {
        await session.reject({ statusCode: denied ? 488 : 500 }).catch(() => undefined);
      }
      this.#calls.finish(ctx);
      throw new SoftPhoneError(denied ? 'MEDIA_DENIED' : 'CALL_FAILED', denied ? 'microphone access was denied' : `answer failed: ${String(error)}`);
    }
    // The caller's CANCEL won the race with our answer (SIP.js sent 487, not our 200): say so.
    if (session.state === SessionState.Terminated && this.#state.getCall(ctx.id)?.answeredAt === undefined) {
      throw new SoftPhoneError('CALL_FAILED', `call ${callId} was hung up by the caller before it could be answered`);
    }
  }

  async decline(callId: string): Promise<void> {
    const ctx = this.#calls.require(callId);
    const session = ctx.session;
    if (!(session instanceof Invitation) || session.state !== SessionState.Initial) {
      throw new SoftPhoneError('NOT_ALLOWED', `call ${callId} is not ringing here`);
    }
    ctx.endCause ??= 'declined';
    await session.reject({ statusCode: 603 }).catch((error: unknown) => logger.debug('603 not sent:', error));
    this.#calls.finish(ctx);
  }
}
