/**
 * One piece of code for the lab's helper processes (rtpengine, the desk phones, the carrier's SIPp):
 * spawn in an own process group with stdout+stderr appended to a log file in the run dir, wait until
 * a readiness probe succeeds (or the process exits: the error carries the end of its log), stop by
 * PID (SIGTERM to the group, SIGKILL after a grace period), and remember whether it died on its own
 * (the lab then keeps its logs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface LabProcessOptions {
  /** Short name for messages, e.g. 'rtpengine' or 'desk phone 4101'. */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  /** Resolves truthy when the process is ready; polled every 50 ms. Omitted: ready once spawned. */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  /** The process is expected to exit by itself (e.g. SIPp with -m 1): no "died on its own". */
  exitsByItself?: boolean;
  /**
   * The lab run dir: the PID goes to `<runDir>/pids/<pid>` (with the command line), so a later lab
   * start can kill what a SIGKILLed run left behind (`killStalePbxProcesses`). The command line must
   * name the run dir (a config, log or pid file in it) for that check.
   */
  runDir?: string;
}

const children = new Set<LabProcess>();
let exitHook = false;

/** Signals a whole process group (the lab starts every part in its own); false when it is gone already. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function tailOf(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Kills process `pid` (its whole group) when it is still the one a dead lab run started: its command
 * line names every one of `marks` (the run dir, a pid file...). Anything else with that PID is left alone.
 */
export function killStaleProcess(pid: number, marks: readonly string[], what: string, runDir: string): void {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!marks.every((m) => cmdline.includes(m))) return;
  process.stderr.write(`[lab] killing stale ${what || cmdline.split('\0')[0]} ${pid} from ${runDir}\n`);
  signalGroup(pid, 'SIGKILL');
}

/**
 * Kills the PBX processes (process groups) a dead lab run left behind: the PIDs in `<runDir>/pids/`
 * whose command line still names the run dir. Called for runs whose owner process is gone.
 */
export function killStalePbxProcesses(runDir: string): void {
  let pids: string[];
  try {
    pids = fs.readdirSync(path.join(runDir, 'pids'));
  } catch {
    return;
  }
  for (const name of pids) killStaleProcess(Number(name), [runDir], '', runDir);
}

export class LabProcess {
  readonly name: string;
  readonly logFile: string;
  diedOnItsOwn = false;
  exitCode: number | null = null;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private expectingExit = false;
  private spawnError: Error | undefined;

  private constructor(private readonly options: LabProcessOptions) {
    this.name = options.name;
    this.logFile = options.logFile;
    fs.appendFileSync(options.logFile, `\n===== [lab] ${new Date().toISOString()} ${options.command} ${options.args.join(' ')}\n`);
    const fd = fs.openSync(options.logFile, 'a');
    try {
      this.child = spawn(options.command, options.args, { stdio: ['ignore', fd, fd], detached: true, cwd: options.cwd });
    } finally {
      fs.closeSync(fd);
    }
    children.add(this);
    if (options.runDir && this.child.pid) {
      const dir = path.join(options.runDir, 'pids');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, String(this.child.pid)), `${options.command} ${options.args.join(' ')}\n`);
    }
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const c of children) c.killSync();
      });
    }
    this.exited = new Promise<void>((resolve) => {
      this.child.once('error', (err) => {
        this.spawnError = err;
        children.delete(this);
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        children.delete(this);
        if (!this.expectingExit && !options.exitsByItself) {
          this.diedOnItsOwn = true;
          process.stderr.write(`[lab] ${this.name} (pid ${this.child.pid}) exited on its own (code ${code}, signal ${signal}); log: ${this.logFile}\n`);
        }
        if (this.child.pid) signalGroup(this.child.pid, 'SIGKILL');
        resolve();
      });
    });
  }

  /** Spawns and waits until ready; a process that exits or is not ready in time is an error. */
  static async start(options: LabProcessOptions): Promise<LabProcess> {
    const p = new LabProcess(options);
    let exited = false;
    void p.exited.then(() => {
      exited = true;
    });
    const timeout = options.readyTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeout;
    let lastError: string;
    for (;;) {
      if (exited) {
        p.expectingExit = true;
        throw new Error(
          `${p.name} did not start (${p.spawnError?.message ?? `exit code ${p.exitCode}`}).\nLast log lines (${p.logFile}):\n${tailOf(p.logFile, 25)}`,
        );
      }
      if (!options.ready) return p;
      try {
        if (await options.ready()) return p;
        lastError = 'not ready';
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() > deadline) {
        await p.kill();
        throw new Error(`${p.name} not ready after ${timeout} ms (${lastError}); log: ${p.logFile}\n${tailOf(p.logFile, 25)}`);
      }
      await Promise.race([new Promise((r) => setTimeout(r, 50)), p.exited]);
    }
  }

  get pid(): number | undefined {
    return this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** The process is about to exit because we asked it to (e.g. a quit command): not "died on its own". */
  expectExit(): void {
    this.expectingExit = true;
  }

  /** SIGTERM to the group, SIGKILL after the grace period; resolves when it has exited. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return this.exited;
    this.expectingExit = true;
    signalGroup(pid, 'SIGTERM');
    signalGroup(pid, 'SIGCONT');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.options.stopGraceMs ?? 3000);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return this.exited;
    this.expectingExit = true;
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }

  killSync(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null) return;
    this.expectingExit = true;
    signalGroup(pid, 'SIGKILL');
  }
}
