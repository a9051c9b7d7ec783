/** Defines `<soft-phone>`. Guarded: loading the package twice (two bundles on one page) does not throw. */
import { SoftPhone } from './soft-phone.component.js';

export const TAG_NAME = 'soft-phone';

if (typeof customElements !== 'undefined' && !customElements.get('soft-phone')) {
  customElements.define('soft-phone', SoftPhone);
}

declare global {
  interface HTMLElementTagNameMap {
    'soft-phone': SoftPhone;
  }
}

export { SoftPhone };
