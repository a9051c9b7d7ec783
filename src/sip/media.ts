/**
 * Media plumbing for calls: a session description handler that does not wait for ICE gathering
 * it does not need, the candidate filter, and the hidden audio element that plays a call.
 */
import { Web, type SessionDescriptionHandlerFactory, type SessionDescriptionHandlerModifier } from 'sip.js';
import type { IceServer } from '../core/types.js';

type SdhConfiguration = ConstructorParameters<typeof Web.SessionDescriptionHandler>[2];
type SdhLogger = ConstructorParameters<typeof Web.SessionDescriptionHandler>[0];
type SdhMediaFactory = ConstructorParameters<typeof Web.SessionDescriptionHandler>[1];

/** When a STUN/TURN server is configured, gathering may take this long at most. */
const GATHERING_LIMIT_MS = 1000;
/** Without a candidate filter, how long to wait for more host candidates after the first one. */
const HOST_GRACE_MS = 20;

export interface MediaOptions {
  iceServers: IceServer[];
  /** Keep only candidates for these addresses. Empty: keep all. */
  candidateFilter: readonly string[];
}

/** The address of an `a=candidate` line or RTCIceCandidate string (`candidate:... <addr> <port> typ ...`). */
function candidateAddress(line: string): string | undefined {
  const parts = line.replace(/^a=/, '').split(' ');
  return parts[4];
}

function candidateType(line: string): string | undefined {
  const parts = line.split(' ');
  const i = parts.indexOf('typ');
  return i >= 0 ? parts[i + 1] : undefined;
}

function candidateProtocol(line: string): string | undefined {
  return line.replace(/^a=/, '').split(' ')[2]?.toLowerCase();
}

export function candidateAllowed(line: string, filter: readonly string[]): boolean {
  if (filter.length === 0) return true;
  const address = candidateAddress(line);
  return address !== undefined && filter.includes(address);
}

/** Strips every `a=candidate` line whose address is not in the filter. */
export function filterCandidates(sdp: string, filter: readonly string[]): string {
  if (filter.length === 0) return sdp;
  return sdp
    .split(/\r\n/)
    .filter((line) => !line.startsWith('a=candidate:') || candidateAllowed(line, filter))
    .join('\r\n');
}

export function candidateModifier(filter: readonly string[]) {
  return (description: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit> =>
    Promise.resolve(
      filter.length === 0 || !description.sdp ? description : { ...description, sdp: filterCandidates(description.sdp, filter) },
    );
}

/**
 * SIP without trickle ICE must wait for candidates before sending a description, but on a LAN (or
 * loopback) the first host candidate is all the far end needs: waiting for gathering to complete
 * only adds latency. So the description goes out as soon as a usable candidate exists; with a
 * STUN/TURN server configured we wait for a server-reflexive or relay one (bounded).
 */
/** A promise that only ever rejects, when `reject` is called (never an unhandled rejection). */
function closingSignal(): { promise: Promise<never>; reject: (error: Error) => void } {
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<never>((_, fail) => (reject = fail));
  promise.catch(() => undefined);
  return { promise, reject };
}

class PromptSessionDescriptionHandler extends Web.SessionDescriptionHandler {
  #usable = false;
  #graceOver = false;
  readonly #filter: SessionDescriptionHandlerModifier;
  readonly #closing = closingSignal();

  constructor(logger: SdhLogger, factory: SdhMediaFactory, configuration: SdhConfiguration, options: MediaOptions) {
    super(logger, factory, configuration);
    this.#filter = candidateModifier(options.candidateFilter);
    const wantsServerCandidate = options.iceServers.length > 0;
    this.peerConnectionDelegate = {
      onicecandidate: (event: RTCPeerConnectionIceEvent) => {
        const line = event.candidate?.candidate;
        if (!line || this.#usable) return;
        if (!candidateAllowed(line, options.candidateFilter)) return;
        if (candidateProtocol(line) !== 'udp') return;
        const type = candidateType(line);
        if (wantsServerCandidate ? type === 'srflx' || type === 'relay' : type === 'host') {
          this.#usable = true;
          // Unfiltered, other interfaces' host candidates arrive within a few ms: take them along.
          if (options.candidateFilter.length === 0) setTimeout(() => this.iceGatheringComplete(), HOST_GRACE_MS);
          else this.iceGatheringComplete();
        }
      },
    };
  }

  /** Every local description (offer, answer, re-INVITE) passes the candidate filter. */
  override getDescription(
    options?: Web.SessionDescriptionHandlerOptions,
    modifiers: SessionDescriptionHandlerModifier[] = [],
  ): ReturnType<Web.SessionDescriptionHandler['getDescription']> {
    return Promise.race([super.getDescription(options, [...modifiers, this.#filter]), this.#closing.promise]);
  }

  protected override waitForIceGatheringComplete(restart = false, timeout = 0): Promise<void> {
    if (restart) this.#usable = this.#graceOver = false;
    else if (this.#usable && this.#graceOver) return Promise.resolve();
    return super.waitForIceGatheringComplete(restart, timeout);
  }

  override iceGatheringComplete(): void {
    if (this.#usable) this.#graceOver = true;
    super.iceGatheringComplete();
  }

  /**
   * A call that ends while its media is being set up (the caller's CANCEL arriving while we answer)
   * closes this handler. Chromium never settles a closed peer connection's pending operations, and
   * SIP.js does not end its waits either, so the answer would hang for good; every description
   * being made or applied fails instead, the moment the handler closes.
   */
  override close(): void {
    super.close();
    this.#closing.reject(new Error('the call ended while its media was being set up'));
  }

  override setDescription(...args: Parameters<Web.SessionDescriptionHandler['setDescription']>): Promise<void> {
    return Promise.race([super.setDescription(...args), this.#closing.promise]);
  }

  /**
   * SIP.js calls this when the far end refuses our re-INVITE (a hold or resume): without it the peer
   * connection stays in have-local-offer and every later offer fails. The direction our offer asked
   * for is undone too, so the call goes on exactly as negotiated before.
   */
  async rollbackDescription(): Promise<void> {
    const pc = this.peerConnection;
    if (!pc || pc.signalingState !== 'have-local-offer') return;
    await pc.setLocalDescription({ type: 'rollback' });
    for (const t of pc.getTransceivers()) {
      const now = t.currentDirection;
      if (now && now !== 'stopped') t.direction = now === 'sendonly' || now === 'inactive' ? now : 'sendrecv';
    }
  }
}

export function promptSdhFactory(options: MediaOptions): SessionDescriptionHandlerFactory {
  const mediaStreamFactory = Web.defaultMediaStreamFactory();
  return (session) => {
    const configuration: SdhConfiguration = {
      iceGatheringTimeout: GATHERING_LIMIT_MS,
      peerConnectionConfiguration: {
        ...Web.defaultPeerConnectionConfiguration(),
        // Explicit, always: the SIP.js default contains a public STUN server.
        iceServers: options.iceServers.map((s) => ({ ...s })),
      },
    };
    const logger = session.userAgent.getLogger('sip.SessionDescriptionHandler');
    return new PromptSessionDescriptionHandler(logger, mediaStreamFactory, configuration, options);
  };
}

/** Plays a call's remote audio through a detached `<audio>` element the engine owns. */
export class CallAudio {
  readonly #audio: HTMLAudioElement | undefined;

  constructor(stream: MediaStream, speaker: string | undefined, onBlocked: (error: unknown) => void) {
    if (typeof document === 'undefined') return;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.srcObject = stream;
    this.#audio = audio;
    const sink = audio as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
    if (speaker && sink.setSinkId) {
      sink.setSinkId(speaker).catch((error: unknown) => onBlocked(error));
    }
    audio.play().catch((error: unknown) => {
      // AbortError: the call ended before playback began; nothing was blocked.
      if (!(error instanceof DOMException && error.name === 'AbortError')) onBlocked(error);
    });
  }

  /** Retries playback after a user gesture unlocked audio. */
  resume(): Promise<void> {
    return this.#audio ? this.#audio.play() : Promise.resolve();
  }

  stop(): void {
    if (!this.#audio) return;
    this.#audio.pause();
    this.#audio.srcObject = null;
  }
}
