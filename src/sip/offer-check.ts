/**
 * What the phone refuses in an incoming INVITE before it rings: an offer it could never answer
 * (no usable audio, a body that is not SDP, nonsense) and a flood of calls. Without this check such a
 * call would ring, and the agent's "answer" would fail only then. Pure: no SIP.js, no browser.
 */

/** The audio codecs the browser side can answer with (RTP payload names, lower case). */
const CODECS = new Set(['opus', 'pcmu', 'pcma', 'g722']);
/** Static RTP payload types of those codecs (RFC 3551). */
const STATIC: Record<string, string> = { '0': 'pcmu', '8': 'pcma', '9': 'g722' };
/** A larger offer is not a call someone means to make. */
const MAX_SDP_BYTES = 32_768;
/** More calls than this at once (ringing, connecting, up, held) are answered 486 Busy Here. */
export const MAX_CONCURRENT_CALLS = 8;

export interface Refusal {
  statusCode: number;
  reasonPhrase: string;
  /** For the log: what was wrong. */
  why: string;
}

/**
 * The refusal for an incoming INVITE's offer, or undefined when the phone can answer it. An INVITE
 * without a body is fine (the offer then comes from us, in the 200).
 */
export function refuseOffer(body: string | undefined, contentType: string | undefined): Refusal | undefined {
  if (body === undefined || body.trim() === '') return undefined;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/sdp') {
    return { statusCode: 415, reasonPhrase: 'Unsupported Media Type', why: `the offer is ${type || 'of no type'}, not application/sdp` };
  }
  const notAcceptable = (why: string): Refusal => ({ statusCode: 488, reasonPhrase: 'Not Acceptable Here', why });
  if (body.length > MAX_SDP_BYTES) return notAcceptable(`the SDP offer is ${body.length} bytes long`);
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines[0] !== 'v=0') return notAcceptable('the offer is not SDP (no v=0 first)');
  const audio = mediaSections(lines).filter((m) => m.kind === 'audio' && m.port > 0);
  if (audio.length === 0) return notAcceptable('the SDP offer has no audio stream');
  for (const m of audio) {
    if (m.formats.some((f) => !/^\d{1,3}$/.test(f) || Number(f) > 127)) return notAcceptable(`the SDP audio stream lists an impossible payload type (${m.formats.find((f) => !/^\d{1,3}$/.test(f) || Number(f) > 127)!.slice(0, 20)})`);
    if (new Set(m.formats).size !== m.formats.length) return notAcceptable('the SDP audio stream lists a payload type twice');
  }
  const usable = audio.some((m) => m.formats.some((f) => CODECS.has(m.rtpmap.get(f) ?? STATIC[f] ?? '')));
  if (!usable) return notAcceptable('the SDP offer has no audio codec the phone can use (Opus, G.711, G.722)');
  return undefined;
}

/** Too many calls at once: the next one is busy. */
export function refuseFlood(activeCalls: number): Refusal | undefined {
  if (activeCalls < MAX_CONCURRENT_CALLS) return undefined;
  return { statusCode: 486, reasonPhrase: 'Busy Here', why: `${activeCalls} calls are already in progress` };
}

interface MediaSection {
  kind: string;
  port: number;
  formats: string[];
  /** payload type → codec name (lower case) */
  rtpmap: Map<string, string>;
}

function mediaSections(lines: string[]): MediaSection[] {
  const sections: MediaSection[] = [];
  for (const line of lines) {
    const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(line);
    if (m) {
      sections.push({ kind: m[1]!.toLowerCase(), port: Number(m[2]), formats: m[4]!.trim().split(/\s+/).filter(Boolean), rtpmap: new Map() });
      continue;
    }
    const map = /^a=rtpmap:(\d+) ([^/\s]+)/.exec(line);
    if (map && sections.length > 0) sections[sections.length - 1]!.rtpmap.set(map[1]!, map[2]!.toLowerCase());
  }
  return sections;
}
