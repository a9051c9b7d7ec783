/**
 * The SIP.js endpoint every lab page script runs (the orbit's slots, the probe's phones): a
 * UserAgent on the lab Kamailio with its media from `media` instead of a microphone, no ICE
 * servers and a short ICE gathering, a Registerer refreshing at half time, and `loopbackOnly` for
 * the SDP it sends (loopback candidates only).
 */
import { Registerer, UserAgent, Web } from 'sip.js';
import type { SessionDescriptionHandlerModifier } from 'sip.js';

export interface PageUserAgentOptions {
  wsUrl: string;
  domain: string;
  user: string;
  password: string;
  displayName?: string;
  /** What the endpoint sends (music, a tone...). */
  media: () => Promise<MediaStream>;
}

export function pageUserAgent(options: PageUserAgentOptions): { ua: UserAgent; registerer: Registerer } {
  const uri = UserAgent.makeURI(`sip:${options.user}@${options.domain}`);
  if (!uri) throw new Error(`bad URI for ${options.user}`);
  const ua = new UserAgent({
    uri,
    ...(options.displayName ? { displayName: options.displayName } : {}),
    authorizationUsername: options.user,
    authorizationPassword: options.password,
    transportOptions: { server: options.wsUrl },
    logBuiltinEnabled: false,
    logLevel: 'error',
    sessionDescriptionHandlerFactory: Web.defaultSessionDescriptionHandlerFactory(options.media),
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: [] },
      iceGatheringTimeout: 1000,
    },
  });
  return { ua, registerer: new Registerer(ua, { expires: 30, refreshFrequency: 50 }) };
}

/** Only loopback ICE candidates: the lab must not touch other interfaces. */
export const loopbackOnly: SessionDescriptionHandlerModifier = (description) => {
  const sdp = description.sdp
    ?.split('\r\n')
    .filter((line) => !line.startsWith('a=candidate') || line.includes(' 127.0.0.1 '))
    .join('\r\n');
  return Promise.resolve({ type: description.type, sdp });
};
