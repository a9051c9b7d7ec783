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

/** Each event of the map as the `CustomEvent` a listener receives. */
export type SoftPhoneEvents = { [K in SoftPhoneEventName]: CustomEvent<SoftPhoneEventMap[K]> };

declare global {
  // Derived from the map above, so an event is declared once.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface HTMLElementEventMap extends SoftPhoneEvents {}
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
  return emitEvent<SoftPhoneEventMap, K>(target, name, detail, options);
}

/** `emit()` for any element's event map (the monitor has its own). */
export function emitEvent<M, K extends keyof M & string>(target: EventTarget, name: K, detail: M[K], options: { cancelable?: boolean } = {}): boolean {
  const event = new CustomEvent(name, {
    detail: options.cancelable ? detail : structuredClone(detail),
    bubbles: true,
    composed: true,
    cancelable: options.cancelable ?? false,
  });
  return target.dispatchEvent(event);
}
