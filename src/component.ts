/**
 * `SoftPhone` with the real engine, without defining a tag: for pages that define the element
 * themselves (`customElements.define('crm-phone', SoftPhone)`) or scope it. The package entry
 * (`soft-phone`) is this plus the guarded definition of `<soft-phone>`.
 */
import { createLazySipEngine } from './sip/lazy-engine.js';
import { SoftPhone } from './soft-phone.component.js';

// The real engine (SIP.js loads on first use) unless something (a test) installed another one first.
SoftPhone.engineFactory ??= createLazySipEngine;

export { SoftPhone, CONNECTION_LOST_MESSAGE } from './soft-phone.component.js';
