/**
 * Plain SIP.js phones in one page, used to exercise the park orbit from the outside: register,
 * call, answer, blind-transfer (REFER), follow a REFER like a phone does, hang up, and measure the
 * media of each call (RTP byte counters and the dominant frequency heard).
 *
 * Each phone sends a steady sine tone of its own frequency instead of a microphone, so a listener
 * can tell who it hears: a given phone, or the orbit's music on hold (another range of notes).
 */
import { Inviter, Registerer, RegistererState, SessionState, UserAgent, Web } from 'sip.js';
import type { Invitation, Session } from 'sip.js';
import { loopbackOnly, pageUserAgent } from './page-user-agent.js';

declare global {
  interface Window {
    probe: ProbeApi;
  }
}

export interface PhoneConfig {
  wsUrl: string;
  domain: string;
  user: string;
  password: string;
  /** Frequency of the tone this phone sends. */
  toneHz: number;
}

export interface ProbeCall {
  id: string;
  phone: string;
  direction: 'in' | 'out';
  remoteUser: string;
  remoteName?: string;
  state: 'ringing' | 'established' | 'ended';
  /** Final response status of an outgoing call that failed, or of one that was answered (200). */
  statusCode?: number;
  /** For an incoming call: its Referred-By header. */
  referredBy?: string;
  /** For a call placed by following a REFER: the id of the call that carried the REFER. */
  referredFrom?: string;
  /** Extra X- headers of an incoming INVITE. */
  headers: Record<string, string>;
}

export interface MediaStats {
  bytesReceived: number;
  bytesSent: number;
  /** Peak of the received spectrum in Hz, 0 when nothing audible arrives. */
  dominantHz: number;
}

export interface ProbeApi {
  register(config: PhoneConfig): Promise<void>;
  call(phone: string, target: string, extraHeaders?: string[]): string;
  answer(callId: string): Promise<void>;
  /** Blind transfer; resolves with the final status the transferee reported (sipfrag). */
  transfer(callId: string, target: string): Promise<number>;
  hangup(callId: string): Promise<void>;
  calls(phone?: string): ProbeCall[];
  stats(callId: string): Promise<MediaStats>;
  stop(): Promise<void>;
}

interface Phone {
  config: PhoneConfig;
  ua: UserAgent;
  registerer: Registerer;
  tone: MediaStreamAudioDestinationNode;
}

interface Entry {
  info: ProbeCall;
  session: Session;
  analyser?: AnalyserNode;
  element?: HTMLAudioElement;
}

const audio = new AudioContext();
const phones = new Map<string, Phone>();
const entries = new Map<string, Entry>();
let nextId = 1;

function entry(callId: string): Entry {
  const found = entries.get(callId);
  if (!found) throw new Error(`no call ${callId}`);
  return found;
}

function peerConnection(session: Session): RTCPeerConnection | undefined {
  const handler = session.sessionDescriptionHandler;
  return handler instanceof Web.SessionDescriptionHandler ? handler.peerConnection : undefined;
}

function listen(e: Entry): void {
  const handler = e.session.sessionDescriptionHandler;
  if (!(handler instanceof Web.SessionDescriptionHandler)) return;
  // Chromium decodes remote audio only for a playing sink; the analyser rides along.
  const element = new Audio();
  element.srcObject = handler.remoteMediaStream;
  void element.play().catch(() => undefined);
  const analyser = audio.createAnalyser();
  analyser.fftSize = 4096;
  audio.createMediaStreamSource(handler.remoteMediaStream).connect(analyser);
  e.element = element;
  e.analyser = analyser;
}

function follow(phone: Phone, id: string, session: Session): void {
  session.sessionDescriptionHandlerModifiersReInvite = [loopbackOnly];
  session.stateChange.addListener((state) => {
    const e = entries.get(id);
    if (!e) return;
    if (state === SessionState.Established) {
      e.info.state = 'established';
      e.info.statusCode ??= 200;
      listen(e);
    } else if (state === SessionState.Terminated) {
      e.info.state = 'ended';
      if (e.element) e.element.srcObject = null;
    }
  });
  session.delegate = {
    // A phone receiving a blind-transfer REFER calls the target (with Referred-By, added by
    // SIP.js) and leaves the original call once the new one is up.
    onRefer: (referral) => {
      void referral.accept().then(() => {
        const inviter = referral.makeInviter({ sessionDescriptionHandlerModifiers: [loopbackOnly] });
        const newId = add(phone, inviter, 'out', inviter.remoteIdentity.uri.user ?? '');
        entry(newId).info.referredFrom = id;
        inviter.stateChange.addListener((state) => {
          if (state === SessionState.Established) void session.bye().catch(() => undefined);
        });
        void invite(newId, inviter);
      });
    },
  };
}

function add(phone: Phone, session: Session, direction: 'in' | 'out', remoteUser: string): string {
  const id = `c${nextId++}`;
  entries.set(id, {
    session,
    info: { id, phone: phone.config.user, direction, remoteUser, state: 'ringing', headers: {} },
  });
  follow(phone, id, session);
  return id;
}

function invite(id: string, inviter: Inviter): Promise<void> {
  const e = entry(id);
  return inviter
    .invite({
      requestDelegate: {
        onReject: (response) => {
          e.info.statusCode = response.message.statusCode;
        },
      },
    })
    .then(() => undefined)
    .catch(() => {
      e.info.state = 'ended';
    });
}

function phoneOf(user: string): Phone {
  const phone = phones.get(user);
  if (!phone) throw new Error(`no phone ${user}`);
  return phone;
}

function peakHz(analyser: AnalyserNode): number {
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let best = -1;
  let bestDb = -90; // quieter than this is silence
  bins.forEach((db, i) => {
    if (db > bestDb) {
      bestDb = db;
      best = i;
    }
  });
  return best < 0 ? 0 : (best * audio.sampleRate) / analyser.fftSize;
}

window.probe = {
  async register(config) {
    if (audio.state !== 'running') await audio.resume();
    const oscillator = audio.createOscillator();
    oscillator.frequency.value = config.toneHz;
    const gain = audio.createGain();
    gain.gain.value = 0.3;
    const tone = audio.createMediaStreamDestination();
    oscillator.connect(gain).connect(tone);
    oscillator.start();
    const toneTrack = (): Promise<MediaStream> => {
      const track = tone.stream.getAudioTracks()[0];
      return track ? Promise.resolve(new MediaStream([track.clone()])) : Promise.reject(new Error('no tone'));
    };
    const { ua, registerer } = pageUserAgent({ ...config, media: toneTrack });
    const phone: Phone = { config, ua, registerer, tone };
    phones.set(config.user, phone);
    ua.delegate = {
      onInvite: (invitation: Invitation) => {
        const id = add(phone, invitation, 'in', invitation.remoteIdentity.uri.user ?? '');
        const info = entry(id).info;
        const name = invitation.remoteIdentity.displayName;
        if (name) info.remoteName = name;
        const referredBy = invitation.request.getHeader('Referred-By');
        if (referredBy) info.referredBy = referredBy;
        for (const header of ['X-Park-Slot', 'X-Park-Caller']) {
          const value = invitation.request.getHeader(header);
          if (value) info.headers[header] = value;
        }
      },
    };
    const registered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${config.user} did not register`)), 10_000);
      registerer.stateChange.addListener((state) => {
        if (state === RegistererState.Registered) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await ua.start();
    await registerer.register();
    await registered;
  },

  call(user, target, extraHeaders = []) {
    const phone = phoneOf(user);
    const uri = UserAgent.makeURI(`sip:${target}@${phone.config.domain}`);
    if (!uri) throw new Error(`bad target ${target}`);
    const inviter = new Inviter(phone.ua, uri, {
      sessionDescriptionHandlerModifiers: [loopbackOnly],
      extraHeaders,
    });
    const id = add(phone, inviter, 'out', target);
    void invite(id, inviter);
    return id;
  },

  async answer(callId) {
    const session = entry(callId).session as Invitation;
    await session.accept({ sessionDescriptionHandlerModifiers: [loopbackOnly] });
  },

  transfer(callId, target) {
    const e = entry(callId);
    const phone = phoneOf(e.info.phone);
    const uri = UserAgent.makeURI(`sip:${target}@${phone.config.domain}`);
    if (!uri) return Promise.reject(new Error(`bad target ${target}`));
    return new Promise<number>((resolve, reject) => {
      e.session
        .refer(uri, {
          requestDelegate: {
            onReject: (response) => resolve(response.message.statusCode ?? 0),
          },
          onNotify: (notification) => {
            void notification.accept();
            const match = /SIP\/2\.0 (\d{3})/.exec(notification.request.body ?? '');
            const code = match ? Number(match[1]) : 0;
            if (code >= 200) resolve(code);
          },
        })
        .catch(reject);
    });
  },

  async hangup(callId) {
    const { session } = entry(callId);
    if (session.state === SessionState.Established) await session.bye();
    else if (session instanceof Inviter) await session.cancel();
    else if (session.state !== SessionState.Terminated) await (session as Invitation).reject();
  },

  calls(user) {
    return [...entries.values()].map((e) => ({ ...e.info })).filter((c) => !user || c.phone === user);
  },

  async stats(callId) {
    const e = entry(callId);
    const result: MediaStats = { bytesReceived: 0, bytesSent: 0, dominantHz: 0 };
    const pc = peerConnection(e.session);
    if (!pc) return result;
    const report = await pc.getStats();
    report.forEach((s: { type: string; kind?: string; bytesReceived?: number; bytesSent?: number }) => {
      if (s.kind !== 'audio') return;
      if (s.type === 'inbound-rtp') result.bytesReceived += s.bytesReceived ?? 0;
      if (s.type === 'outbound-rtp') result.bytesSent += s.bytesSent ?? 0;
    });
    if (e.analyser) result.dominantHz = peakHz(e.analyser);
    return result;
  },

  async stop() {
    for (const e of entries.values()) {
      if (e.session.state === SessionState.Established) e.session.bye().catch(() => undefined);
    }
    await Promise.race([
      Promise.allSettled([...phones.values()].map((p) => p.ua.stop())),
      new Promise((resolve) => setTimeout(resolve, 2000)),
    ]);
    await audio.close();
  },
};
