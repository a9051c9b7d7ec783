/**
 * The monitor's entry (`soft-phone/monitor`): `<soft-phone-monitor>` (defined on import, guarded),
 * its types and event map. A page with only the phone never loads it.
 */
export { SoftPhoneMonitor, MONITOR_TAG_NAME } from './soft-phone-monitor.js';
export { ConnectionState } from './types.js';
export type { MonitorCall, MonitorCallChange, MonitorExtension, MonitorServer, MonitorSnapshot, MonitorStreamEvent } from './types.js';
export type { SoftPhoneMonitorEventMap, SoftPhoneMonitorEventName } from './events.js';
export type { MonitorStreamOptions, EventSourceLike, EventSourceFactory } from './stream.js';
export type { SortDirection, SortKey } from './table.js';
export { SoftPhoneError, ErrorCode, isSoftPhoneError } from '../errors.js';
