/**
 * Click-to-dial for host pages: `tel:` links anywhere inside a root call their number on a phone
 * instead of leaving the page (or asking the operating system for a dialer app).
 *
 *   const stop = handleTelLinks(document, document.querySelector('soft-phone'));
 *   // a click on <a href="tel:+48-22-555-0100">…</a> now calls phone.call('+48225550100')
 *   stop(); // back to the browser's own handling
 */
import { ErrorCode, SoftPhoneError, toSoftPhoneError } from './errors.js';
import { logger } from './logger.js';

/** What the helper needs from the phone: `call()` (a `<soft-phone>` element has it). */
export interface TelLinkPhone {
  call(number: string): Promise<unknown>;
}

export interface TelLinkOptions {
  /**
   * Called when the phone refuses the number (e.g. `INVALID_NUMBER`, `NOT_REGISTERED`). Without it
   * the refusal is logged as a warning.
   */
  onError?: (error: SoftPhoneError, number: string) => void;
}

/** Visual separators RFC 3966 allows inside a `tel:` number; the phone dials without them. */
const VISUAL_SEPARATORS = /[-.()\s]/g;

/**
 * The number a `tel:` URI dials: percent-decoded, parameters (`;ext=`, `;phone-context=`) dropped,
 * visual separators removed. `undefined` for anything that is not a `tel:` URI.
 */
export function telNumber(href: string): string | undefined {
  const match = /^tel:([^;?#]*)/i.exec(href.trim());
  if (!match) return undefined;
  let number: string;
  try {
    number = decodeURIComponent(match[1]!);
  } catch {
    number = match[1]!;
  }
  return number.replace(VISUAL_SEPARATORS, '');
}

function telAnchor(event: Event): HTMLAnchorElement | undefined {
  for (const node of event.composedPath()) {
    if (node instanceof HTMLAnchorElement && /^\s*tel:/i.test(node.getAttribute('href') ?? '')) return node;
  }
  return undefined;
}

/**
 * Hands every `tel:` link click inside `root` (a document, an element or a shadow root; links added
 * later count too) to `phone.call()`. Returns a function that stops it. Clicks the page already
 * handled (`preventDefault()`), and clicks with another button or a modifier key, are left alone.
 */
export function handleTelLinks(root: Document | Element | ShadowRoot, phone: TelLinkPhone, options: TelLinkOptions = {}): () => void {
  if (!root || typeof (root as EventTarget).addEventListener !== 'function') {
    throw new SoftPhoneError(ErrorCode.INVALID_CONFIG, `handleTelLinks: root ${String(root)} is not a document, element or shadow root`);
  }
  if (!phone || typeof phone.call !== 'function') {
    throw new SoftPhoneError(ErrorCode.INVALID_CONFIG, `handleTelLinks: phone ${String(phone)} has no call() method`);
  }
  const onClick = (event: Event): void => {
    const mouse = event as MouseEvent;
    if (mouse.defaultPrevented || mouse.button !== 0 || mouse.ctrlKey || mouse.metaKey || mouse.shiftKey || mouse.altKey) return;
    const anchor = telAnchor(event);
    if (!anchor) return;
    const number = telNumber(anchor.getAttribute('href') ?? '') ?? '';
    event.preventDefault();
    phone.call(number).catch((error: unknown) => {
      const refused = toSoftPhoneError(error, ErrorCode.CALL_FAILED);
      if (options.onError) options.onError(refused, number);
      else logger.warn(`tel: link ${JSON.stringify(number)} not dialed: ${refused.code}: ${refused.message}`);
    });
  };
  root.addEventListener('click', onClick);
  return () => root.removeEventListener('click', onClick);
}
