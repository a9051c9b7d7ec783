/**
 * The element's DOM events: one map, one typed `emit()`. Every detail is a plain snapshot.
 */
import type { QualitySummary, QualityWarning } from './core/call-quality.js';
import type { CallInfo, ReconnectReason, TransferMode } from './core/types.js';
import type { ErrorCode } from './errors.js';

export interface SoftPhoneEventMap {
  'softphone-registering': { server: string };
  'softphone-registered': { aor: string; server: string; expires: number };
  'softphone-unregistered': { reason: string };
  'softphone-registration-failed': { code: number; reason: string };
  'softphone-connection-lost': { message: string };
  'softphone-connection-restored': { server: string };
  'softphone-before-dial': { number: string };
  'softphone-incoming-call': { call: CallInfo };
  'softphone-call-state': { call: CallInfo };
  'softphone-call-established': { call: CallInfo };
  /** `quality`: the call's average and worst MOS and its warnings (absent when it was never measured). */
  'softphone-call-ended': { call: CallInfo; quality?: QualitySummary };
  'softphone-call-quality': { call: CallInfo; warnings: QualityWarning[]; started: QualityWarning[]; ended: QualityWarning[] };
  'softphone-call-held': { call: CallInfo };
  'softphone-call-resumed': { call: CallInfo };
  'softphone-transfer-completed': { call: CallInfo; mode: TransferMode; target: string };
  'softphone-transfer-failed': { call: CallInfo; mode: TransferMode; target: string; code: string; reason: string };
  'softphone-call-parked': { call: CallInfo; slot: string };
  'softphone-call-reconnecting': { call: CallInfo; reason: ReconnectReason };
  'softphone-call-reconnected': { call: CallInfo };
  'softphone-status-changed': { status: string };
  'softphone-error': { code: ErrorCode; message: string };
  'softphone-tab-role': { role: 'leader' | 'follower' | 'alone' };
}

export type SoftPhoneEventName = keyof SoftPhoneEventMap;

declare global {
  interface HTMLElementEventMap {
    'softphone-registering': CustomEvent<SoftPhoneEventMap['softphone-registering']>;
    'softphone-registered': CustomEvent<SoftPhoneEventMap['softphone-registered']>;
    'softphone-unregistered': CustomEvent<SoftPhoneEventMap['softphone-unregistered']>;
    'softphone-registration-failed': CustomEvent<SoftPhoneEventMap['softphone-registration-failed']>;
    'softphone-connection-lost': CustomEvent<SoftPhoneEventMap['softphone-connection-lost']>;
    'softphone-connection-restored': CustomEvent<SoftPhoneEventMap['softphone-connection-restored']>;
    'softphone-before-dial': CustomEvent<SoftPhoneEventMap['softphone-before-dial']>;
    'softphone-incoming-call': CustomEvent<SoftPhoneEventMap['softphone-incoming-call']>;
    'softphone-call-state': CustomEvent<SoftPhoneEventMap['softphone-call-state']>;
    'softphone-call-established': CustomEvent<SoftPhoneEventMap['softphone-call-established']>;
    'softphone-call-ended': CustomEvent<SoftPhoneEventMap['softphone-call-ended']>;
    'softphone-call-quality': CustomEvent<SoftPhoneEventMap['softphone-call-quality']>;
    'softphone-call-held': CustomEvent<SoftPhoneEventMap['softphone-call-held']>;
    'softphone-call-resumed': CustomEvent<SoftPhoneEventMap['softphone-call-resumed']>;
    'softphone-transfer-completed': CustomEvent<SoftPhoneEventMap['softphone-transfer-completed']>;
    'softphone-transfer-failed': CustomEvent<SoftPhoneEventMap['softphone-transfer-failed']>;
    'softphone-call-parked': CustomEvent<SoftPhoneEventMap['softphone-call-parked']>;
    'softphone-call-reconnecting': CustomEvent<SoftPhoneEventMap['softphone-call-reconnecting']>;
    'softphone-call-reconnected': CustomEvent<SoftPhoneEventMap['softphone-call-reconnected']>;
    'softphone-status-changed': CustomEvent<SoftPhoneEventMap['softphone-status-changed']>;
    'softphone-error': CustomEvent<SoftPhoneEventMap['softphone-error']>;
    'softphone-tab-role': CustomEvent<SoftPhoneEventMap['softphone-tab-role']>;
  }
}

/**
 * Dispatches a composed, bubbling CustomEvent with a frozen copy of `detail`.
 * Returns false when a cancelable event was cancelled.
 */
export function emit<K extends SoftPhoneEventName>(
  target: EventTarget,
  name: K,
  detail: SoftPhoneEventMap[K],
  options: { cancelable?: boolean } = {},
): boolean {
  const event = new CustomEvent(name, {
    detail: options.cancelable ? detail : structuredClone(detail),
    bubbles: true,
    composed: true,
    cancelable: options.cancelable ?? false,
  });
  return target.dispatchEvent(event);
}
