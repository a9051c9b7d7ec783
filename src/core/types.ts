// Public data shapes (see README / API contract). Plain, serializable, no SIP.js objects.
import type { CallQuality, QualityWarning } from './call-quality.js';

export const RegistrationState = {
  Unregistered: 'unregistered',
  Registering: 'registering',
  Registered: 'registered',
  ConnectionLost: 'connection-lost',
} as const;
export type RegistrationState = (typeof RegistrationState)[keyof typeof RegistrationState];

export const CallState = {
  Dialing: 'dialing',
  Ringing: 'ringing',
  EarlyMedia: 'early-media',
  Established: 'established',
  Held: 'held',
  Transferring: 'transferring',
  Ended: 'ended',
} as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

/** The states of a call that was answered and is not over: the far end is connected (held included). */
export const CONNECTED_STATES: ReadonlySet<CallState> = new Set([CallState.Established, CallState.Held, CallState.Transferring]);
export const isConnected = (call: { state: CallState }): boolean => CONNECTED_STATES.has(call.state);
/** An incoming call that rings here, not yet answered or declined. */
export const isRingingIn = (call: { direction: CallDirection; state: CallState }): boolean =>
  call.direction === 'inbound' && call.state === CallState.Ringing;

export type CallDirection = 'inbound' | 'outbound';

export type EndCause =
  | 'hangup'
  | 'remote-hangup'
  | 'declined'
  | 'busy'
  | 'no-answer'
  | 'not-found'
  | 'transferred'
  | 'parked'
  | 'replaced'
  | 'failed'
  | 'connection-lost';

export type RemoteKind = 'internal' | 'linked' | 'external';

export interface RemoteParty {
  /** As shown everywhere: a linked server's caller is prefix + extension, e.g. `113999`. */
  number: string;
  displayName?: string;
  kind: RemoteKind;
  /** The linked server's prefix (kind 'linked'). */
  prefix?: string;
  /** The linked server's label (kind 'linked'). */
  server?: string;
}

export interface CallInfo {
  id: string;
  direction: CallDirection;
  state: CallState;
  remote: RemoteParty;
  muted: boolean;
  /** We put the call on hold (`state: 'held'`). */
  held: boolean;
  /**
   * Extension of the contract: the far end put us on hold (its re-INVITE said sendonly/inactive).
   * The call's state stays as it is (resuming is the far end's business); the UI shows it.
   */
  remoteHeld?: boolean;
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  endCause?: EndCause;
  /** Set on a call that reached us through a transfer, when known. */
  transferredBy?: string;
  /** Extension of the contract: on the consult call of a '*' transfer, the id of the held call it belongs to. */
  consultFor?: string;
  /** The latest quality figures, about once a second while the call is established (no event for that alone). */
  quality?: CallQuality;
  /** The quality warnings now active (`softphone-call-quality` when one starts or ends). */
  warnings: QualityWarning[];
  /**
   * True while the call's signaling connection or media path is being recovered: the call keeps its
   * state, and its audio goes on where its path is intact.
   */
  reconnecting: boolean;
  /**
   * True in the tab whose page holds this call's media (always, unless tabs share the phone: then
   * only in the leader tab).
   */
  local: boolean;
}

/** What a reconnecting call lost: its signaling connection, or its media path. */
export type ReconnectReason = 'signaling' | 'media';

export interface ParkedCall {
  slot: string;
  remote: RemoteParty;
  parkedAt: number;
}

export type TransferMode = 'blind' | 'attended';

/** An RTCIceServer without depending on DOM types in the core. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface LinkedServer {
  prefix: string;
  label: string;
}
