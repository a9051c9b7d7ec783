/**
 * The benchmark page script: loaded as a classic script BEFORE dist/soft-phone.bundle.js, so its
 * instrumentation (peer connections, getUserMedia, WebSockets) sees everything the element does.
 * It also carries a plain SIP.js 0.21.2 phone (UserAgent + Registerer + Inviter, SIP.js defaults plus
 * the lab's ICE rules), the baseline every figure is compared with in the same page and run.
 *
 * Everything is timed here with performance.now(): the Node side only orchestrates, so the
 * round trips through Playwright never enter a measurement.
 */
import { Inviter, Registerer, RegistererState, SessionState, UserAgent, type Invitation, type Session } from 'sip.js';
import { QualityMonitor } from '../../src/core/call-quality.js';
import { sampleFromStats } from '../../src/sip/quality-sampler.js';

export interface Account {
  extension: string;
  password: string;
  domain: string;
}

/** One thing that happened during a call, in ms since call() (see `timeline`). */
export interface Mark {
  t: number;
  what: string;
  /** How long it took, for marks that have a duration (AudioContext construction, long tasks). */
  ms?: number;
}

export interface CallResult {
  /** call() -> established (caller). */
  established: number;
  /** call() -> first audio packet received by the caller. */
  firstAudio: number;
  /** Which probe saw the audio first: 'ssrc' (getSynchronizationSources) or 'stats' (inbound-rtp). */
  audioProbe: string;
  marks: Mark[];
}

export interface PlainVariant {
  /** SIP.js iceGatheringTimeout (ms); undefined: the SIP.js default (5000). */
  iceGatheringTimeout?: number;
}

export interface Live {
  peerConnections: number;
  tracks: number;
}

// --- instrumentation ------------------------------------------------------------------------

interface PcTimeline {
  id: number;
  created: number;
  firstHostCandidate?: number;
  gatheringComplete?: number;
  iceConnected?: number;
  connected?: number;
}

let recording = true;
let pcSeq = 0;
/** Open peer connections and live tracks; closed/ended ones are pruned, so nothing is retained. */
const openPcs = new Set<RTCPeerConnection>();
const liveTracks = new Set<MediaStreamTrack>();
const pcInfo = new WeakMap<RTCPeerConnection, PcTimeline>();
/** Timelines and frames of the call being measured; cleared before each call. */
let pcTimelines: PcTimeline[] = [];
let frames: { t: number; ws: number; dir: 'out' | 'in'; first: string; callId: string; cseq: string }[] = [];
let gums: { start: number; end: number }[] = [];

const NativePc = window.RTCPeerConnection;
class TrackedPeerConnection extends NativePc {
  constructor(configuration?: RTCConfiguration) {
    super(configuration);
    const info: PcTimeline = { id: ++pcSeq, created: performance.now() };
    pcInfo.set(this, info);
    for (const pc of openPcs) if (pc.signalingState === 'closed') openPcs.delete(pc);
    openPcs.add(this);
    if (recording) pcTimelines.push(info);
    this.addEventListener('icecandidate', (e) => {
      const c = e.candidate?.candidate;
      if (c && info.firstHostCandidate === undefined && c.includes(' 127.0.0.1 ') && c.includes(' typ host')) {
        info.firstHostCandidate = performance.now();
      }
    });
    this.addEventListener('icegatheringstatechange', () => {
      if (this.iceGatheringState === 'complete') info.gatheringComplete ??= performance.now();
    });
    this.addEventListener('iceconnectionstatechange', () => {
      if (this.iceConnectionState === 'connected' || this.iceConnectionState === 'completed') info.iceConnected ??= performance.now();
    });
    this.addEventListener('connectionstatechange', () => {
      if (this.connectionState === 'connected') info.connected ??= performance.now();
      if (this.connectionState === 'closed') openPcs.delete(this);
    });
  }

  override close(): void {
    super.close();
    openPcs.delete(this);
  }
}
window.RTCPeerConnection = TrackedPeerConnection;

const mediaDevices = navigator.mediaDevices;
const nativeGum = mediaDevices.getUserMedia.bind(mediaDevices);
mediaDevices.getUserMedia = async (constraints?: MediaStreamConstraints): Promise<MediaStream> => {
  const start = performance.now();
  const stream = await nativeGum(constraints);
  if (recording) gums.push({ start, end: performance.now() });
  for (const t of liveTracks) if (t.readyState === 'ended') liveTracks.delete(t);
  for (const t of stream.getTracks()) liveTracks.add(t);
  return stream;
};

// The element synthesizes ring tones with Web Audio. `?notones` takes Web Audio away (the element
// then plays no tones): a diagnostic run that shows what the tones cost a call's set-up.
let audioContexts: { start: number; end: number }[] = [];
const NativeAudioContext = window.AudioContext;
class TrackedAudioContext extends NativeAudioContext {
  constructor(options?: AudioContextOptions) {
    const start = performance.now();
    super(options);
    if (recording) audioContexts.push({ start, end: performance.now() });
  }
}
if (new URLSearchParams(location.search).has('notones')) {
  (window as { AudioContext?: unknown }).AudioContext = undefined;
} else {
  window.AudioContext = TrackedAudioContext;
}

/** Main-thread tasks over 50 ms: the page runs caller and callee on one thread, so they delay both. */
let longTasks: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  if (!recording) return;
  for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
}).observe({ type: 'longtask', buffered: false });

let wsSeq = 0;
let sockets: { id: number; created: number; open?: number }[] = [];
function recordFrame(ws: number, dir: 'out' | 'in', data: unknown): void {
  if (!recording || typeof data !== 'string') return;
  const first = data.slice(0, data.indexOf('\r\n'));
  if (!first) return; // keep-alive CRLFs
  const callId = /\r\n(?:Call-ID|i):\s*([^\r\n]+)/i.exec(data)?.[1] ?? '';
  const cseq = /\r\nCSeq:\s*([^\r\n]+)/i.exec(data)?.[1] ?? '';
  frames.push({ t: performance.now(), ws, dir, first, callId, cseq });
}
const NativeWs = window.WebSocket;
class TrackedWebSocket extends NativeWs {
  readonly #id = ++wsSeq;
  constructor(url: string | URL, protocols?: string | string[]) {
    const created = performance.now();
    super(url, protocols);
    const info: { id: number; created: number; open?: number } = { id: this.#id, created };
    if (recording) sockets.push(info);
    this.addEventListener('open', () => (info.open = performance.now()));
    this.addEventListener('message', (e: MessageEvent) => recordFrame(this.#id, 'in', e.data));
  }

  override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    recordFrame(this.#id, 'out', data);
    super.send(data);
  }
}
window.WebSocket = TrackedWebSocket;

function resetMarks(): void {
  pcTimelines = [];
  frames = [];
  gums = [];
  audioContexts = [];
  longTasks = [];
  sockets = [];
}

/** What happened between connect (t0) and registered (done): WebSocket, REGISTER exchange, long tasks. */
function registrationTimeline(t0: number, done: number): Mark[] {
  const rel = (t: number): number => Math.round((t - t0) * 10) / 10;
  const marks: Mark[] = [];
  const ws = sockets[0];
  if (ws) {
    marks.push({ t: rel(ws.created), what: 'WebSocket created' });
    if (ws.open) marks.push({ t: rel(ws.open), what: 'WebSocket open' });
    for (const f of frames) {
      if (f.ws !== ws.id || f.t > done) continue;
      const label = f.first.startsWith('SIP/2.0 ') ? `${f.first.split(' ')[1]} ${f.cseq.split(' ')[1] ?? ''}` : f.first.split(' ')[0];
      marks.push({ t: rel(f.t), what: `${f.dir === 'out' ? 'sent' : 'got'} ${label}` });
    }
  }
  for (const l of longTasks) {
    if (l.start + l.duration >= t0 && l.start <= done) marks.push({ t: rel(l.start), what: 'long task', ms: Math.round(l.duration) });
  }
  marks.push({ t: rel(done), what: 'registered' });
  return marks.sort((a, b) => a.t - b.t);
}

/**
 * What happened during the call that started at t0: SIP messages on the caller's and the callee's
 * WebSocket (by Call-ID), getUserMedia, and the ICE milestones of both peer connections.
 */
function timeline(t0: number, established: number, firstAudio: number): Mark[] {
  const marks: Mark[] = [];
  const rel = (t: number): number => Math.round((t - t0) * 10) / 10;
  const invite = frames.find((f) => f.dir === 'out' && f.first.startsWith('INVITE ') && f.t >= t0);
  if (invite) {
    const callerWs = invite.ws;
    const calleeWs = frames.find((f) => f.dir === 'in' && f.first.startsWith('INVITE ') && f.ws !== callerWs)?.ws;
    for (const f of frames) {
      const side = f.ws === callerWs ? 'caller' : f.ws === calleeWs ? 'callee' : undefined;
      // a proxy keeps the Call-ID: both legs of the call carry the caller's
      if (!side || f.t < t0 || f.callId !== invite.callId) continue;
      const label = f.first.startsWith('SIP/2.0 ') ? `${f.first.split(' ')[1]} ${f.cseq.split(' ')[1] ?? ''}` : f.first.split(' ')[0];
      marks.push({ t: rel(f.t), what: `${side} ${f.dir === 'out' ? 'sent' : 'got'} ${label}` });
    }
  }
  const [caller, callee] = pcTimelines;
  for (const [name, pc] of [['caller', caller], ['callee', callee]] as const) {
    if (!pc) continue;
    marks.push({ t: rel(pc.created), what: `${name} pc created` });
    if (pc.firstHostCandidate) marks.push({ t: rel(pc.firstHostCandidate), what: `${name} first host candidate` });
    if (pc.gatheringComplete) marks.push({ t: rel(pc.gatheringComplete), what: `${name} gathering complete` });
    if (pc.iceConnected) marks.push({ t: rel(pc.iceConnected), what: `${name} ICE connected` });
    if (pc.connected) marks.push({ t: rel(pc.connected), what: `${name} pc connected` });
  }
  gums.forEach((g, i) => {
    const name = i === 0 ? 'caller' : 'callee';
    marks.push({ t: rel(g.start), what: `${name} getUserMedia start` });
    marks.push({ t: rel(g.end), what: `${name} getUserMedia done` });
  });
  audioContexts.forEach((a, i) => {
    marks.push({ t: rel(a.start), what: `AudioContext ${i + 1} created`, ms: Math.round(a.end - a.start) });
  });
  for (const l of longTasks) {
    if (l.start + l.duration >= t0 && l.start <= t0 + firstAudio) marks.push({ t: rel(l.start), what: 'long task', ms: Math.round(l.duration) });
  }
  marks.push({ t: rel(t0 + established), what: 'caller established' });
  marks.push({ t: rel(t0 + firstAudio), what: 'caller first audio packet' });
  return marks.sort((a, b) => a.t - b.t);
}

// --- helpers --------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The lab's network rule for the plain phones: only 127.0.0.1 candidates leave the page. */
function loopbackOnly(description: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit> {
  if (!description.sdp) return Promise.resolve(description);
  const sdp = description.sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || l.split(' ')[4] === '127.0.0.1')
    .join('\r\n');
  return Promise.resolve({ type: description.type, sdp });
}

/**
 * Resolves with the time the newest peer connection created since `since` got its first audio
 * packet: RTCRtpReceiver.getSynchronizationSources() every ~2 ms, getStats() every ~10 ms.
 */
async function firstAudio(since: number, timeoutMs = 10_000): Promise<{ t: number; probe: string }> {
  const deadline = performance.now() + timeoutMs;
  let n = 0;
  for (;;) {
    const pc = [...openPcs].find((p) => (pcInfo.get(p)?.created ?? 0) >= since);
    if (pc) {
      if (pc.getReceivers().some((r) => r.track.kind === 'audio' && r.getSynchronizationSources().length > 0)) {
        return { t: performance.now(), probe: 'ssrc' };
      }
      if (n++ % 5 === 0) {
        let packets = 0;
        (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived ?? 0;
        });
        if (packets > 0) return { t: performance.now(), probe: 'stats' };
      }
    }
    if (performance.now() > deadline) throw new Error('no audio packet received');
    await sleep(2);
  }
}

function waitEvent(el: Element, type: string, timeoutMs = 10_000, where: (e: CustomEvent) => boolean = () => true): Promise<CustomEvent> {
  return withTimeout(
    new Promise<CustomEvent>((resolve) => {
      const listener = (e: Event): void => {
        if (!where(e as CustomEvent)) return;
        el.removeEventListener(type, listener);
        resolve(e as CustomEvent);
      };
      el.addEventListener(type, listener);
    }),
    timeoutMs,
    type,
  );
}

// --- <soft-phone> ---------------------------------------------------------------------------

interface SoftPhoneLike extends HTMLElement {
  iceServers: RTCIceServer[];
  engineOptions: Record<string, unknown>;
  password: string;
  registrationState: string;
  call(number: string): Promise<{ id: string }>;
  answer(id?: string): Promise<void>;
  hangup(id?: string): Promise<void>;
}

function makeElement(server: string, account: Account): SoftPhoneLike {
  const el = document.createElement('soft-phone') as SoftPhoneLike;
  el.setAttribute('server', server);
  el.setAttribute('domain', account.domain);
  el.setAttribute('extension', account.extension);
  el.setAttribute('expires', '30');
  el.iceServers = [];
  el.engineOptions = { candidateFilter: ['127.0.0.1'] };
  el.password = account.password;
  return el;
}

export interface RegisterResult {
  ms: number;
  marks: Mark[];
}

/** Append -> softphone-registered. */
async function elementRegister(server: string, account: Account): Promise<RegisterResult> {
  const el = makeElement(server, account);
  const registered = waitEvent(el, 'softphone-registered');
  resetMarks();
  const t0 = performance.now();
  document.body.append(el);
  let rendered = 0;
  void (el as unknown as { updateComplete: Promise<unknown> }).updateComplete.then(() => (rendered = performance.now()));
  await registered;
  const done = performance.now();
  const marks = registrationTimeline(t0, done);
  if (rendered) marks.push({ t: Math.round((rendered - t0) * 10) / 10, what: 'first render done' });
  const result = { ms: done - t0, marks: marks.sort((a, b) => a.t - b.t) };
  const gone = waitEvent(el, 'softphone-unregistered', 5000).catch(() => undefined);
  el.remove();
  await gone;
  resetMarks();
  return result;
}

let pair: { a: SoftPhoneLike; b: SoftPhoneLike; bNumber: string } | undefined;

/** Two elements, `b` answering at once; `serverB`: the callee's server when it is not `server`. */
async function elementPair(server: string, a: Account, b: Account, serverB = server): Promise<void> {
  const elA = makeElement(server, a);
  const elB = makeElement(serverB, b);
  const registered = Promise.all([waitEvent(elA, 'softphone-registered'), waitEvent(elB, 'softphone-registered')]);
  document.body.append(elA, elB);
  await registered;
  // the callee answers at once, inside the event: no round trip to the test runner
  elB.addEventListener('softphone-incoming-call', (e) => {
    const call = (e as CustomEvent<{ call: { id: string } }>).detail.call;
    elB.answer(call.id).catch((error: unknown) => console.error('answer failed', error));
  });
  pair = { a: elA, b: elB, bNumber: b.extension };
}

async function elementCall(options: { marks?: boolean } = {}): Promise<CallResult> {
  if (!pair) throw new Error('no element pair');
  const { a, b, bNumber } = pair;
  resetMarks();
  recording = options.marks ?? true;
  const established = waitEvent(a, 'softphone-call-established');
  const endedA = waitEvent(a, 'softphone-call-ended', 15_000);
  const endedB = waitEvent(b, 'softphone-call-ended', 15_000);
  const t0 = performance.now();
  const audio = firstAudio(t0);
  await a.call(bNumber);
  await established;
  const tEst = performance.now() - t0;
  const heard = await audio;
  const result: CallResult = { established: tEst, firstAudio: heard.t - t0, audioProbe: heard.probe, marks: [] };
  if (recording) result.marks = timeline(t0, result.established, result.firstAudio);
  recording = true;
  await a.hangup();
  await Promise.all([endedA, endedB]);
  resetMarks();
  return result;
}

/**
 * One established element call held for the main-thread measurement of the quality sampler:
 * `sampling` false is the baseline (the same call without the sampler). Resolves once the call is
 * up and, with sampling, both phones have their first figures.
 */
async function elementHoldStart(sampling: boolean): Promise<void> {
  if (!pair) throw new Error('no element pair');
  const { a, b, bNumber } = pair;
  for (const el of [a, b]) el.engineOptions = { candidateFilter: ['127.0.0.1'], qualitySampling: sampling };
  // the new engine options are applied after the element's update
  await new Promise((r) => setTimeout(r, 0));
  const established = waitEvent(a, 'softphone-call-established');
  await a.call(bNumber);
  await established;
  const measured = (el: SoftPhoneLike): boolean => (el as unknown as { calls: { quality?: unknown }[] }).calls.some((c) => c.quality);
  if (sampling) {
    const t0 = performance.now();
    while (!(measured(a) && measured(b))) {
      if (performance.now() - t0 > 10_000) throw new Error('no quality figures within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  longTasks = [];
  recording = true;
}

/**
 * The sampler's own work, `count` samples back to back on the held call's peer connection: what
 * the element does once a second (getStats(), reading the report, the warning logic). `baseline`
 * runs the same loop with an empty await instead. Returns the wall time.
 */
async function samplerLoop(count: number, baseline: boolean): Promise<number> {
  const pc = [...openPcs].find((p) => p.connectionState === 'connected');
  if (!pc) throw new Error('no connected peer connection');
  const monitor = new QualityMonitor();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (baseline) await Promise.resolve(i);
    else {
      const report = await pc.getStats();
      monitor.add(sampleFromStats(report, performance.now() + i * 1000), { held: false, muted: false });
    }
  }
  return performance.now() - t0;
}

/** Ends the held call; returns the long tasks seen while it was held. */
async function elementHoldEnd(): Promise<{ longTasks: number; longestMs: number }> {
  if (!pair) throw new Error('no element pair');
  const { a, b } = pair;
  const seen = { longTasks: longTasks.length, longestMs: Math.max(0, ...longTasks.map((t) => t.duration)) };
  const ended = Promise.all([waitEvent(a, 'softphone-call-ended', 15_000), waitEvent(b, 'softphone-call-ended', 15_000)]);
  await a.hangup();
  await ended;
  for (const el of [a, b]) el.engineOptions = { candidateFilter: ['127.0.0.1'] };
  resetMarks();
  return seen;
}

/**
 * The pair's caller calls `number` (a desk phone that answers by itself, through the media relay):
 * call() -> established and -> first audio packet, then hangs up.
 */
async function elementCallTo(number: string): Promise<CallResult> {
  if (!pair) throw new Error('no element pair');
  const { a } = pair;
  resetMarks();
  const established = waitEvent(a, 'softphone-call-established');
  const ended = waitEvent(a, 'softphone-call-ended', 15_000);
  const t0 = performance.now();
  const audio = firstAudio(t0);
  await a.call(number);
  await established;
  const tEst = performance.now() - t0;
  const heard = await audio;
  const result: CallResult = { established: tEst, firstAudio: heard.t - t0, audioProbe: heard.probe, marks: [] };
  await a.hangup();
  await ended;
  resetMarks();
  return result;
}

/** When a call reached the pair's callee (it answers at once), wall-clock ms (Date.now()). */
export interface InboundResult {
  ringingAt: number;
  establishedAt: number;
  firstAudioAt: number;
}

/**
 * Waits for the next call to the pair's callee (placed from outside the page, e.g. the carrier), which
 * answers it inside the event: when it rang, was established, and heard the first packet; then hangs up.
 * Wall-clock times, so the Node side can measure from when it placed the call.
 */
async function elementInbound(timeoutMs = 15_000): Promise<InboundResult> {
  if (!pair) throw new Error('no element pair');
  const { b } = pair;
  let tRing = 0;
  let tEst = 0;
  const ringing = waitEvent(b, 'softphone-incoming-call', timeoutMs, () => ((tRing = performance.now()), true));
  const established = waitEvent(b, 'softphone-call-established', timeoutMs, () => ((tEst = performance.now()), true));
  const ended = waitEvent(b, 'softphone-call-ended', timeoutMs + 15_000);
  await ringing;
  const audio = firstAudio(tRing);
  await established;
  const heard = await audio;
  await b.hangup();
  await ended;
  resetMarks();
  const wall = (t: number): number => performance.timeOrigin + t;
  return { ringingAt: wall(tRing), establishedAt: wall(tEst), firstAudioAt: wall(heard.t) };
}

/** Empties both elements' call history (to see how much of the heap it holds). */
function clearElementHistory(): void {
  for (const el of pair ? [pair.a, pair.b] : []) (el as unknown as { clearCallHistory?: () => void }).clearCallHistory?.();
}

async function elementPairStop(): Promise<void> {
  if (!pair) return;
  const { a, b } = pair;
  pair = undefined;
  const gone = Promise.all([a, b].map((el) => waitEvent(el, 'softphone-unregistered', 5000).catch(() => undefined)));
  a.remove();
  b.remove();
  await gone;
}

// --- plain SIP.js ---------------------------------------------------------------------------

const MEDIA = { constraints: { audio: true, video: false } };
/**
 * The element's registration options: expires 30, refreshed every 15 s. (SIP.js's default refresh at
 * 99 % of the expiry lets a binding lapse whenever the page is a little late.)
 */
const REGISTRATION = { expires: 30, refreshFrequency: 50 };

function plainUserAgent(server: string, account: Account, variant: PlainVariant, onInvite?: (i: Invitation) => void): UserAgent {
  const uri = UserAgent.makeURI(`sip:${account.extension}@${account.domain}`);
  if (!uri) throw new Error('bad uri');
  return new UserAgent({
    uri,
    transportOptions: { server },
    authorizationUsername: account.extension,
    authorizationPassword: account.password,
    logLevel: 'warn',
    sessionDescriptionHandlerFactoryOptions: {
      // explicit: SIP.js's default configuration contains a public STUN server
      peerConnectionConfiguration: { iceServers: [] },
      ...(variant.iceGatheringTimeout !== undefined ? { iceGatheringTimeout: variant.iceGatheringTimeout } : {}),
    },
    ...(onInvite ? { delegate: { onInvite } } : {}),
  });
}

function register(registerer: Registerer): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      registerer
        .register({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (r) => reject(new Error(`REGISTER refused: ${r.message.statusCode ?? 0}`)),
          },
        })
        .catch(reject);
    }),
    10_000,
    'REGISTER',
  );
}

async function plainStop(ua: UserAgent, registerer: Registerer): Promise<void> {
  if (registerer.state === RegistererState.Registered) {
    await withTimeout(
      new Promise<void>((resolve) => {
        registerer
          .unregister({ requestDelegate: { onAccept: () => resolve(), onReject: () => resolve() } })
          .catch(() => resolve());
      }),
      3000,
      'unREGISTER',
    ).catch(() => undefined);
  }
  await ua.stop();
}

/** new UserAgent -> start -> Registerer(expires 30) -> 200 OK. */
async function plainRegister(server: string, account: Account): Promise<RegisterResult> {
  resetMarks();
  const t0 = performance.now();
  const ua = plainUserAgent(server, account, {});
  await ua.start();
  const registerer = new Registerer(ua, REGISTRATION);
  await register(registerer);
  const done = performance.now();
  const result = { ms: done - t0, marks: registrationTimeline(t0, done) };
  await plainStop(ua, registerer);
  resetMarks();
  return result;
}

interface PlainPhone {
  ua: UserAgent;
  registerer: Registerer;
}

/** Plays the remote audio once the session is established, as SIP.js's SimpleUser does. */
function playWhenEstablished(session: Session): void {
  const audio = document.createElement('audio');
  audio.autoplay = true;
  const listener = (s: SessionState): void => {
    if (s === SessionState.Established) {
      const pc = (session.sessionDescriptionHandler as unknown as { peerConnection?: RTCPeerConnection }).peerConnection;
      const tracks = pc?.getReceivers().map((r) => r.track) ?? [];
      audio.srcObject = new MediaStream(tracks);
      audio.play().catch(() => undefined);
    }
    if (s === SessionState.Terminated) {
      session.stateChange.removeListener(listener);
      audio.pause();
      audio.srcObject = null;
    }
  };
  session.stateChange.addListener(listener);
}

const plainPairs = new Map<string, { a: PlainPhone; b: PlainPhone; target: string; sessions: Set<Session> }>();

function ended(session: Session): Promise<void> {
  if (session.state === SessionState.Terminated) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (s: SessionState): void => {
      if (s !== SessionState.Terminated) return;
      session.stateChange.removeListener(listener);
      resolve();
    };
    session.stateChange.addListener(listener);
  });
}

async function plainPair(name: string, server: string, a: Account, b: Account, variant: PlainVariant): Promise<void> {
  const sessions = new Set<Session>();
  const uaA = plainUserAgent(server, a, variant);
  const uaB = plainUserAgent(server, b, variant, (invitation) => {
    sessions.add(invitation);
    // SIP.js sends 180 Ringing on its own (sendInitialProvisionalResponse); the host answers at once
    playWhenEstablished(invitation);
    void invitation.accept({ sessionDescriptionHandlerOptions: MEDIA, sessionDescriptionHandlerModifiers: [loopbackOnly] }).catch((e: unknown) =>
      console.error('plain accept failed', e),
    );
    void ended(invitation).then(() => sessions.delete(invitation));
  });
  await Promise.all([uaA.start(), uaB.start()]);
  const regA = new Registerer(uaA, REGISTRATION);
  const regB = new Registerer(uaB, REGISTRATION);
  await Promise.all([register(regA), register(regB)]);
  plainPairs.set(name, { a: { ua: uaA, registerer: regA }, b: { ua: uaB, registerer: regB }, target: `sip:${b.extension}@${b.domain}`, sessions });
}

async function plainCall(name: string, options: { marks?: boolean } = {}): Promise<CallResult> {
  const p = plainPairs.get(name);
  if (!p) throw new Error(`no plain pair ${name}`);
  resetMarks();
  recording = options.marks ?? true;
  const target = UserAgent.makeURI(p.target);
  if (!target) throw new Error('bad target');
  const t0 = performance.now();
  const audio = firstAudio(t0);
  const inviter = new Inviter(p.a.ua, target, { sessionDescriptionHandlerOptions: MEDIA, sessionDescriptionHandlerModifiers: [loopbackOnly] });
  playWhenEstablished(inviter);
  let status = '';
  const established = withTimeout(
    new Promise<number>((resolve, reject) => {
      inviter.stateChange.addListener((s) => {
        if (s === SessionState.Established) resolve(performance.now());
        if (s === SessionState.Terminated) reject(new Error(`plain call failed ${status}`));
      });
    }),
    10_000,
    'plain established',
  );
  await inviter.invite({ requestDelegate: { onReject: (r) => (status = `${r.message.statusCode ?? 0} ${r.message.reasonPhrase ?? ''}`) } });
  const tEst = (await established) - t0;
  const heard = await audio;
  const result: CallResult = { established: tEst, firstAudio: heard.t - t0, audioProbe: heard.probe, marks: [] };
  if (recording) result.marks = timeline(t0, result.established, result.firstAudio);
  recording = true;
  const calleeEnded = Promise.all([...p.sessions].map(ended));
  await inviter.bye();
  await Promise.all([ended(inviter), calleeEnded]);
  resetMarks();
  return result;
}

async function plainPairStop(name: string): Promise<void> {
  const p = plainPairs.get(name);
  if (!p) return;
  plainPairs.delete(name);
  await Promise.all([plainStop(p.a.ua, p.a.registerer), plainStop(p.b.ua, p.b.registerer)]);
}

// --- scale ----------------------------------------------------------------------------------

let crowd: SoftPhoneLike[] = [];
let plainCrowd: PlainPhone[] = [];

/** Appends one element per account at once; resolves when every one is registered. */
export interface ScaleResult {
  all: number;
  /** Start -> registered, per phone. */
  each: number[];
  /** WebSocket created -> open, per socket (the server's accept and handshake). */
  wsOpen: number[];
  /** First REGISTER sent -> 200 OK, per socket (401 challenge, digest, registrar). */
  register: number[];
  /** Sockets that closed or failed before their phone registered (retried by the phone). */
  socketsFailed: number;
}

/** Where the time of a crowd registration went, from the recorded sockets and frames. */
function crowdDetails(): Omit<ScaleResult, 'all' | 'each'> {
  const wsOpen = sockets.filter((w) => w.open !== undefined).map((w) => (w.open ?? 0) - w.created);
  const register: number[] = [];
  for (const w of sockets) {
    const first = frames.find((f) => f.ws === w.id && f.dir === 'out' && f.first.startsWith('REGISTER '));
    const ok = frames.find((f) => f.ws === w.id && f.dir === 'in' && f.first.startsWith('SIP/2.0 200') && f.cseq.endsWith('REGISTER'));
    if (first && ok) register.push(ok.t - first.t);
  }
  return { wsOpen, register, socketsFailed: sockets.length - register.length };
}

async function scaleElements(server: string, accounts: Account[]): Promise<ScaleResult> {
  const els = accounts.map((a) => makeElement(server, a));
  resetMarks();
  const t0 = performance.now();
  const each = els.map((el) => waitEvent(el, 'softphone-registered', 60_000).then(() => performance.now() - t0));
  for (const el of els) document.body.append(el);
  crowd = [...crowd, ...els];
  const times = await Promise.all(each);
  const result = { all: performance.now() - t0, each: times, ...crowdDetails() };
  resetMarks();
  return result;
}

async function scaleElementsStop(): Promise<void> {
  const els = crowd;
  crowd = [];
  const gone = Promise.all(els.map((el) => waitEvent(el, 'softphone-unregistered', 10_000).catch(() => undefined)));
  for (const el of els) el.remove();
  await gone;
}

async function scalePlain(server: string, accounts: Account[]): Promise<ScaleResult> {
  resetMarks();
  const t0 = performance.now();
  const times = await Promise.all(
    accounts.map(async (a) => {
      // a socket the server drops while connecting is retried after 0.5 s, as the element does
      for (let attempt = 1; ; attempt++) {
        const ua = plainUserAgent(server, a, {});
        try {
          await ua.start();
          const registerer = new Registerer(ua, REGISTRATION);
          await register(registerer);
          plainCrowd.push({ ua, registerer });
          return performance.now() - t0;
        } catch (error) {
          await ua.stop().catch(() => undefined);
          if (attempt >= 10) throw error;
          await sleep(500);
        }
      }
    }),
  );
  const result = { all: performance.now() - t0, each: times, ...crowdDetails() };
  resetMarks();
  return result;
}

async function scalePlainStop(): Promise<void> {
  const list = plainCrowd;
  plainCrowd = [];
  await Promise.all(list.map((p) => plainStop(p.ua, p.registerer)));
}

// --- memory ---------------------------------------------------------------------------------

/** usedJSHeapSize after full garbage collections (needs --js-flags=--expose-gc, --enable-precise-memory-info). */
async function heap(): Promise<number> {
  const w = window as unknown as { gc?: () => void };
  if (!w.gc) throw new Error('window.gc is missing: start Chromium with --js-flags=--expose-gc');
  for (let i = 0; i < 3; i++) {
    w.gc();
    await sleep(100);
  }
  return (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
}

function live(): Live {
  return {
    peerConnections: [...openPcs].filter((pc) => pc.signalingState !== 'closed' && pc.connectionState !== 'closed').length,
    tracks: [...liveTracks].filter((t) => t.readyState === 'live').length,
  };
}

const api = {
  ready: () => customElements.get('soft-phone') !== undefined,
  elementRegister,
  plainRegister,
  elementPair,
  elementCall,
  elementCallTo,
  elementInbound,
  elementPairStop,
  elementHoldStart,
  elementHoldEnd,
  samplerLoop,
  clearElementHistory,
  plainPair,
  plainCall,
  plainPairStop,
  scaleElements,
  scaleElementsStop,
  scalePlain,
  scalePlainStop,
  heap,
  live,
};

export type BenchApi = typeof api;
(window as unknown as { bench: BenchApi }).bench = api;
