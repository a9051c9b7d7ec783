/**
 * The lab's PSTN side: a carrier stand-in made of SIPp (Debian `sip-tester`) on UDP, with the
 * scenarios in lab/pstn/ (see their headers):
 * - `carrier.xml`, one SIPp UAS for the whole lab run, is where both servers send external numbers
 *   (`0...`, `+...`). It answers with 183 + early media (a 620 Hz tone), then 200 OK (a 1400 Hz
 *   tone), refreshes the session mid-call (UPDATE without SDP, then a re-INVITE), and answers
 *   486/404/503 to numbers ending in 486/404/503.
 * - `call-in.xml`, one SIPp UAC per `callIn()`, calls an agent with an external caller number and
 *   plays its tone (1800 Hz) once answered.
 * Media is plain RTP/AVP with PCMA (the servers' rtpengine bridges it to WebRTC).
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabProcess } from './lab-process.js';
import { writeToneG711 } from './wav.js';

const SIPP = process.env.SIPP_BIN ?? 'sipp';
export const PSTN_SCENARIOS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pstn');

/** Tones of the carrier, Hz. */
export const CARRIER_TONES = { early: 620, answer: 1400, caller: 1800 } as const;

/** Example numbers of the carrier's number plan (what the demo lists). */
export const PSTN_NUMBERS = {
  answers: ['+48221234567', '0221234567'],
  busy: '+48221234486',
  notFound: '+48221234404',
  unavailable: '+48221234503',
} as const;

export interface CarrierOptions {
  dir: string;
  /** UDP port the servers send external numbers to. */
  trunkPort: number;
  /** UDP port callIn() places its calls from (the servers trust it). */
  inPort: number;
  /** RTP ports: trunk media base (SIPp uses it and the next ones). */
  mediaPort: number;
  callInMediaPort: number;
}

export interface CallIn {
  /** Resolves when SIPp has finished (the agent hung up, or the call failed). */
  readonly done: Promise<{ ok: boolean; exitCode: number | null }>;
  readonly logFile: string;
  /** Ends SIPp (and with it the call, without a BYE). */
  stop(): Promise<void>;
}

export class Carrier {
  readonly dir: string;
  private callIns = 0;
  private busyIn: LabProcess | undefined;

  private constructor(
    readonly options: CarrierOptions,
    private readonly proc: LabProcess,
  ) {
    this.dir = path.join(options.dir, 'pstn');
  }

  static async start(options: CarrierOptions): Promise<Carrier> {
    const dir = path.join(options.dir, 'pstn');
    fs.mkdirSync(dir, { recursive: true });
    writeToneG711(path.join(dir, 'early.alaw'), CARRIER_TONES.early, 20);
    writeToneG711(path.join(dir, 'answer.alaw'), CARRIER_TONES.answer, 20);
    writeToneG711(path.join(dir, 'caller.alaw'), CARRIER_TONES.caller, 20);
    const proc = await LabProcess.start({
      name: 'carrier (SIPp)',
      command: SIPP,
      args: [
        '-sf', path.join(PSTN_SCENARIOS, 'carrier.xml'),
        '-i', '127.0.0.1', '-p', String(options.trunkPort),
        '-mi', '127.0.0.1', '-mp', String(options.mediaPort),
        '-t', 'u1', '-nostdin', '-trace_err', '-error_file', path.join(dir, 'carrier-errors.log'),
        '-aa',
      ],
      logFile: path.join(options.dir, 'carrier.log'),
      runDir: options.dir,
      cwd: dir,
      ready: () => portAnswers(options.trunkPort),
    });
    return new Carrier(options, proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get diedOnItsOwn(): boolean {
    return this.proc.diedOnItsOwn;
  }

  /**
   * The carrier calls `extension` at a lab server (its UDP SIP port) as `fromNumber`, e.g.
   * `callIn('3999', '+48601234567', { port: lab.servers.server1.sipPort, domain: 'server1.test' })`.
   * One call-in at a time (they share the trusted source port).
   */
  async callIn(extension: string, fromNumber: string, server: { port: number; domain: string }): Promise<CallIn> {
    if (!/^[+]?[0-9]{3,20}$/.test(fromNumber)) throw new Error(`callIn: bad caller number '${fromNumber}'`);
    if (!/^[0-9]{2,10}$/.test(extension)) throw new Error(`callIn: bad extension '${extension}'`);
    if (this.busyIn?.pid !== undefined) throw new Error('callIn: another call-in is still running (one at a time)');
    const n = ++this.callIns;
    const proc = await LabProcess.start({
      name: `carrier call-in ${n}`,
      command: SIPP,
      args: [
        `127.0.0.1:${server.port}`,
        '-sf', path.join(PSTN_SCENARIOS, 'call-in.xml'),
        '-i', '127.0.0.1', '-p', String(this.options.inPort),
        '-mi', '127.0.0.1', '-mp', String(this.options.callInMediaPort),
        '-s', extension, '-key', 'caller', fromNumber, '-key', 'domain', server.domain,
        '-m', '1', '-t', 'u1', '-nostdin', '-trace_err', '-error_file', path.join(this.dir, `call-in-${n}-errors.log`),
      ],
      logFile: path.join(this.options.dir, `carrier-call-in-${n}.log`),
      runDir: this.options.dir,
      cwd: this.dir,
      exitsByItself: true,
    });
    this.busyIn = proc;
    return {
      done: proc.exited.then(() => ({ ok: proc.exitCode === 0, exitCode: proc.exitCode })),
      logFile: proc.logFile,
      stop: () => proc.stop(),
    };
  }

  async stop(): Promise<void> {
    await this.busyIn?.stop();
    await this.proc.stop();
  }
}

/** Whether SIPp has bound its UDP port (we can no longer bind it). */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(true);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(false)));
  });
}
