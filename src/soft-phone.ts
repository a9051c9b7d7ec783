/** Defines `<soft-phone>`. Guarded: loading the package twice (two bundles on one page) does not throw. */
import { SoftPhone } from './soft-phone.component.js';

export const TAG_NAME = 'soft-phone';

if (typeof customElements !== 'undefined' && !customElements.get(TAG_NAME)) {
  customElements.define(TAG_NAME, SoftPhone);
}

declare global {
  interface HTMLElementTagNameMap {
    'soft-phone': SoftPhone;
  }
}

export { SoftPhone };
