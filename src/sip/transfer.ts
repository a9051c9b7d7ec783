/**
 * Pure helpers for transfers and park (no SIP.js import: unit-testable in Node).
 */

/** How a REFER ended: through, or refused with a SIP status (0 when no status was involved). */
export type ReferOutcome = { ok: true } | { ok: false; code: number; reason: string };

export function transferFailure(code: number, reason: string): ReferOutcome {
  return { ok: false, code, reason: reason.trim() };
}

/**
 * The status line of a REFER progress NOTIFY body (`message/sipfrag`, RFC 3515):
 * `SIP/2.0 486 Busy Here` -> `{ code: 486, reason: 'Busy Here' }`; anything else -> undefined.
 */
export function sipfragStatus(body: string): { code: number; reason: string } | undefined {
  const match = /^\s*SIP\/2\.0\s+(\d{3})(?:[ \t]+([^\r\n]*))?/.exec(body);
  if (!match) return undefined;
  return { code: Number(match[1]), reason: (match[2] ?? '').trim() };
}

/** A park slot that answers one of these is occupied: the next slot is tried. */
export function isBusyStatus(code: number): boolean {
  return code === 486 || code === 600;
}

/** The user part of a `Referred-By` header (`<sip:4000@server1.test>` -> `4000`), or undefined. */
export function referredByUser(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /sips?:([^@;>\s]+)@/i.exec(header);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/**
 * Whether an SDP offer from the far end puts us on hold: `sendonly` or `inactive` on the audio
 * stream (or the session) means held, `sendrecv`/`recvonly` means not held; no SDP: undefined.
 */
export function remoteHoldIn(sdp: string | undefined): boolean | undefined {
  if (!sdp || !sdp.includes('m=')) return undefined;
  const lines = sdp.split(/\r?\n/);
  let direction: string | undefined;
  let inAudio = false;
  for (const line of lines) {
    if (line.startsWith('m=')) inAudio = line.startsWith('m=audio');
    const match = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(line);
    // a media-level attribute wins over the session-level one
    if (match && (inAudio || direction === undefined)) direction = match[1];
  }
  return direction === 'sendonly' || direction === 'inactive';
}
