/**
 * The package entry: the `<soft-phone>` element (defined on import, guarded), its types, errors and
 * event map. `soft-phone/component` is the same without defining the tag.
 */
// The real engine is installed first, then the tag is defined.
export * from './component.js';
import './soft-phone.js';
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
