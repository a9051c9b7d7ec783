/**
 * The contract between the element and the SIP adapter. The element talks only to this interface
 * (so element tests can use a fake engine); `src/sip/sip-engine.ts` is the real one, and `src/sip/`
 * is the only code that imports sip.js. The engine reports everything through the `PhoneState` it
 * was given.
 */
import type { QualityThresholds } from './call-quality.js';
import type { PhoneState } from './phone-state.js';
import type { CallInfo, IceServer, ParkedCall, RemoteParty, TransferMode } from './types.js';

export interface EngineConfig {
  /** WebSocket URLs, in failover order. */
  servers: string[];
  domain: string;
  extension: string;
  /** Digest user; defaults to the extension. */
  authUser: string;
  /** Secret: never logged, never put in an error or event. */
  password?: string;
  displayName?: string;
  /** Registration expiry requested from the server, seconds. */
  expires: number;
  /** Seconds between registration refreshes. */
  refresh: number;
  iceServers: IceServer[];
  /**
   * Seconds a call may spend reconnecting (signaling or media lost) before it ends with
   * `connection-lost`, counted from the loss being detected. Default 30.
   */
  callRecovery?: number;
  /** Seconds between keep-alive pings that detect a silently dead server. */
  keepAlive?: number;
  /** Only keep ICE candidates for these addresses (tests: ['127.0.0.1']). Empty = keep all. */
  candidateFilter?: string[];
  /**
   * How an incoming caller is shown (the dial plan's `classifyIncoming`, given the From URI's user,
   * display name and host); default: an internal number.
   */
  classify?: (user: string, displayName?: string, host?: string) => RemoteParty;
  /** Microphone `deviceId` chosen in the audio settings ('' or absent: the default device). */
  microphone?: string;
  /** Speaker `deviceId` for call audio (`setSinkId`; '' or absent: the default output). */
  speaker?: string;
  /** Internal (benchmark baseline): `false` reads no call quality. */
  qualitySampling?: boolean;
  /** When call quality warnings start (`qualityThresholds`, completed with the defaults). */
  qualityThresholds?: QualityThresholds;
}

export interface DialTarget {
  /** Full SIP URI to call, e.g. `sip:122099@server1.test`. */
  uri: string;
  /** How the far end is shown in the CallInfo. */
  remote: RemoteParty;
}

export interface PhoneEngine {
  /** Applies a new configuration; a registered phone re-registers with it. */
  configure(config: EngineConfig): void;
  register(): Promise<void>;
  unregister(): Promise<void>;
  call(target: DialTarget): Promise<CallInfo>;
  answer(callId: string): Promise<void>;
  decline(callId: string): Promise<void>;
  hangup(callId: string): Promise<void>;
  hold(callId: string): Promise<void>;
  unhold(callId: string): Promise<void>;
  setMuted(callId: string, muted: boolean): Promise<void>;
  sendDtmf(callId: string, digits: string): Promise<void>;
  transfer(callId: string, target: DialTarget, mode: TransferMode): Promise<CallInfo | void>;
  completeTransfer(heldCallId: string, consultCallId: string): Promise<void>;
  cancelTransfer(heldCallId: string, consultCallId: string): Promise<void>;
  park(callId: string, slots: readonly string[]): Promise<ParkedCall>;
  /** Retries call audio playback after a user gesture unlocked sound (optional). */
  resumeAudio?(): Promise<void>;
  /** Stops everything: calls, registration, transport, timers, media. Idempotent. */
  dispose(): Promise<void>;
}

export type EngineFactory = (state: PhoneState) => PhoneEngine;
