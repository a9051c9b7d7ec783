/**
 * The package entry: the `<soft-phone>` element (defined on import, guarded), its types, errors and
 * event map.
 */
import { createSipEngine } from './sip/sip-engine.js';
import { SoftPhone } from './soft-phone.component.js';

// The real engine unless something (a test) installed another one first.
SoftPhone.engineFactory ??= createSipEngine;

export { SoftPhone, CONNECTION_LOST_MESSAGE } from './soft-phone.component.js';
export { TAG_NAME } from './soft-phone.js';
export { handleTelLinks, telNumber } from './tel-links.js';
export type { TelLinkOptions, TelLinkPhone } from './tel-links.js';
export { SoftPhoneError, ErrorCode, isSoftPhoneError } from './errors.js';
export type { SoftPhoneEventMap, SoftPhoneEventName } from './events.js';
export { RegistrationState, CallState } from './core/types.js';
export type {
  CallInfo,
  CallDirection,
  EndCause,
  RemoteParty,
  RemoteKind,
  ParkedCall,
  TransferMode,
  IceServer,
  LinkedServer,
} from './core/types.js';
export type { CallPolicy } from './core/call-policy.js';
export type { CallQuality, QualitySummary, QualityThresholds, QualityWarning } from './core/call-quality.js';
export type { CallRecord } from './core/call-history.js';
export type { AudioTestResult } from './audio/audio-test.js';
export type { Language, MessageKey } from './i18n/index.js';
