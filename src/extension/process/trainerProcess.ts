/**
 * Trainer processes: the one place that starts, watches and stops them.
 *
 * A trainer is `node dist/cli.js train --root-dir <folder> --run-id <id> <task> [options]`,
 * started with an argument array (never a shell) in its own process group, so that Stop can
 * signal the trainer and anything it started. Its stdout carries run events (JSON Lines): they
 * go through the protocol reader into the run store. Its stderr, and any bad event line, go to
 * the log (the "CenterFusion" output channel), each line prefixed with the run's label.
 *
 * Stop: SIGINT to the group (the trainer finishes its iteration, reports run_end "stopped" and
 * exits), SIGTERM after 5 s, SIGKILL after 5 s more. When the process ends without reporting
 * run_end, the run is ended here (failed for a non-zero exit code, killed for a signal) and
 * run.json is finished if it still says "running".
 *
 * No vscode import: the log is a function, notifications are the caller's business.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { EventReader, type ReadBatch } from '../../shared/protocol';
import type { RunEndEvent, RunStatus } from '../../shared/protocol/types';
import { finishRunRecord, isProcessAlive, isTrainerAlive, runDirOf } from '../runs/runRecord';
import type { Disposable, RunMeta, RunStore } from '../runs/runStore';

/** Delay between the steps SIGINT → SIGTERM → SIGKILL. */
export const STOP_ESCALATION_MS = 5000;
/** A stderr line longer than this is written out in pieces rather than held. */
const MAX_PARTIAL_LINE = 64 * 1024;

export interface TrainerLaunch {
  /** Path of the trainer's command line (the extension's dist/cli.js). */
  cliPath: string;
  /** The workspace folder: the trainer's --root-dir and working directory. */
  root: string;
  runId: string;
  /** Everything after `--run-id <id>`: the task first, then CenterFusion options (toArgv). */
  args: readonly string[];
  /** Prefix for this run's output lines, e.g. the config name. */
  label: string;
  /** What the store should know before the first event (config name, task, exp_id...). */
  meta?: RunMeta;
  /** Node to run the CLI with; defaults to this process (VS Code's, as node). */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
}

export interface TrainerExit {
  runId: string;
  /** The run's final status (reported by the trainer, or inferred here). */
  status: RunStatus;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the trainer reported run_end itself. */
  reported: boolean;
}

export type Log = (line: string) => void;

/** Sends `signal` to the process group led by `pid`, or to the process alone if it leads none. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false; // already gone
    }
  }
}

/** SIGINT now, then SIGTERM and SIGKILL at `stepMs` intervals until cancelled. */
export class Escalation {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly pid: number,
    stepMs: number,
    private readonly log: Log,
  ) {
    signalGroup(pid, 'SIGINT');
    const later: NodeJS.Signals[] = ['SIGTERM', 'SIGKILL'];
    later.forEach((signal, i) => {
      const timer = setTimeout(() => {
        if (signalGroup(this.pid, signal)) this.log(`still running after ${((i + 1) * stepMs) / 1000} s: sent ${signal}`);
      }, (i + 1) * stepMs);
      this.timers.push(timer);
    });
  }

  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
  }
}

/** Splits a text stream into lines for the log. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.emit(line.replace(/\r$/, ''));
    if (this.partial.length > MAX_PARTIAL_LINE) {
      this.emit(this.partial);
      this.partial = '';
    }
  }

  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.emit(rest.replace(/\r$/, ''));
  }
}

/** One running trainer. Created by TrainerProcesses.start(). */
export class TrainerProcess {
  readonly runId: string;
  /** Resolves once the process has exited and its output has been read. */
  readonly exited: Promise<TrainerExit>;
  private readonly child: ChildProcess;
  private readonly reader = new EventReader();
  private escalation: Escalation | undefined;
  private stopRequested = false;
  private reportedEnd = false;
  private readonly foreignRunIds = new Set<string>();
  private result: TrainerExit | undefined;

  constructor(
    private readonly launch: TrainerLaunch,
    private readonly store: RunStore,
    private readonly log: Log,
    private readonly stepMs: number,
  ) {
    this.runId = launch.runId;
    const args = [launch.cliPath, 'train', '--root-dir', launch.root, '--run-id', launch.runId, ...launch.args];
    this.say(`$ node ${args.map(quoteArg).join(' ')}`);
    store.update(launch.runId, {
      status: 'running',
      started: new Date().toISOString(),
      folder: launch.root,
      ...launch.meta,
      attached: true,
    });

    this.child = spawn(launch.execPath ?? process.execPath, args, {
      cwd: launch.root,
      env: { ...(launch.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: Stop signals the group; closing VS Code leaves it running
      windowsHide: true,
    });
    if (this.child.pid !== undefined) store.update(launch.runId, { pid: this.child.pid });

    const stderr = new LineSplitter((line) => this.say(line));
    this.child.stdout?.on('data', (chunk: Buffer) => this.take(this.reader.push(chunk)));
    this.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

    this.exited = new Promise<TrainerExit>((resolve) => {
      this.child.once('error', (err) => {
        this.say(`could not run the trainer: ${err.message}`);
        // Without a pid the process never started, and no 'close' may follow.
        if (this.child.pid === undefined) resolve(this.finish(null, null, err.message));
      });
      this.child.once('close', (code, signal) => {
        stderr.end();
        resolve(this.finish(code, signal));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Asks the trainer to stop (see the module comment). False when it already ended. */
  stop(): boolean {
    if (this.result !== undefined || this.child.pid === undefined) return false;
    if (this.stopRequested) return true;
    this.stopRequested = true;
    this.say('stop requested: sent SIGINT');
    this.escalation = new Escalation(this.child.pid, this.stepMs, (line) => this.say(line));
    return true;
  }

  private say(line: string): void {
    this.log(`[${this.launch.label}] ${line}`);
  }

  private take(batch: ReadBatch): void {
    const mine = batch.events.filter((event) => {
      if (event.run === this.runId) return true;
      // Not this launch's run id: the trainer did not honour --run-id. Say so once per id.
      if (!this.foreignRunIds.has(event.run)) {
        this.foreignRunIds.add(event.run);
        this.say(`ignoring events of run "${event.run}": this launch's run id is "${this.runId}"`);
      }
      return false;
    });
    this.store.applyAll(mine);
    for (const event of mine) {
      if (event.type === 'run_end') this.reportedEnd = true;
      else if (event.type === 'error') this.say(`error: ${event.error_type ?? 'Error'}: ${event.message}${event.traceback ? `\n${event.traceback}` : ''}`);
      else if (event.type === 'log' && event.level === 'warning') this.say(`warning: ${event.message}`);
    }
    for (const problem of batch.problems) {
      this.say(`bad event line ${problem.line} (${problem.kind}): ${problem.message}${problem.excerpt ? ` | ${problem.excerpt}` : ''}`);
    }
    this.store.addProblems(this.runId, batch.problems.length);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, spawnError?: string): TrainerExit {
    if (this.result !== undefined) return this.result; // 'error' and 'close' may both end it
    this.escalation?.cancel();
    this.take(this.reader.end());

    let status: RunStatus;
    if (this.reportedEnd) {
      const run = this.store.get(this.runId);
      status = run !== undefined && run.status !== 'running' ? run.status : 'completed';
      if (run?.exit_code === undefined) this.store.update(this.runId, { exit_code: code, signal });
    } else {
      status = inferStatus(code, signal, this.stopRequested);
      const reason =
        spawnError !== undefined
          ? `The trainer could not be started: ${spawnError}`
          : `The trainer exited (${signal !== null ? `signal ${signal}` : `exit code ${code}`}) without reporting the end of the run.`;
      const end: RunEndEvent = {
        v: 1,
        type: 'run_end',
        run: this.runId,
        t: new Date().toISOString(),
        status,
        exit_code: code,
        signal,
        reason,
      };
      this.store.apply(end);
      this.say(reason);
    }
    this.store.update(this.runId, { attached: false });
    this.say(`ended: ${status}`);
    void this.finishRecord(status, code, signal);
    this.result = { runId: this.runId, status, code, signal, reported: this.reportedEnd };
    return this.result;
  }

  /** Ends run.json when the trainer could not (it still says "running"). */
  private async finishRecord(status: RunStatus, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const run = this.store.get(this.runId);
    const task = run?.task;
    const expId = run?.exp_id;
    if (task === undefined || expId === undefined) return;
    const runDir = run?.runDir ?? runDirOf(this.launch.root, task, expId, this.runId);
    if (run?.runDir === undefined) this.store.update(this.runId, { runDir });
    const wrote = await finishRunRecord(runDir, {
      status,
      ended: run?.ended ?? new Date().toISOString(),
      exit_code: code,
      signal,
      note: this.reportedEnd ? undefined : 'ended by CenterFusion Studio: the trainer did not report its end',
    });
    if (wrote) this.say(`run.json updated: ${status}`);
  }
}

/** The status of a run whose trainer exited without saying how it ended. */
export function inferStatus(code: number | null, signal: NodeJS.Signals | null, stopRequested: boolean): RunStatus {
  if (signal !== null) return stopRequested && signal !== 'SIGKILL' ? 'stopped' : 'killed';
  return code === 0 ? 'completed' : 'failed';
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export type ExitListener = (exit: TrainerExit) => void;

/** A training process TrainerProcesses can track: its own trainer, or one started elsewhere (Python runs). */
export interface ManagedProcess {
  readonly runId: string;
  readonly exited: Promise<TrainerExit>;
  readonly pid: number | undefined;
  readonly stopping: boolean;
  stop(): boolean;
}

/** All trainers this window started. Disposing it leaves them running. */
export class TrainerProcesses implements Disposable {
  private readonly processes = new Map<string, ManagedProcess>();
  private readonly listeners = new Set<ExitListener>();
  private readonly detachedStops = new Set<{ cancel(): void }>();

  constructor(
    private readonly store: RunStore,
    private readonly log: Log,
    private readonly stepMs = STOP_ESCALATION_MS,
  ) {}

  start(launch: TrainerLaunch): TrainerProcess {
    const proc = new TrainerProcess(launch, this.store, this.log, this.stepMs);
    this.adopt(proc);
    return proc;
  }

  /** Tracks a process started elsewhere (a Python run): Stop, exit listeners and get() then cover it. */
  adopt<P extends ManagedProcess>(proc: P): P {
    this.processes.set(proc.runId, proc);
    void proc.exited.then((exit) => {
      this.processes.delete(proc.runId);
      for (const listener of [...this.listeners]) {
        try {
          listener(exit);
        } catch {
          // keep notifying the others
        }
      }
    });
    return proc;
  }

  get(runId: string): ManagedProcess | undefined {
    return this.processes.get(runId);
  }

  onDidExit(listener: ExitListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * Stops a run: this window's own trainer, or (for a run found on disk still running) the
   * process group of its recorded pid; `onGone` is called once that process has disappeared.
   * False when there is nothing to stop.
   */
  stop(runId: string, onGone?: () => void): boolean {
    const proc = this.processes.get(runId);
    if (proc !== undefined) return proc.stop();
    const run = this.store.get(runId);
    const pid = run?.pid;
    // Only a run still running, whose pid is still its trainer (never a recycled pid).
    if (run?.status !== 'running' || pid === undefined || !isTrainerAlive(pid, runId)) return false;
    const say = (line: string): void => this.log(`[${runId}] ${line}`);
    say(`stop requested: sent SIGINT to process group ${pid}`);
    const escalation = new Escalation(pid, this.stepMs, say);
    const poll = setInterval(() => {
      if (isProcessAlive(pid)) return;
      handle.cancel();
      say('ended');
      onGone?.();
    }, 250);
    const handle = {
      cancel: (): void => {
        clearInterval(poll);
        escalation.cancel();
        this.detachedStops.delete(handle);
      },
    };
    this.detachedStops.add(handle);
    return true;
  }

  /** Stops listening. Trainers keep running: they live in their own process groups. */
  dispose(): void {
    this.listeners.clear();
    for (const handle of [...this.detachedStops]) handle.cancel();
  }
}
