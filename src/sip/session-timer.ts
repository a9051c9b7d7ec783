/**
 * Pure helpers for the in-dialog requests PBX and carrier stacks send that SIP.js 0.21.2 does not
 * handle (no SIP.js import: unit-testable in Node): RFC 4028 session timers carried by an UPDATE,
 * and the Subscription-State of the NOTIFYs that report a REFER we follow (RFC 3515 / RFC 6665).
 */

export type Refresher = 'uac' | 'uas';

/** `Session-Expires: 1800;refresher=uac` -> `{ seconds: 1800, refresher: 'uac' }`; garbage -> undefined. */
export function parseSessionExpires(value: string | undefined): { seconds: number; refresher?: Refresher } | undefined {
  if (!value) return undefined;
  const [delta, ...params] = value.split(';');
  const seconds = Number(delta?.trim());
  if (!/^\s*\d+\s*$/.test(delta ?? '') || !Number.isSafeInteger(seconds) || seconds <= 0) return undefined;
  let refresher: Refresher | undefined;
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim().toLowerCase());
    if (k === 'refresher' && (v === 'uac' || v === 'uas')) refresher = v;
  }
  return refresher ? { seconds, refresher } : { seconds };
}

/** Whether an option tag (`timer`) is in a Supported or Require header value. */
export function hasOptionTag(header: string | undefined, tag: string): boolean {
  return (header ?? '').split(',').some((t) => t.trim().toLowerCase() === tag);
}

export interface SessionTimerAnswer {
  /** Headers for our 2xx. */
  headers: string[];
  /** When we are the refresher: refresh the session this often (half the interval, RFC 4028 section 10). */
  refreshEveryMs?: number;
}

/**
 * What our 2xx to a session refresh request (UPDATE) says about the session timer (RFC 4028
 * section 9): the interval is copied; a refresher the request names is kept; without one, the far
 * end refreshes if it supports timers (it sent the request, so it can), else we must. No
 * Session-Expires in the request: no session timer, no headers.
 */
export function sessionTimerAnswer(request: { sessionExpires?: string; supported?: string; require?: string }): SessionTimerAnswer {
  const se = parseSessionExpires(request.sessionExpires);
  if (!se) return { headers: [] };
  const uacSupports = hasOptionTag(request.supported, 'timer') || hasOptionTag(request.require, 'timer');
  const refresher: Refresher = uacSupports ? (se.refresher ?? 'uac') : 'uas';
  const headers = [`Session-Expires: ${se.seconds};refresher=${refresher}`];
  if (uacSupports) headers.push('Require: timer');
  return refresher === 'uas' ? { headers, refreshEveryMs: (se.seconds * 1000) / 2 } : { headers };
}

/** How long the implicit subscription of a REFER we follow lasts at most (our call gives up at 60 s). */
export const REFER_SUBSCRIPTION_S = 70;

/**
 * The Subscription-State of a NOTIFY that reports a status of the call a REFER made us place:
 * provisional (1xx) keeps the subscription `active` with the seconds left, a final status ends it.
 * RFC 6665 section 4.2.2: `terminated;reason=noresource` once there is nothing more to report.
 */
export function referNotifyState(code: number, secondsLeft: number): { subscriptionState: string; final: boolean } {
  if (code >= 200) return { subscriptionState: 'terminated;reason=noresource', final: true };
  return { subscriptionState: `active;expires=${Math.max(1, Math.ceil(secondsLeft))}`, final: false };
}

/**
 * Whether a provisional response moves an outbound call to early-media: a 1xx with SDP (the far end
 * plays its own audio: an announcement or its ringback). Once there, a later 1xx without SDP (a 180
 * after a 183) keeps it there: the far end's audio goes on, and our own ringback must not play over it.
 */
export function isEarlyMediaProgress(code: number, hasSdp: boolean, alreadyEarly: boolean): boolean {
  if (code <= 100 || code >= 200) return false;
  return hasSdp || alreadyEarly;
}
