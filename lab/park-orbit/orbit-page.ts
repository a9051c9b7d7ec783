/**
 * The park orbit's page script: one SIP.js UserAgent + Registerer per slot, real WebRTC media.
 *
 * Free slot: answer, play music on hold. Occupied slot and the INVITE carries Referred-By (a phone
 * following a blind-transfer REFER, i.e. a park attempt): 486. Occupied slot without Referred-By:
 * a retrieve, answered and bridged to the parked call. Not retrieved in time: the orbit calls the
 * parker back from the slot ("Park 701" <sip:701@domain>) and bridges the parked call to it.
 *
 * Bridging happens here: each leg's received audio track is sent on the other leg
 * (RTCRtpSender.replaceTrack). That needs no support from the phones, unlike REFER with Replaces.
 */
import { Inviter, Registerer, RegistererState, SessionState, UserAgent, Web } from 'sip.js';
import type { Invitation, Session, URI } from 'sip.js';
import type { OrbitEvent, OrbitPageConfig, ParkedCall } from './protocol.js';
import { loopbackOnly, pageUserAgent } from './page-user-agent.js';

declare global {
  interface Window {
    parkOrbit: OrbitPageApi;
    /** Bound by the Node side (page.exposeFunction) to receive the orbit's events. */
    parkOrbitEvent?: (event: OrbitEvent) => Promise<void>;
  }
}

export interface OrbitPageApi {
  start(config: OrbitPageConfig): Promise<void>;
  registered(): string[];
  occupied(): Record<string, ParkedCall>;
  stop(): Promise<void>;
}

interface Parked {
  session: Invitation;
  caller: string;
  callerName?: string;
  parkedBy?: string;
  parkedByUri?: URI;
  since: number;
  returns: number;
  timer?: ReturnType<typeof setTimeout>;
  callback?: Inviter;
}

interface Slot {
  slot: string;
  ua: UserAgent;
  registerer: Registerer;
  registered: boolean;
  recovering: boolean;
  parked?: Parked;
}

let config: OrbitPageConfig | undefined;
let stopping = false;
const slots = new Map<string, Slot>();
const sessions = new Set<Session>();
/** Bridged legs: each maps to the other. */
const partners = new Map<Session, Session>();

function emit(event: OrbitEvent): void {
  void window.parkOrbitEvent?.(event).catch(() => undefined);
}

// ---- music on hold: an oscillator melody rendered into a MediaStream track ----

const MELODY_HZ = [523.25, 659.25, 783.99, 659.25, 587.33, 698.46, 880.0, 698.46];
const NOTE_SECONDS = 0.3;

class MusicOnHold {
  private readonly context = new AudioContext();
  private readonly destination = this.context.createMediaStreamDestination();
  private readonly oscillator = this.context.createOscillator();
  private readonly gain = this.context.createGain();
  private scheduledUntil = 0;
  private note = 0;
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor() {
    this.oscillator.type = 'triangle';
    this.gain.gain.value = 0.25;
    this.oscillator.connect(this.gain).connect(this.destination);
    this.oscillator.start();
    this.schedule();
    // Notes are scheduled a little ahead so timer jitter never leaves a gap.
    this.ticker = setInterval(() => this.schedule(), 500);
  }

  async ready(): Promise<void> {
    if (this.context.state !== 'running') await this.context.resume();
  }

  private schedule(): void {
    const now = this.context.currentTime;
    if (this.scheduledUntil < now) this.scheduledUntil = now;
    while (this.scheduledUntil < now + 2) {
      const hz = MELODY_HZ[this.note % MELODY_HZ.length] ?? 440;
      this.oscillator.frequency.setValueAtTime(hz, this.scheduledUntil);
      this.note += 1;
      this.scheduledUntil += NOTE_SECONDS;
    }
  }

  /** A new track per call: SIP.js stops a call's local tracks when it ends. */
  track(): MediaStreamTrack {
    const track = this.destination.stream.getAudioTracks()[0];
    if (!track) throw new Error('music on hold has no track');
    return track.clone();
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    this.oscillator.stop();
    await this.context.close();
  }
}

let music: MusicOnHold | undefined;

function mediaStreamFactory(): Promise<MediaStream> {
  if (!music) return Promise.reject(new Error('orbit not started'));
  return Promise.resolve(new MediaStream([music.track()]));
}

// ---- sessions ----

/**
 * Chromium decodes a received audio track only while something plays it; without a playing sink a
 * bridged leg would forward no RTP at all. So every leg gets an audio element.
 */
function play(session: Session): HTMLAudioElement | undefined {
  const handler = session.sessionDescriptionHandler;
  if (!(handler instanceof Web.SessionDescriptionHandler)) return undefined;
  const element = new Audio();
  element.srcObject = handler.remoteMediaStream;
  element.play().catch(() => undefined);
  return element;
}

function track(session: Session): void {
  sessions.add(session);
  session.sessionDescriptionHandlerModifiersReInvite = [loopbackOnly];
  let sink: HTMLAudioElement | undefined;
  session.stateChange.addListener((state) => {
    if (state === SessionState.Established) sink = play(session);
    if (state !== SessionState.Terminated) return;
    if (sink) sink.srcObject = null;
    sessions.delete(session);
    const partner = partners.get(session);
    if (partner) {
      partners.delete(session);
      partners.delete(partner);
      hangup(partner);
    }
  });
}

function hangup(session: Session): void {
  const done = (): undefined => undefined;
  switch (session.state) {
    case SessionState.Initial:
    case SessionState.Establishing:
      if (session instanceof Inviter) session.cancel().catch(done);
      else (session as Invitation).reject().catch(done);
      break;
    case SessionState.Established:
      session.bye().catch(done);
      break;
    default:
      break;
  }
}

function peerConnection(session: Session): RTCPeerConnection | undefined {
  const handler = session.sessionDescriptionHandler;
  return handler instanceof Web.SessionDescriptionHandler ? handler.peerConnection : undefined;
}

function receivedAudio(session: Session): MediaStreamTrack | undefined {
  return peerConnection(session)
    ?.getReceivers()
    .map((receiver) => receiver.track)
    .find((t) => t.kind === 'audio');
}

async function send(session: Session, outgoing: MediaStreamTrack): Promise<void> {
  const sender = peerConnection(session)
    ?.getSenders()
    .find((s) => s.track?.kind === 'audio');
  if (!sender) throw new Error('no audio sender');
  const previous = sender.track;
  await sender.replaceTrack(outgoing);
  previous?.stop();
}

/** Connects two established legs: each hears what the other sends. */
async function bridge(a: Session, b: Session): Promise<void> {
  partners.set(a, b);
  partners.set(b, a);
  const fromA = receivedAudio(a);
  const fromB = receivedAudio(b);
  if (!fromA || !fromB) throw new Error('a leg has no received audio');
  await Promise.all([send(a, fromB.clone()), send(b, fromA.clone())]);
}

function userOf(header: string | undefined): { user?: string; uri?: URI } {
  if (!header) return {};
  const match = /<([^>]+)>/.exec(header);
  const uri = UserAgent.makeURI((match?.[1] ?? header).trim());
  return uri ? { user: uri.user, uri } : {};
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- park, refuse, retrieve, return ----

function onInvite(slot: Slot, invitation: Invitation): void {
  track(invitation);
  const caller = invitation.remoteIdentity.uri.user ?? 'anonymous';
  const referredBy = invitation.request.getHeader('Referred-By');
  if (!slot.parked) {
    void park(slot, invitation, caller, referredBy);
  } else if (referredBy || slot.parked.session.state !== SessionState.Established) {
    // A park attempt, or a retrieve of a call that is still being parked: busy either way.
    emit({ type: 'refused', slot: slot.slot, caller, reason: 'slot occupied' });
    invitation.reject({ statusCode: 486, reasonPhrase: 'Busy Here' }).catch(() => undefined);
  } else {
    void retrieve(slot, slot.parked, invitation, caller);
  }
}

async function park(slot: Slot, session: Invitation, caller: string, referredBy: string | undefined): Promise<void> {
  const by = userOf(referredBy);
  const parked: Parked = {
    session,
    caller,
    callerName: session.remoteIdentity.displayName || undefined,
    parkedBy: by.user,
    parkedByUri: by.uri,
    since: Date.now(),
    returns: 0,
  };
  // Occupied from the first moment, so a concurrent park attempt is refused.
  slot.parked = parked;
  session.stateChange.addListener((state) => {
    if (state !== SessionState.Terminated || slot.parked !== parked) return;
    unpark(slot, parked);
    emit({ type: 'ended', slot: slot.slot, caller, reason: 'parked caller hung up' });
  });
  try {
    await session.accept({ sessionDescriptionHandlerModifiers: [loopbackOnly] });
  } catch (error) {
    if (slot.parked === parked) unpark(slot, parked);
    emit({ type: 'error', slot: slot.slot, message: `answering ${caller}: ${describe(error)}` });
    return;
  }
  emit({ type: 'parked', slot: slot.slot, caller, parkedBy: parked.parkedBy });
  armTimer(slot, parked);
}

function unpark(slot: Slot, parked: Parked): void {
  clearTimeout(parked.timer);
  const callback = parked.callback;
  parked.callback = undefined;
  if (callback) hangup(callback);
  if (slot.parked === parked) slot.parked = undefined;
}

function armTimer(slot: Slot, parked: Parked): void {
  clearTimeout(parked.timer);
  parked.timer = setTimeout(() => giveBack(slot, parked), (config?.timeoutSeconds ?? 120) * 1000);
}

async function retrieve(slot: Slot, parked: Parked, session: Invitation, by: string): Promise<void> {
  unpark(slot, parked);
  try {
    await session.accept({ sessionDescriptionHandlerModifiers: [loopbackOnly] });
  } catch (error) {
    // The retriever went away before being answered: the call goes back to its slot if still free.
    emit({ type: 'error', slot: slot.slot, message: `answering retrieve by ${by}: ${describe(error)}` });
    if (parked.session.state === SessionState.Established && !slot.parked) {
      slot.parked = parked;
      armTimer(slot, parked);
    }
    return;
  }
  if (parked.session.state !== SessionState.Established) {
    hangup(session);
    return;
  }
  try {
    await bridge(session, parked.session);
    emit({ type: 'retrieved', slot: slot.slot, caller: parked.caller, by });
  } catch (error) {
    emit({ type: 'error', slot: slot.slot, message: `retrieving ${parked.caller}: ${describe(error)}` });
    hangup(session);
  }
}

function giveBack(slot: Slot, parked: Parked): void {
  if (slot.parked !== parked || stopping) return;
  const target = parked.parkedByUri;
  if (!target) {
    unpark(slot, parked);
    emit({ type: 'ended', slot: slot.slot, caller: parked.caller, reason: 'timeout, nobody to return to' });
    hangup(parked.session);
    return;
  }
  const to = parked.parkedBy ?? target.toString();
  const inviter = new Inviter(slot.ua, target, {
    sessionDescriptionHandlerModifiers: [loopbackOnly],
    extraHeaders: [`X-Park-Slot: ${slot.slot}`, `X-Park-Caller: ${parked.caller}`],
  });
  track(inviter);
  parked.callback = inviter;
  emit({ type: 'returning', slot: slot.slot, caller: parked.caller, to });
  const ringLimit = setTimeout(() => hangup(inviter), (config?.ringSeconds ?? 30) * 1000);
  let reason = 'no answer';
  inviter.stateChange.addListener((state) => {
    if (state === SessionState.Established) {
      clearTimeout(ringLimit);
      if (slot.parked !== parked || parked.callback !== inviter) {
        hangup(inviter);
        return;
      }
      parked.callback = undefined;
      unpark(slot, parked);
      bridge(inviter, parked.session).then(
        () => emit({ type: 'returned', slot: slot.slot, caller: parked.caller, to }),
        (error: unknown) => {
          emit({ type: 'error', slot: slot.slot, message: `returning ${parked.caller}: ${describe(error)}` });
          hangup(inviter);
        },
      );
    } else if (state === SessionState.Terminated) {
      clearTimeout(ringLimit);
      if (parked.callback !== inviter) return;
      // The parker did not take the call back: it stays parked and comes back again later.
      parked.callback = undefined;
      parked.returns += 1;
      emit({ type: 'return-failed', slot: slot.slot, caller: parked.caller, to, reason });
      if (parked.returns >= (config?.maxReturns ?? 3)) {
        unpark(slot, parked);
        emit({ type: 'ended', slot: slot.slot, caller: parked.caller, reason: 'never taken back' });
        hangup(parked.session);
      } else {
        parked.since = Date.now();
        armTimer(slot, parked);
      }
    }
  });
  inviter
    .invite({
      requestDelegate: {
        onReject: (response) => {
          reason = `${response.message.statusCode} ${response.message.reasonPhrase}`;
        },
      },
    })
    .catch((error: unknown) => {
      reason = describe(error);
    });
}

// ---- user agents ----

async function startSlot(cfg: OrbitPageConfig, slot: string, password: string): Promise<Slot> {
  const { ua, registerer } = pageUserAgent({
    wsUrl: cfg.wsUrl,
    domain: cfg.domain,
    user: slot,
    password,
    displayName: `Park ${slot}`,
    media: mediaStreamFactory,
  });
  const state: Slot = { slot, ua, registerer, registered: false, recovering: false };
  ua.delegate = {
    onInvite: (invitation) => onInvite(state, invitation),
    // SIP.js does not reconnect by itself; a lab server restart must not lose the slots.
    onDisconnect: (error) => {
      setRegistered(state, false);
      if (error) recover(state);
    },
  };
  registerer.stateChange.addListener((s) => {
    // Refused or timed out (server restarting, account not visible yet): try again.
    if (s === RegistererState.Unregistered) {
      setRegistered(state, false);
      recover(state);
    }
  });
  try {
    await ua.start();
    await register(state);
  } catch {
    recover(state);
  }
  return state;
}

function setRegistered(slot: Slot, registered: boolean): void {
  if (registered === slot.registered) return;
  slot.registered = registered;
  emit({ type: registered ? 'registered' : 'unregistered', slot: slot.slot });
}

/**
 * The Registerer's state stays "Registered" across a lost connection, so whether the server
 * knows the slot is tracked here, from the answers to REGISTER.
 */
function register(slot: Slot): Promise<void> {
  return slot.registerer
    .register({
      requestDelegate: {
        onAccept: () => setRegistered(slot, true),
        onReject: () => {
          setRegistered(slot, false);
          recover(slot);
        },
      },
    })
    .then(() => undefined);
}

/**
 * Reconnects and registers again, once a second until it works. register() rejects while an
 * earlier REGISTER still waits for its answer (lost with the old connection); that clears when
 * the transaction times out, so retrying is enough.
 */
function recover(slot: Slot): void {
  if (stopping || slot.recovering) return;
  slot.recovering = true;
  setTimeout(() => {
    slot.recovering = false;
    if (stopping) return;
    (slot.ua.isConnected() ? Promise.resolve() : slot.ua.reconnect())
      .then(() => register(slot))
      .catch(() => recover(slot));
  }, 1000);
}

window.parkOrbit = {
  async start(cfg) {
    config = cfg;
    music = new MusicOnHold();
    await music.ready();
    await Promise.all(
      cfg.slots.map(async ({ slot, password }) => {
        slots.set(slot, await startSlot(cfg, slot, password));
      }),
    );
  },

  registered() {
    return [...slots.values()].filter((s) => s.registered).map((s) => s.slot);
  },

  occupied() {
    const result: Record<string, ParkedCall> = {};
    for (const s of slots.values()) {
      const p = s.parked;
      if (!p || p.session.state !== SessionState.Established) continue;
      result[s.slot] = {
        caller: p.caller,
        ...(p.callerName ? { callerName: p.callerName } : {}),
        ...(p.parkedBy ? { parkedBy: p.parkedBy } : {}),
        since: p.since,
        returning: p.callback !== undefined,
      };
    }
    return result;
  },

  async stop() {
    stopping = true;
    for (const s of slots.values()) if (s.parked) clearTimeout(s.parked.timer);
    for (const session of [...sessions]) hangup(session);
    // UserAgent.stop() unregisters; bounded so a dead server cannot hold the shutdown.
    const stopped = Promise.allSettled([...slots.values()].map((s) => s.ua.stop()));
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000))]);
    await music?.close();
  },
};
