/** SDP for scripted far ends (a raw SIP client or server standing in for a PBX or a hostile peer). */

const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).padStart(2, '0').toUpperCase()).join(':');

/** A WebRTC audio offer (or, with `setup: 'active'`, an answer) Chromium accepts; `port` moves the media. */
export function webrtcSdp({ port = 40000, version = 1, setup = 'actpass', direction = 'sendrecv' }: { port?: number; version?: number; setup?: string; direction?: string } = {}): string {
  return [
    'v=0',
    `o=- 4611731400430051336 ${version} IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    `m=audio ${port} UDP/TLS/RTP/SAVPF 111 0 8 101`,
    'c=IN IP4 127.0.0.1',
    'a=rtcp:9 IN IP4 0.0.0.0',
    `a=candidate:1 1 udp 2122260223 127.0.0.1 ${port} typ host`,
    'a=ice-ufrag:labx',
    'a=ice-pwd:labxlabxlabxlabxlabxlabx',
    `a=fingerprint:sha-256 ${FINGERPRINT}`,
    `a=setup:${setup}`,
    'a=mid:0',
    `a=${direction}`,
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    '',
  ].join('\r\n');
}
