/**
 * The lab's media relay: rtpengine (Debian `rtpengine-daemon`) in userspace only, started and stopped
 * by the lab like Kamailio (own process group, stopped by PID, log in the run dir).
 *
 *   rtpengine --config-file=none --table=-1 -f -E --interface=127.0.0.1
 *             --listen-ng=127.0.0.1:<ng> --listen-cli=127.0.0.1:<cli> --port-min=<a> --port-max=<b>
 *
 * `--config-file=none` matters: without it rtpengine also reads /etc/rtpengine/rtpengine.conf and
 * takes every option not given here from it. `--table=-1`: no kernel forwarding (no module needed).
 * Both lab Kamailios talk to it over the ng protocol (UDP); `rtpengine-ctl` uses the cli port.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import path from 'node:path';
import { promisify } from 'node:util';
import { LabProcess } from './lab-process.js';

const RTPENGINE = process.env.RTPENGINE_BIN ?? 'rtpengine';
const RTPENGINE_CTL = process.env.RTPENGINE_CTL_BIN ?? 'rtpengine-ctl';
const run = promisify(execFile);

export interface RtpengineOptions {
  dir: string;
  ngPort: number;
  cliPort: number;
  portMin: number;
  portMax: number;
}

/** One ng `ping` over UDP; resolves true on `pong`. */
export function ngPing(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const cookie = crypto.randomBytes(4).toString('hex');
    const timer = setTimeout(() => {
      sock.close();
      resolve(false);
    }, timeoutMs);
    sock.on('message', (msg) => {
      const text = msg.toString();
      if (!text.startsWith(cookie)) return;
      clearTimeout(timer);
      sock.close();
      resolve(text.includes('pong'));
    });
    sock.once('error', () => {
      clearTimeout(timer);
      sock.close();
      resolve(false);
    });
    sock.send(`${cookie} d7:command4:pinge`, port, '127.0.0.1');
  });
}

export class Rtpengine {
  readonly logFile: string;
  private constructor(
    readonly options: RtpengineOptions,
    private readonly proc: LabProcess,
  ) {
    this.logFile = proc.logFile;
  }

  static async start(options: RtpengineOptions): Promise<Rtpengine> {
    const logFile = path.join(options.dir, 'rtpengine.log');
    const proc = await LabProcess.start({
      name: 'rtpengine',
      command: RTPENGINE,
      args: [
        '--config-file=none',
        '--table=-1',
        '-f',
        '-E',
        '--interface=127.0.0.1',
        `--listen-ng=127.0.0.1:${options.ngPort}`,
        `--listen-cli=127.0.0.1:${options.cliPort}`,
        `--port-min=${options.portMin}`,
        `--port-max=${options.portMax}`,
        '--num-threads=2',
        '--timeout=60',
        '--delete-delay=0',
        '--log-level=6',
        `--pidfile=${path.join(options.dir, 'rtpengine.pid')}`,
      ],
      logFile,
      runDir: options.dir,
      ready: () => ngPing(options.ngPort),
    });
    return new Rtpengine(options, proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get diedOnItsOwn(): boolean {
    return this.proc.diedOnItsOwn;
  }

  /** The ng socket as Kamailio's rtpengine module wants it. */
  get ngSocket(): string {
    return `udp:127.0.0.1:${this.options.ngPort}`;
  }

  /** `rtpengine-ctl <args>` against this instance. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run(RTPENGINE_CTL, ['-ip', '127.0.0.1', '-port', String(this.options.cliPort), ...args], { timeout: 5000 });
    return stdout;
  }

  /**
   * `list totals` as numbers by name, e.g. `['Total sessions']` (running now), `['Bytes per second
   * (total)']`, `['Total relayed bytes']` (finished sessions only).
   */
  async totals(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const line of (await this.ctl('list', 'totals')).split('\n')) {
      const m = /^\s*(.+?)\s*:\s*([\d.]+)/.exec(line);
      if (m) out[m[1]!] ??= Number(m[2]);
    }
    return out;
  }

  /** Call-IDs of the sessions rtpengine is relaying now. */
  async sessions(): Promise<string[]> {
    const text = await this.ctl('list', 'sessions', 'all');
    if (/No sessions/.test(text)) return [];
    const ids: string[] = [];
    for (const line of text.split('\n')) {
      const m = /callid:\s*(\S+)/i.exec(line) ?? /^ID:\s*(\S+)/.exec(line.trim());
      if (m) ids.push(m[1]!);
    }
    return ids;
  }

  /**
   * Packets and bytes relayed so far in the session with this Call-ID (sum over its streams), from
   * `list sessions <callid>` (one `-------- Port ... SSRC ..., <n> p, <n> b, <n> e` line per stream).
   */
  async sessionBytes(callId: string): Promise<{ packets: number; bytes: number }> {
    const text = await this.ctl('list', 'sessions', callId);
    let packets = 0;
    let bytes = 0;
    for (const m of text.matchAll(/(\d+)\s+p(?:ackets)?\s*,\s*(\d+)\s+b(?:ytes)?/g)) {
      packets += Number(m[1]);
      bytes += Number(m[2]);
    }
    return { packets, bytes };
  }

  stop(): Promise<void> {
    return this.proc.stop();
  }
}
