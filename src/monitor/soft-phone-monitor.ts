/** Defines `<soft-phone-monitor>`. Guarded: loading the monitor twice does not throw. */
import { SoftPhoneMonitor } from './monitor.component.js';

export const MONITOR_TAG_NAME = 'soft-phone-monitor';

if (typeof customElements !== 'undefined' && !customElements.get(MONITOR_TAG_NAME)) {
  customElements.define(MONITOR_TAG_NAME, SoftPhoneMonitor);
}

declare global {
  interface HTMLElementTagNameMap {
    'soft-phone-monitor': SoftPhoneMonitor;
  }
}

export { SoftPhoneMonitor };
