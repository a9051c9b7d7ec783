/**
 * A desk phone of the lab: baresip (Debian `baresip-core`) registered over UDP with SIP digest auth,
 * like any lab extension, with plain RTP (G.711 only, no ICE/DTLS: the lab's rtpengine bridges it to
 * WebRTC). Its microphone is a known tone (an 8 kHz mono WAV, `aufile`), what it receives is recorded
 * (`sndfile`: `<dir>/rec/dump-*-dec.wav` per call) and it is driven through `ctrl_tcp` (netstring
 * JSON commands, events on the same socket):
 *
 *   const phone = lab.deskPhones.find((p) => p.extension === '4101');
 *   await phone.dial('3999');  await phone.waitFor('CALL_ESTABLISHED');
 *   await phone.sendDtmf('159#');  await phone.hold();  await phone.resume();  await phone.hangup();
 *   phone.dtmfReceived();        // digits reported by baresip (CALL_DTMF_START)
 *   phone.heard();               // dominant frequency of the newest recording (Goertzel)
 *
 * baresip 1.0.0 notes (see lab/README.md): `net_interface 127.0.0.1` (not `lo`), `aufile` is a source
 * only and its WAV must match the codec rate, no `stdio.so` without a terminal.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LabProcess } from './lab-process.js';
import { dominantFrequency, readWav, writeToneWav, type ToneAnalysis } from './wav.js';

const BARESIP = process.env.BARESIP_BIN ?? 'baresip';

export interface DeskPhoneOptions {
  extension: string;
  password: string;
  domain: string;
  /** The server's UDP SIP port on 127.0.0.1 (outbound proxy). */
  serverPort: number;
  /** Microphone tone, Hz. */
  toneHz: number;
  /** Run dir of the lab; the phone's files go to `<dir>/desk-<extension>/`. */
  dir: string;
  sipPort: number;
  ctrlPort: number;
  rtpPortMin: number;
  rtpPortMax: number;
  displayName?: string;
  /** Answer incoming calls at once (default true: the demo's desk phones pick up by themselves). */
  autoAnswer?: boolean;
}

export interface DeskPhoneEvent {
  /** Date.now() when it arrived. */
  at: number;
  type: string;
  param?: string;
  peeruri?: string;
  id?: string;
  [key: string]: unknown;
}

/** Netstring framing: `<len>:<payload>,`. */
export function netstring(payload: string): string {
  return `${Buffer.byteLength(payload)}:${payload},`;
}

/** Splits complete netstrings off `buf`; returns the payloads and the rest. */
export function parseNetstrings(buf: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let off = 0;
  for (;;) {
    const colon = buf.indexOf(0x3a, off);
    if (colon < 0) break;
    const len = Number(buf.toString('ascii', off, colon));
    if (!Number.isInteger(len)) throw new Error(`bad netstring length ${buf.toString('ascii', off, colon)}`);
    const end = colon + 1 + len;
    if (end + 1 > buf.length) break;
    messages.push(buf.toString('utf8', colon + 1, end));
    off = end + 1; // the ','
  }
  return { messages, rest: buf.subarray(off) };
}

export class DeskPhone {
  readonly extension: string;
  readonly domain: string;
  readonly toneHz: number;
  readonly dir: string;
  readonly recDir: string;
  readonly events: DeskPhoneEvent[] = [];
  readonly logFile: string;
  private socket: net.Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending = new Map<string, (r: { ok: boolean; data?: string }) => void>();
  private tokens = 0;
  private proc: LabProcess | undefined;
  private waiters: Array<() => void> = [];

  private constructor(readonly options: DeskPhoneOptions) {
    this.extension = options.extension;
    this.domain = options.domain;
    this.toneHz = options.toneHz;
    this.dir = path.join(options.dir, `desk-${options.extension}`);
    this.recDir = path.join(this.dir, 'rec');
    this.logFile = path.join(options.dir, `desk-${options.extension}.log`);
  }

  static async start(options: DeskPhoneOptions): Promise<DeskPhone> {
    const phone = new DeskPhone(options);
    try {
      await phone.doStart();
    } catch (err) {
      await phone.stop();
      throw err;
    }
    return phone;
  }

  get aor(): string {
    return `sip:${this.extension}@${this.domain}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get diedOnItsOwn(): boolean {
    return this.proc?.diedOnItsOwn ?? false;
  }

  private writeConfig(): void {
    const o = this.options;
    fs.mkdirSync(this.recDir, { recursive: true });
    const tone = path.join(this.dir, `tone-${o.toneHz}.wav`);
    writeToneWav(tone, o.toneHz, 120);
    const config = [
      `# baresip config of lab desk phone ${o.extension} (written by lab/desk-phone.ts)`,
      'poll_method\t\tepoll',
      `sip_listen\t\t127.0.0.1:${o.sipPort}`,
      'net_interface\t\t127.0.0.1',
      'call_local_timeout\t120',
      'call_max_calls\t\t4',
      'audio_player\t\taubridge,spk' + o.extension,
      `audio_source\t\taufile,${tone}`,
      'audio_alert\t\taubridge,alert' + o.extension,
      'audio_level\t\tno',
      'ausrc_format\t\ts16',
      'auplay_format\t\ts16',
      'auenc_format\t\ts16',
      'audec_format\t\ts16',
      'audio_buffer\t\t20-160',
      `rtp_ports\t\t${o.rtpPortMin}-${o.rtpPortMax}`,
      'rtcp_mux\t\tno',
      'jitter_buffer_delay\t5-10',
      'statmode_default\toff',
      'module_path\t\t/usr/lib/baresip/modules',
      'module\t\t\tg711.so',
      'module\t\t\taufile.so',
      'module\t\t\taubridge.so',
      'module\t\t\tsndfile.so',
      'module_tmp\t\tuuid.so',
      'module_tmp\t\taccount.so',
      'module_app\t\tmenu.so',
      'module_app\t\tctrl_tcp.so',
      `ctrl_tcp_listen\t\t127.0.0.1:${o.ctrlPort}`,
      `snd_path\t\t${this.recDir}`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(this.dir, 'config'), config);
    const name = o.displayName ? `"${o.displayName}" ` : '';
    const account =
      `${name}<sip:${o.extension}@${o.domain}>;auth_pass=${o.password};outbound="sip:127.0.0.1:${o.serverPort};transport=udp"` +
      `;regint=30;answermode=${o.autoAnswer === false ? 'manual' : 'auto'};audio_codecs=PCMU,PCMA;call_transfer=yes\n`;
    // the account file holds the lab password: readable by the owner only
    fs.writeFileSync(path.join(this.dir, 'accounts'), account, { mode: 0o600 });
    fs.writeFileSync(path.join(this.dir, 'contacts'), '');
  }

  private async doStart(): Promise<void> {
    this.writeConfig();
    this.proc = await LabProcess.start({
      name: `desk phone ${this.extension}`,
      command: BARESIP,
      args: ['-4', '-f', this.dir],
      logFile: this.logFile,
      runDir: this.options.dir,
      ready: async () => {
        if (!this.socket) await this.connect();
        return true;
      },
    });
    // registered: `reginfo` lists the account with OK
    const deadline = Date.now() + 15_000;
    for (;;) {
      const info = await this.command('reginfo');
      if (/OK\b/.test(info.data ?? '')) return;
      if (Date.now() > deadline) throw new Error(`desk phone ${this.extension} did not register: ${info.data}; log: ${this.logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(this.options.ctrlPort, '127.0.0.1');
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.off('error', reject);
        sock.on('error', () => undefined);
        this.socket = sock;
        resolve();
      });
      sock.on('data', (chunk) => this.onData(chunk));
      sock.on('close', () => {
        if (this.socket === sock) this.socket = undefined;
        for (const done of this.pending.values()) done({ ok: false, data: 'control connection closed' });
        this.pending.clear();
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    const { messages, rest } = parseNetstrings(this.buf);
    this.buf = rest;
    for (const text of messages) {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.response === true && typeof msg.token === 'string') {
        const done = this.pending.get(msg.token);
        this.pending.delete(msg.token);
        done?.({ ok: msg.ok === true, data: typeof msg.data === 'string' ? msg.data : undefined });
      } else if (msg.event === true) {
        this.events.push({ ...msg, at: Date.now(), type: String(msg.type) });
        for (const w of this.waiters.splice(0)) w();
      }
    }
  }

  /** Sends a ctrl_tcp command; resolves with baresip's answer. */
  command(command: string, params?: string): Promise<{ ok: boolean; data?: string }> {
    const sock = this.socket;
    if (!sock) return Promise.reject(new Error(`desk phone ${this.extension}: not connected`));
    const token = `t${++this.tokens}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`desk phone ${this.extension}: no answer to ${command}`));
      }, 5000);
      this.pending.set(token, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      sock.write(netstring(JSON.stringify({ command, ...(params !== undefined ? { params } : {}), token })));
    });
  }

  private async must(command: string, params?: string): Promise<string> {
    const r = await this.command(command, params);
    if (!r.ok) throw new Error(`desk phone ${this.extension}: ${command} ${params ?? ''} failed: ${r.data ?? ''}`);
    return r.data ?? '';
  }

  /** Dials an extension (of its own server, as dialled on a desk phone) or a SIP URI. */
  dial(target: string): Promise<string> {
    const uri = target.startsWith('sip:') ? target : `sip:${target}@${this.domain}`;
    return this.must('dial', uri);
  }

  answer(): Promise<string> {
    return this.must('accept');
  }

  hangup(): Promise<string> {
    return this.must('hangup');
  }

  hold(): Promise<string> {
    return this.must('hold');
  }

  resume(): Promise<string> {
    return this.must('resume');
  }

  /** RFC 4733 digits (0-9 * # A-D) on the current call. */
  sendDtmf(digits: string): Promise<string> {
    if (!/^[0-9*#A-D]+$/.test(digits)) throw new Error(`desk phone ${this.extension}: bad DTMF digits '${digits}'`);
    return this.must('sndcode', digits);
  }

  /** Blind transfer (REFER) of the current call to an extension or SIP URI. */
  transfer(target: string): Promise<string> {
    const uri = target.startsWith('sip:') ? target : `sip:${target}@${this.domain}`;
    return this.must('transfer', uri);
  }

  /** Events of a type (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, CALL_DTMF_START, ...) since start. */
  eventsOf(type: string): DeskPhoneEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Waits for the `count`-th event of a type (counting from the start of the phone). */
  async waitFor(type: string, options: { count?: number; timeoutMs?: number } = {}): Promise<DeskPhoneEvent> {
    const count = options.count ?? 1;
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      const found = this.eventsOf(type);
      if (found.length >= count) return found[count - 1]!;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`desk phone ${this.extension}: no ${type} #${count} (seen: ${this.events.map((e) => e.type).join(', ')})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Digits the phone received (CALL_DTMF_START events), in order. */
  dtmfReceived(): string {
    return this.eventsOf('CALL_DTMF_START')
      .map((e) => e.param ?? '')
      .join('');
  }

  /** The phone's recordings of received audio (`*-dec.wav`), oldest first. */
  recordings(): string[] {
    let files: string[];
    try {
      files = fs.readdirSync(this.recDir).filter((f) => f.endsWith('-dec.wav'));
    } catch {
      return [];
    }
    return files.map((f) => path.join(this.recDir, f)).sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs || a.localeCompare(b));
  }

  /**
   * What the phone heard on its newest call: the dominant frequency of the last `seconds` of its
   * recording (the file grows while the call lasts).
   */
  heard(seconds = 1): ToneAnalysis & { file: string } {
    const file = this.recordings().at(-1);
    if (!file) throw new Error(`desk phone ${this.extension}: no recording in ${this.recDir}`);
    const pcm = readWav(file);
    const total = pcm.samples.length / pcm.sampleRate;
    return { ...dominantFrequency(pcm, { fromSec: Math.max(0, total - seconds), toSec: total }), file };
  }

  async stop(): Promise<void> {
    // a polite end: baresip unregisters on quit
    if (this.socket && this.proc?.pid !== undefined) {
      this.proc.expectExit();
      await this.command('quit').catch(() => undefined);
      await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 1000))]);
    }
    this.socket?.destroy();
    this.socket = undefined;
    await this.proc?.stop();
  }
}
