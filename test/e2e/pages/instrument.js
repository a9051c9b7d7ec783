/* global window, document, navigator, performance, setTimeout, RTCSessionDescription, AudioContext, MediaStream */
// Test-page instrumentation, loaded before the phone bundle. It records what a test needs to see
// from outside the element: every peer connection (for getStats and the remote audio), every
// microphone stream (to count live tracks), every console line and every softphone-* event.
// It also limits ICE to 127.0.0.1, the lab's network rule, whatever the phone is configured with.
(() => {
  const LOOPBACK = ' 127.0.0.1 ';
  const keep = (line) => !line || line.includes(LOOPBACK);
  const filterSdp = (sdp) =>
    sdp
      .split('\r\n')
      .filter((l) => !l.startsWith('a=candidate:') || keep(l))
      .join('\r\n');

  window.__pcs = [];
  const Native = window.RTCPeerConnection;
  class TrackedPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
    get localDescription() {
      const d = super.localDescription;
      return d && d.sdp ? new RTCSessionDescription({ type: d.type, sdp: filterSdp(d.sdp) }) : d;
    }
    set onicecandidate(fn) {
      super.onicecandidate = fn ? (e) => { if (!e.candidate || keep(e.candidate.candidate)) fn.call(this, e); } : fn;
    }
    get onicecandidate() {
      return super.onicecandidate;
    }
  }
  window.RTCPeerConnection = TrackedPeerConnection;

  window.__streams = [];
  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (c) => {
    const s = await gum(c);
    window.__streams.push(s);
    return s;
  };

  window.__console = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    const orig = console[level].bind(console);
    console[level] = (...args) => {
      window.__console.push(`${level}: ${args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
      orig(...args);
    };
  }

  const EVENTS = [
    'softphone-registering', 'softphone-registered', 'softphone-unregistered', 'softphone-registration-failed',
    'softphone-connection-lost', 'softphone-connection-restored', 'softphone-before-dial', 'softphone-incoming-call',
    'softphone-call-state', 'softphone-call-established', 'softphone-call-ended', 'softphone-call-held',
    'softphone-call-resumed', 'softphone-error',
    'softphone-transfer-completed', 'softphone-transfer-failed', 'softphone-call-parked',
    'softphone-call-quality',
    'softphone-call-reconnecting', 'softphone-call-reconnected', 'softphone-tab-role',
  ];
  window.__events = [];
  window.__test = {
    /** Creates a <soft-phone> with a lab account; returns its id. Events are recorded from creation on. */
    addPhone({ id, server, domain, extension, password, displayName, attrs = {}, engineOptions }) {
      const el = document.createElement('soft-phone');
      el.id = id;
      el.setAttribute('server', Array.isArray(server) ? server.join(' ') : server);
      el.setAttribute('domain', domain);
      el.setAttribute('extension', extension);
      if (displayName) el.setAttribute('display-name', displayName);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      el.iceServers = [];
      if (engineOptions) el.engineOptions = engineOptions;
      if (password !== undefined) el.password = password;
      window.__test.track(el, id);
      document.body.append(el);
      return id;
    },
    /** Records the element's softphone-* events in window.__events under `id`. */
    track(el, id) {
      for (const type of EVENTS) {
        el.addEventListener(type, (e) => {
          window.__events.push({ phone: id, type, detail: JSON.parse(JSON.stringify(e.detail ?? null)), t: performance.now() });
        });
      }
    },
    /** Makes a phone answer every incoming call at once (no test round trip in the measured set-up time). */
    autoAnswer(id, on) {
      const el = document.getElementById(id);
      window.__autoAnswer ??= new Map();
      const previous = window.__autoAnswer.get(id);
      if (previous) el.removeEventListener('softphone-incoming-call', previous);
      window.__autoAnswer.delete(id);
      if (!on) return;
      const listener = (e) => {
        el.answer(e.detail.call.id).catch((err) => window.__console.push(`autoAnswer: ${err.message}`));
      };
      window.__autoAnswer.set(id, listener);
      el.addEventListener('softphone-incoming-call', listener);
    },
    /** Live microphone tracks the phone opened and has not stopped. */
    liveTracks() {
      return window.__streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length;
    },
    openPeerConnections() {
      return window.__pcs.filter((pc) => pc.connectionState !== 'closed' && pc.signalingState !== 'closed').length;
    },
    /** The UDP ports of the newest open peer connection's selected candidate pair (its media path). */
    async mediaPorts() {
      const pc = window.__pcs.filter((p) => p.signalingState !== 'closed').at(-1);
      if (!pc) return undefined;
      const stats = await pc.getStats();
      let pairId;
      stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
      const pair = pairId && stats.get(pairId);
      if (!pair) return undefined;
      return { local: stats.get(pair.localCandidateId)?.port, remote: stats.get(pair.remoteCandidateId)?.port };
    },
    /** Audio byte counters of every peer connection of this page, oldest first. */
    async bytes() {
      const out = [];
      for (const pc of window.__pcs) {
        let sent = 0, received = 0;
        if (pc.signalingState !== 'closed') {
          const stats = await pc.getStats();
          stats.forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'audio') sent += s.bytesSent;
            if (s.type === 'inbound-rtp' && s.kind === 'audio') received += s.bytesReceived;
          });
        }
        out.push({ sent, received, state: pc.connectionState });
      }
      return out;
    },
    /**
     * Listens to the remote audio of the newest open peer connection for `ms` and returns, for each
     * asked frequency, the strongest level (dBFS) seen in its FFT bin, plus the overall peak.
     */
    async listen(freqs, ms) {
      const pc = [...window.__pcs].reverse().find((p) => p.signalingState !== 'closed');
      if (!pc) throw new Error('no open peer connection');
      const track = pc.getReceivers().map((r) => r.track).find((t) => t && t.kind === 'audio');
      const ctx = new AudioContext();
      await ctx.resume();
      const src = ctx.createMediaStreamSource(new MediaStream([track]));
      const an = ctx.createAnalyser();
      an.fftSize = 4096;
      src.connect(an);
      const bins = new Float32Array(an.frequencyBinCount);
      const hz = ctx.sampleRate / an.fftSize;
      const best = Object.fromEntries(freqs.map((f) => [f, -Infinity]));
      let peak = { freq: 0, db: -Infinity };
      const end = performance.now() + ms;
      while (performance.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        an.getFloatFrequencyData(bins);
        for (const f of freqs) {
          const i = Math.round(f / hz);
          const v = Math.max(bins[i - 1], bins[i], bins[i + 1]);
          if (v > best[f]) best[f] = v;
        }
        for (let i = 2; i < bins.length; i++) if (bins[i] > peak.db) peak = { freq: i * hz, db: bins[i] };
      }
      await ctx.close();
      return { levels: best, peak };
    },
  };
})();
