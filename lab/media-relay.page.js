/* global window, RTCPeerConnection, RTCSessionDescription, RTCIceCandidate */
// The page side of the lab's media relay (lab/media-relay.ts). Loaded before anything creates a
// peer connection. While the page defines `window.__mediaRelayPort(port, address)` (resolving with the
// relay's stand-in port for a real media address), every remote description and remote candidate the
// page's peer connections receive is rewritten: each IPv4 UDP host candidate `A P` becomes
// `127.0.0.1 <stand-in of A:P>`, and every other candidate (TCP, IPv6, mDNS, server-reflexive,
// relay) is left out, so the media can only flow through the relay. Without `__mediaRelayPort` the
// page works as usual.
(() => {
  const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

  /** `candidate:F C udp PRIO ADDR PORT typ host ...` through the relay, or undefined to leave it out. */
  async function relayed(candidate, portFor) {
    const parts = candidate.split(' ');
    const [, , protocol, , address, port, typ, type] = parts;
    if (protocol?.toLowerCase() !== 'udp' || !IPV4.test(address ?? '') || typ !== 'typ' || type !== 'host') return undefined;
    const standIn = await portFor(Number(port), address);
    parts[4] = '127.0.0.1';
    parts[5] = String(standIn);
    return parts.join(' ');
  }

  async function rewriteSdp(sdp, portFor) {
    const out = [];
    for (const line of sdp.split('\r\n')) {
      if (!line.startsWith('a=candidate:')) {
        out.push(line);
        continue;
      }
      const via = await relayed(line.slice(2), portFor);
      if (via) out.push(`a=${via}`);
    }
    return out.join('\r\n');
  }

  const proto = RTCPeerConnection.prototype;
  const setRemote = proto.setRemoteDescription;
  const addCandidate = proto.addIceCandidate;
  proto.setRemoteDescription = async function (description, ...rest) {
    const portFor = window.__mediaRelayPort;
    if (typeof portFor !== 'function' || !description?.sdp) return setRemote.call(this, description, ...rest);
    const sdp = await rewriteSdp(description.sdp, portFor);
    return setRemote.call(this, new RTCSessionDescription({ type: description.type, sdp }), ...rest);
  };
  proto.addIceCandidate = async function (candidate, ...rest) {
    const portFor = window.__mediaRelayPort;
    const text = candidate?.candidate;
    if (typeof portFor !== 'function' || !text) return addCandidate.call(this, candidate, ...rest);
    const via = await relayed(text.replace(/^a=/, ''), portFor);
    if (!via) return undefined;
    return addCandidate.call(this, new RTCIceCandidate({ ...(typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate), candidate: via }), ...rest);
  };
})();
