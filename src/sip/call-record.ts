/**
 * The engine's record of one call (`CallContext`: the SIP.js session and what the engine keeps
 * beside it), and small helpers that read a call or a session without changing anything: its peer
 * connection and audio senders, whether its dialog is up, the media options a call is placed with,
 * how a far end is shown, and which end cause a final response stands for.
 */
import { SessionState, Web, type Invitation, type Inviter, type Session, type UserAgent } from 'sip.js';
import type { EngineConfig } from '../core/engine.js';
import type { CallInfo, EndCause, ReconnectReason, RemoteParty } from '../core/types.js';
import { logger } from '../logger.js';
import type { CallAudio } from './media.js';
import type { QualitySampler } from './quality-sampler.js';

export type SessionDescriptionHandlerOptions = Web.SessionDescriptionHandlerOptions;

/** How long a request in a call we answered waits for the caller's ACK before it goes anyway. */
const ACK_WAIT_MS = 2_000;

export interface CallContext {
  id: string;
  session: Inviter | Invitation;
  audio?: CallAudio;
  /** Reads the call's quality once a second while it is up. */
  sampler?: QualitySampler;
  /** A replacement microphone is being opened. */
  fallingBack?: boolean;
  /** Set by whoever knows first why the call ends (local action, final response, BYE). */
  endCause?: EndCause;
  ended: boolean;
  noAnswerTimer?: ReturnType<typeof setTimeout>;
  /** While a REFER of this call is under way: how the call ends if the far end leaves meanwhile. */
  referring?: 'transferred' | 'parked';
  /** A consult call placed by an attended transfer: the held call it belongs to. */
  consultFor?: string;
  /** The call we placed because the far end referred us: once it is answered, a BYE here means transferred. */
  following?: Inviter;
  /** The call's last snapshot, once it has ended. */
  final?: CallInfo;
  /** The UserAgent the call's dialog lives on. */
  ua?: UserAgent;
  /** What the call lost, while it is being recovered. */
  reconnecting?: ReconnectReason;
  recoveryTimer?: ReturnType<typeof setTimeout>;
  retryTimer?: ReturnType<typeof setTimeout>;
  /** The answering end waits for the caller's refresh: this sends ours at once. */
  farEndRefreshed?: () => void;
  /** A re-INVITE refreshing the dialog (and maybe restarting ICE) is under way. */
  refreshing?: boolean;
  /** The re-INVITE of a media recovery was answered: the call is back once audio arrives again. */
  iceRestarted?: boolean;
  /**
   * The path was checked and works (ICE connected again after a restart) while the far end sends no
   * audio: it is quiet (silence suppression, a one-way announcement), not lost. No more restarts for
   * that until its audio flows again.
   */
  quietFarEnd?: boolean;
  mediaTimer?: ReturnType<typeof setInterval>;
  /** Incoming audio packets at the last check, and how many checks saw none arrive. */
  packets?: number;
  stalled?: number;
  /**
   * A call we answered: settles when the caller's ACK arrives (or the call ends). Until then the
   * caller may still be applying our answer, and SIP.js, for one, silently drops a REFER or
   * re-INVITE that arrives meanwhile: the request would end in 408 after the server's timer.
   */
  confirmed?: Promise<void>;
}

/** The end cause a final response (>= 300) to our INVITE stands for. */
export function endCauseForStatus(code: number): EndCause {
  switch (code) {
    case 486:
    case 600:
      return 'busy';
    case 408:
    case 480:
      return 'no-answer';
    case 404:
    case 604:
      return 'not-found';
    case 603:
      return 'declined';
    case 487:
      return 'hangup';
    default:
      return 'failed';
  }
}

let counter = 0;
/** Unique in the page by the counter; the random part tells phones (and page loads) apart in logs. */
export function newCallId(): string {
  return `call-${++counter}-${Math.random().toString(36).slice(2, 10)}`;
}

export function peerConnectionOf(session: Session): RTCPeerConnection | undefined {
  const sdh = session.sessionDescriptionHandler;
  return sdh instanceof Web.SessionDescriptionHandler ? sdh.peerConnection : undefined;
}

export function audioSenders(session: Session): RTCRtpSender[] {
  return (peerConnectionOf(session)?.getSenders() ?? []).filter((s) => s.track?.kind === 'audio' || s.dtmf);
}

export function isMediaDenied(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NotAllowedError' || error.name === 'NotFoundError');
}

/** The call has a confirmed dialog (it can be refreshed rather than ended). */
export function isUp(ctx: CallContext): boolean {
  return !ctx.ended && ctx.session.state === SessionState.Established;
}

export function iceBroken(ctx: CallContext): boolean {
  const ice = peerConnectionOf(ctx.session)?.iceConnectionState;
  return ice === 'disconnected' || ice === 'failed';
}

/** Audio only, from the chosen microphone. */
export function mediaOptions(config: EngineConfig | undefined): SessionDescriptionHandlerOptions {
  const microphone = config?.microphone;
  return { constraints: { audio: microphone ? { deviceId: { exact: microphone } } : true, video: false } };
}

/** How a far end is shown: the configured dial plan's view, else an internal number. */
export function classifyParty(config: EngineConfig | undefined, user: string, displayName?: string, host?: string): RemoteParty {
  const classify = config?.classify;
  const plain: RemoteParty = { number: user, kind: 'internal', ...(displayName ? { displayName } : {}) };
  try {
    return classify ? classify(user, displayName, host) : plain;
  } catch (error) {
    logger.warn('could not classify the caller:', error);
    return plain;
  }
}

/** Waits (at most ACK_WAIT_MS) until the far end has confirmed the answer of a call we answered. */
export async function confirmedByFarEnd(ctx: CallContext): Promise<void> {
  if (!ctx.confirmed) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([ctx.confirmed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ACK_WAIT_MS)))]);
  clearTimeout(timer);
}
