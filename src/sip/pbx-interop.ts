/**
 * Where SIP.js 0.21.2 falls short of PBX, desk-phone and carrier stacks, fixed around it (SIP.js
 * stays pinned; nothing in node_modules is edited). Each fix patches the narrowest point on our
 * own objects:
 *
 * - In-dialog UPDATE (RFC 3311), which carriers send without SDP as an RFC 4028 session refresh:
 *   SIP.js rejects every UPDATE with 405 before looking at the dialog (UPDATE is not in its
 *   allowed methods). `acceptInDialogUpdates()` wraps the request entry of our UserAgent's core
 *   and answers an UPDATE of one of our dialogs itself. Without SDP: 200 OK, the call left exactly
 *   as it is. With an SDP offer on an established call: applied exactly like a re-INVITE's offer
 *   (same options, so a call we hold stays held; the far end holding us shows as remoteHeld), the
 *   answer in the 200; refused as RFC 3311 section 5.2 says while another offer is pending (491 /
 *   500 with Retry-After), 488 if unacceptable or before the call is answered (the session then
 *   goes on as negotiated). Session-Expires is answered as RFC 4028 wants, and when that makes us
 *   the refresher we refresh with an UPDATE of our own. Our INVITEs and 200s list UPDATE in an
 *   extra `Allow` header (`ALLOW_UPDATE`).
 * - NOTIFYs about a REFER we follow: SIP.js sends each one with `Subscription-State: terminated`,
 *   so the referrer (a desk phone) ends the subscription on the first, answers the second 481 and
 *   never learns how the transfer ended. `notifyReferrerProperly()` replaces SIP.js's notifier on
 *   the call we place for the REFER: `100 Trying` at once, then each new provisional status with
 *   `active;expires=...`, the final status with `terminated;reason=noresource`, in order.
 */
import { Core, SessionState, Web, type Inviter, type Session, type UserAgent } from 'sip.js';
import { logger } from '../logger.js';
import { REFER_SUBSCRIPTION_S, referNotifyState, sessionTimerAnswer } from './session-timer.js';

/** Added to our INVITEs and 2xx answers: SIP.js's own Allow header cannot list UPDATE. */
export const ALLOW_UPDATE = 'Allow: UPDATE';

type IncomingRequestMessage = Core.IncomingRequestMessage;

interface CoreInternals {
  receiveRequest(message: IncomingRequestMessage): void;
}

interface DialogInternals {
  sequenceGuard(message: IncomingRequestMessage): boolean;
  dialogState: { remoteTarget: Core.URI };
}

interface SessionInternals {
  /** Our own re-INVITE (an offer) is under way. */
  pendingReinvite: boolean;
  setOfferAndGetAnswer(offer: Core.Body, options: { sessionDescriptionHandlerOptions?: object; sessionDescriptionHandlerModifiers?: unknown[] }): Promise<Core.Body>;
}

/**
 * A message SIP.js cannot take apart must not become an uncaught error in the CRM's page: SIP.js
 * 0.21.2 throws from its parser on, for example, a response whose CSeq it cannot read. Such a
 * message is dropped (and logged), as RFC 3261 section 16.3 has a proxy drop one; the phone carries on.
 */
export function dropUnparseableMessages(ua: UserAgent): void {
  const transport = ua.transport;
  const deliver = transport.onMessage;
  if (!deliver) return;
  transport.onMessage = (message: string) => {
    try {
      deliver(message);
    } catch (error) {
      logger.warn(`dropped a SIP message the SIP stack could not read (${String(error)}): ${message.split('\r\n', 1)[0]!.slice(0, 120)}`);
    }
  };
}

/** Per dialog: our pending session refresh (we are the refresher). */
const refreshTimers = new WeakMap<Core.Dialog, ReturnType<typeof setTimeout>>();

export function acceptInDialogUpdates(ua: UserAgent): void {
  const core = ua.userAgentCore;
  const internals = core as unknown as CoreInternals;
  const receive = internals.receiveRequest.bind(core);
  internals.receiveRequest = (message) => {
    if (message.method !== 'UPDATE') {
      receive(message);
      return;
    }
    const dialog = core.dialogs.get(message.callId + message.toTag + message.fromTag);
    if (!(dialog instanceof Core.SessionDialog)) {
      core.replyStateless(message, { statusCode: 481 });
      return;
    }
    // CSeq order as for any in-dialog request (an out-of-order one is answered 500 there).
    const internalDialog = dialog as unknown as DialogInternals;
    if (!internalDialog.sequenceGuard(message)) return;
    Core.Dialog.prototype.receiveRequest.call(dialog, message);
    // UPDATE is a target refresh request (RFC 3311 section 5.2), like a re-INVITE.
    const contact = message.parseHeader('contact') as unknown;
    if (contact instanceof Core.NameAddrHeader) internalDialog.dialogState.remoteTarget = contact.uri;
    const uas = new Core.UserAgentServer(Core.NonInviteServerTransaction, core, message);
    const timer = sessionTimerAnswer({
      sessionExpires: message.getHeader('session-expires'),
      supported: message.getHeader('supported'),
      require: message.getHeader('require'),
    });
    const extraHeaders = [`Contact: ${ua.contact.toString()}`, ...timer.headers, 'Supported: timer'];
    const accepted = (): void => {
      clearTimeout(refreshTimers.get(dialog));
      refreshTimers.delete(dialog);
      if (timer.refreshEveryMs !== undefined) scheduleRefresh(core, dialog, timer.refreshEveryMs);
    };
    if (!message.body) {
      uas.accept({ statusCode: 200, extraHeaders });
      accepted();
      return;
    }
    const session = Object.values(ua._sessions).find((s) => s.dialog === dialog);
    void answerOffer(session, uas, message, extraHeaders).then((ok) => ok && accepted());
  };
}

/** An SDP offer in an UPDATE: applied like a re-INVITE's offer; true once answered 200. */
async function answerOffer(session: Session | undefined, uas: Core.UserAgentServer, message: IncomingRequestMessage, extraHeaders: string[]): Promise<boolean> {
  const internals = session as unknown as SessionInternals | undefined;
  const sdh = session?.sessionDescriptionHandler;
  if (!session || !internals || session.state !== SessionState.Established || !(sdh instanceof Web.SessionDescriptionHandler)) {
    uas.reject({ statusCode: 488, extraHeaders: ['Warning: 399 soft-phone "no offer in UPDATE before the call is answered"'] });
    return false;
  }
  // Our own offer is out (RFC 3311: 491), or the media stack is in the middle of one (500, retry soon).
  if (internals.pendingReinvite) {
    uas.reject({ statusCode: 491 });
    return false;
  }
  if (sdh.peerConnection?.signalingState !== 'stable') {
    uas.reject({ statusCode: 500, extraHeaders: [`Retry-After: ${1 + Math.floor(Math.random() * 10)}`] });
    return false;
  }
  const offer: Core.Body = { contentDisposition: 'session', contentType: message.getHeader('content-type') ?? 'application/sdp', content: message.body };
  try {
    const body = await internals.setOfferAndGetAnswer(offer, {
      sessionDescriptionHandlerOptions: session.sessionDescriptionHandlerOptionsReInvite,
      sessionDescriptionHandlerModifiers: session.sessionDescriptionHandlerModifiersReInvite,
    });
    const response = uas.accept({ statusCode: 200, extraHeaders, body });
    // The engine reads a far-end hold from the offer, as for a re-INVITE.
    session.delegate?.onInvite?.(message, response.message, 200);
    return true;
  } catch (error) {
    logger.warn('offer in UPDATE not acceptable:', error);
    const pc = sdh.peerConnection;
    if (pc?.signalingState === 'have-remote-offer') await pc.setRemoteDescription({ type: 'rollback' }).catch(() => undefined);
    uas.reject({ statusCode: 488 });
    return false;
  }
}

/** We are the refresher (RFC 4028 section 10): an UPDATE without SDP at half the interval. */
function scheduleRefresh(core: Core.UserAgentCore, dialog: Core.SessionDialog, everyMs: number): void {
  const seconds = Math.round((everyMs * 2) / 1000);
  refreshTimers.set(
    dialog,
    setTimeout(() => {
      refreshTimers.delete(dialog);
      if (core.dialogs.get(dialog.id) !== dialog || dialog.early) return;
      const message = dialog.createOutgoingRequestMessage('UPDATE', {
        extraHeaders: [`Session-Expires: ${seconds};refresher=uac`, 'Supported: timer'],
      });
      new Core.UserAgentClient(Core.NonInviteClientTransaction, core, message, {
        onAccept: () => scheduleRefresh(core, dialog, everyMs),
        onReject: (response) => logger.warn(`session refresh answered ${response.message.statusCode ?? '?'}: no more refreshes`),
      });
    }, everyMs),
  );
}

interface NotifyingInviter {
  notifyReferer(response: Core.IncomingResponse): void;
  _referred?: { dialog?: Core.SessionDialog };
}

/**
 * Replaces SIP.js's NOTIFYs to the referrer for the call `inviter` places on a REFER (see the
 * module comment). Call right after `referral.accept()`, before `inviter.invite()`.
 */
export function notifyReferrerProperly(inviter: Inviter): void {
  const target = inviter as unknown as NotifyingInviter;
  const dialog = target._referred?.dialog;
  if (!dialog) return;
  const started = Date.now();
  let lastCode = 0;
  let done = false;
  let sending = false;
  let queued: { code: number; reason: string } | undefined;

  const send = (code: number, reason: string): void => {
    if (done) return;
    if (sending) {
      // Only the newest status matters; a final one is never dropped for a later provisional one.
      if (!queued || queued.code < 200) queued = { code, reason };
      return;
    }
    const { subscriptionState, final } = referNotifyState(code, REFER_SUBSCRIPTION_S - (Date.now() - started) / 1000);
    if (final) done = true;
    sending = true;
    const next = (): void => {
      sending = false;
      const q = queued;
      queued = undefined;
      if (q) send(q.code, q.reason);
    };
    try {
      dialog.notify(
        {
          onAccept: next,
          onReject: (response) => {
            // The referrer ended the subscription: nothing more to tell it.
            logger.debug(`referrer answered our NOTIFY ${response.message.statusCode ?? '?'}`);
            done = true;
            queued = undefined;
          },
        },
        {
          extraHeaders: ['Event: refer', `Subscription-State: ${subscriptionState}`],
          body: { contentDisposition: 'render', contentType: 'message/sipfrag', content: `SIP/2.0 ${code} ${reason}`.trim() },
        },
      );
    } catch (error) {
      // the call with the referrer is already over
      logger.debug('NOTIFY to the referrer not sent:', error);
      done = true;
    }
  };

  target.notifyReferer = (response) => {
    const code = response.message.statusCode ?? 0;
    // 100 went out at once below; a repeated provisional status adds nothing.
    if (code <= 100 || (code < 200 && code === lastCode)) return;
    lastCode = code;
    send(code, response.message.reasonPhrase ?? '');
  };
  // RFC 6665 section 4.2.1.2 / RFC 3515 section 2.4.5: the first NOTIFY right after accepting.
  send(100, 'Trying');
}
