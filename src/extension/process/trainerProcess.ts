/**
 * Trainer processes: the one place that starts, follows and stops them.
 *
 * A trainer is `node dist/cli.js train --root-dir <folder> --run-id <id> <task> [options]`,
 * started with an argument array (never a shell) in its own process group (detached), so that
 * Stop can signal the trainer and anything it started. Its stdout (run events, JSON Lines) and
 * stderr go to files in the run folder, `runs/<id>/stdout.log` and `stderr.log`, opened here and
 * handed to the child, never to pipes: the trainer does not depend on this window, and reloading
 * VS Code costs no run. This window follows the files (FileTail: read when fs.watch reports a change,
 * and every TAIL_POLL_MS as a fallback): events go
 * through the protocol reader into the run store; stderr lines and bad event lines go to the log
 * (the "CenterFusion" output channel), each prefixed with the run's label. process.json records
 * the pid and its start time, so that a reloaded window can tell the process is still the run's.
 *
 * After a reload, TrainerProcesses.reattach() follows a trainer still running: events.jsonl from
 * where the store has read it, stderr.log from its end, the process by pid and start time; Stop
 * signals its group as before. Its exit status cannot be known (not this window's child): when it
 * ends without run_end in its events, it is marked killed (stopped after Stop), with the reason.
 *
 * Stop: SIGINT to the group (the trainer finishes its iteration, reports run_end "stopped" and
 * exits), SIGTERM after 5 s, SIGKILL after 5 s more. When the process ends without reporting
 * run_end, the run is ended here (failed for a non-zero exit code, killed for a signal) and
 * run.json is finished if it still says "running".
 *
 * No vscode import: the log is a function, notifications are the caller's business.
 */

import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { EventReader, type ReadBatch } from '../../shared/protocol';
import type { RunEndEvent, RunStatus } from '../../shared/protocol/types';
import { EVENTS_FILE, finishRunRecord, isProcessAlive, isTrainerAlive, runDirOf } from '../runs/runRecord';
import type { Disposable, RunMeta, RunStore } from '../runs/runStore';
import { FileTail, type FileTailOptions } from './fileTail';
import {
  isRecordedProcessAlive,
  newProcessRecord,
  PROCESS_FILE,
  STDERR_FILE,
  STDOUT_FILE,
  writeProcessRecord,
  type ProcessRecord,
} from './processRecord';
import { guardedSpawn } from '../trust';

/** Delay between the steps SIGINT → SIGTERM → SIGKILL. */
export const STOP_ESCALATION_MS = 5000;
/** How often a followed trainer's files are read without a change notification (the fallback). */
export const TAIL_POLL_MS = 500;
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

/** Splits text pieces into lines for the log. */
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

/** A trainer started by an earlier window (VS Code reloaded) and still running: what to follow. */
export interface TrainerReattach {
  runId: string;
  /** The run folder: events.jsonl is followed from `eventsOffset`. */
  runDir: string;
  /** Bytes of events.jsonl already read into the store (whole lines). */
  eventsOffset: number;
  pid: number;
  /** process.json, when the launching window wrote one (identity, stderr.log). */
  record?: ProcessRecord;
  /** Prefix for this run's output lines. */
  label: string;
  /** Whether the process still runs; false: it ended while no window watched, finish its record. */
  alive: boolean;
}

type Source =
  | { kind: 'spawn'; launch: TrainerLaunch }
  | { kind: 'reattach'; reattach: TrainerReattach };

/**
 * One trainer this window follows: one it started (TrainerProcesses.start) or one it found still
 * running after a reload (TrainerProcesses.reattach).
 */
export class TrainerProcess implements ManagedProcess {
  readonly runId: string;
  /** Resolves once the process has exited and its output has been read. */
  readonly exited: Promise<TrainerExit>;
  readonly runDir: string;
  private readonly processPid: number | undefined;
  /** process.json of a reattached trainer (its identity). */
  private readonly record: ProcessRecord | undefined;
  private readonly label: string;
  private readonly reader = new EventReader();
  private readonly events: FileTail | undefined;
  private readonly stderr: FileTail | undefined;
  private readonly stderrLines = new LineSplitter((line) => this.say(line));
  private timer: NodeJS.Timeout | undefined;
  private polls = 0;
  /** A poll started by a change notification is running; `pollAgain`: another came meanwhile. */
  private polling = false;
  private pollAgain = false;
  private escalation: Escalation | undefined;
  private stopRequested = false;
  private reportedEnd = false;
  private readonly foreignRunIds = new Set<string>();
  private result: TrainerExit | undefined;
  private detached = false;

  constructor(
    source: Source,
    private readonly store: RunStore,
    private readonly log: Log,
    private readonly stepMs: number,
    private readonly pollMs = TAIL_POLL_MS,
  ) {
    if (source.kind === 'reattach') {
      const r = source.reattach;
      this.runId = r.runId;
      this.label = r.label;
      this.runDir = r.runDir;
      this.processPid = r.pid;
      this.record = r.record;
      this.events = new FileTail(path.join(r.runDir, EVENTS_FILE), { offset: r.eventsOffset, ...this.tailHandlers() });
      const stderrFile = r.record?.stderr;
      if (stderrFile !== undefined) this.stderr = new FileTail(stderrFile, { offset: fileSize(stderrFile), ...this.tailHandlers() });
      if (!r.alive) {
        this.exited = this.end(null, null, undefined, 'unwatched');
        return;
      }
      store.update(r.runId, { status: 'running', runDir: r.runDir, pid: r.pid, attached: true });
      this.say(`reattached to the trainer (pid ${r.pid}) started before the window reloaded; following ${EVENTS_FILE}`);
      this.exited = new Promise<TrainerExit>((resolve) => {
        this.timer = setInterval(() => {
          void this.poll().then(() => {
            // Every fourth poll: is the process still the one recorded?
            if (this.result !== undefined || this.detached || this.polls++ % 4 !== 0) return;
            if (!this.isAlive()) void this.end(null, null, undefined, 'watched').then(resolve);
          });
        }, this.pollMs);
      });
      return;
    }

    const launch = source.launch;
    this.runId = launch.runId;
    this.label = launch.label;
    const meta = launch.meta;
    this.runDir =
      meta?.runDir ??
      (meta?.task !== undefined && meta.exp_id !== undefined
        ? runDirOf(launch.root, meta.task, meta.exp_id, launch.runId)
        : path.join(os.tmpdir(), 'centerfusion-studio', launch.runId));
    const args = [launch.cliPath, 'train', '--root-dir', launch.root, '--run-id', launch.runId, ...launch.args];
    this.say(`$ node ${args.map(quoteArg).join(' ')}`);
    store.update(launch.runId, {
      status: 'running',
      started: new Date().toISOString(),
      folder: launch.root,
      ...meta,
      runDir: this.runDir,
      attached: true,
    });

    // stdout (the event stream) and stderr go to files in the run folder, never to pipes: the
    // trainer then does not depend on this window, and a reloaded window reads them again.
    let fds: [number, number] | undefined;
    let setupError: string | undefined;
    try {
      mkdirSync(this.runDir, { recursive: true });
      const out = openSync(path.join(this.runDir, STDOUT_FILE), 'a');
      try {
        fds = [out, openSync(path.join(this.runDir, STDERR_FILE), 'a')];
      } catch (err) {
        closeSync(out);
        throw err;
      }
    } catch (err) {
      setupError = `cannot create the run folder ${this.runDir}: ${(err as Error).message}`;
    }
    if (fds === undefined) {
      this.say(setupError ?? 'cannot create the run folder');
      this.exited = Promise.resolve(this.finish(null, null, { spawnError: setupError }));
      return;
    }
    this.events = new FileTail(path.join(this.runDir, STDOUT_FILE), { offset: fileSize(path.join(this.runDir, STDOUT_FILE)), ...this.tailHandlers() });
    this.stderr = new FileTail(path.join(this.runDir, STDERR_FILE), { offset: fileSize(path.join(this.runDir, STDERR_FILE)), ...this.tailHandlers() });
    const child = guardedSpawn(launch.execPath ?? process.execPath, args, {
      cwd: launch.root,
      env: { ...(launch.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', fds[0], fds[1]],
      detached: true, // its own process group: Stop signals the group; closing VS Code leaves it running
      windowsHide: true,
    });
    for (const fd of fds) closeSync(fd); // the child holds its own copies
    this.processPid = child.pid;
    if (child.pid !== undefined) {
      store.update(launch.runId, { pid: child.pid });
      const record = newProcessRecord(child.pid, 'builtin', this.runDir);
      writeProcessRecord(this.runDir, record).catch((err: unknown) => this.say(`cannot write ${PROCESS_FILE}: ${(err as Error).message}`));
    }
    this.timer = setInterval(() => void this.poll(), this.pollMs);

    this.exited = new Promise<TrainerExit>((resolve) => {
      child.once('error', (err) => {
        this.say(`could not run the trainer: ${err.message}`);
        // Without a pid the process never started, and no 'exit' may follow.
        if (child.pid === undefined) void this.end(null, null, err.message).then(resolve);
      });
      child.once('exit', (code, signal) => {
        // A window that has stopped following leaves the end to the next one (as after a reload).
        if (!this.detached) void this.end(code, signal).then(resolve);
      });
    });
  }

  get pid(): number | undefined {
    return this.processPid;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Asks the trainer to stop (see the module comment). False when it already ended. */
  stop(): boolean {
    if (this.result !== undefined || this.processPid === undefined) return false;
    if (this.stopRequested) return true;
    this.stopRequested = true;
    this.say(`stop requested: sent SIGINT to process group ${this.processPid}`);
    this.escalation = new Escalation(this.processPid, this.stepMs, (line) => this.say(line));
    return true;
  }

  /** Stops following (the window is closing); the trainer keeps running. */
  detach(): void {
    this.detached = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.closeTails();
    this.escalation?.cancel();
  }

  private closeTails(): void {
    this.events?.close();
    this.stderr?.close();
  }

  /** A followed file changed: read now (one poll at a time; a change meanwhile reads once more). */
  private onTailChange(): void {
    if (this.result !== undefined || this.detached) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    void this.poll().finally(() => {
      this.polling = false;
      if (this.pollAgain) {
        this.pollAgain = false;
        this.onTailChange();
      }
    });
  }

  private tailHandlers(): Pick<FileTailOptions, 'onReset' | 'onError' | 'onChange'> {
    return {
      onChange: () => this.onTailChange(),
      onReset: (file) => this.say(`${path.basename(file)} got shorter: reading it again from its start`),
      onError: (file, message) => this.say(`cannot read ${path.basename(file)}: ${message}`),
    };
  }

  /** Whether the process followed since a reload is still the one recorded. */
  private isAlive(): boolean {
    const pid = this.processPid;
    if (pid === undefined) return false;
    if (this.record !== undefined) return isRecordedProcessAlive(this.record);
    return isTrainerAlive(pid, this.runId);
  }

  /** Reads what the trainer wrote since the last poll. */
  private async poll(final = false): Promise<void> {
    const [events, errors] = await Promise.all([
      this.events === undefined ? [] : final ? this.events.drain() : this.events.read(),
      this.stderr === undefined ? [] : final ? this.stderr.drain() : this.stderr.read(),
    ]);
    for (const piece of errors) this.stderrLines.push(piece);
    for (const piece of events) this.take(this.reader.push(piece));
    if (final) {
      this.stderrLines.end();
      this.take(this.reader.end());
    }
  }

  private say(line: string): void {
    this.log(`[${this.label}] ${line}`);
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

  /** The process is gone: read the rest of its files, then finish. */
  private async end(
    code: number | null,
    signal: NodeJS.Signals | null,
    spawnError?: string,
    vanished?: 'watched' | 'unwatched',
  ): Promise<TrainerExit> {
    if (this.result !== undefined) return this.result;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.closeTails();
    await this.poll(true);
    return this.finish(code, signal, { spawnError, vanished });
  }

  private finish(
    code: number | null,
    signal: NodeJS.Signals | null,
    how: { spawnError?: string; vanished?: 'watched' | 'unwatched' } = {},
  ): TrainerExit {
    if (this.result !== undefined) return this.result; // 'error' and 'exit' may both end it
    if (this.timer !== undefined) clearInterval(this.timer);
    this.closeTails();
    this.escalation?.cancel();

    let status: RunStatus;
    if (this.reportedEnd) {
      const run = this.store.get(this.runId);
      status = run !== undefined && run.status !== 'running' ? run.status : 'completed';
      if (run?.exit_code === undefined && how.vanished === undefined) this.store.update(this.runId, { exit_code: code, signal });
    } else {
      let reason: string;
      if (how.vanished !== undefined) {
        status = this.stopRequested ? 'stopped' : 'killed';
        const epoch = this.store.get(this.runId)?.epoch;
        const when = how.vanished === 'unwatched' ? 'ended while VS Code was not watching' : `ended${this.stopRequested ? ' after Stop' : ''}`;
        reason =
          `The trainer process (pid ${this.processPid ?? '?'}) ${when}, without reporting the end of the run` +
          ` (last epoch seen: ${epoch ?? 'none'}); it was started before the window reloaded, so its exit status is unknown.`;
      } else {
        status = inferStatus(code, signal, this.stopRequested);
        reason =
          how.spawnError !== undefined
            ? `The trainer could not be started: ${how.spawnError}`
            : `The trainer exited (${signal !== null ? `signal ${signal}` : `exit code ${code}`}) without reporting the end of the run.`;
      }
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
    const wrote = await finishRunRecord(this.runDir, {
      status,
      ended: run?.ended ?? new Date().toISOString(),
      exit_code: code,
      signal,
      note: this.reportedEnd ? undefined : (run?.note ?? 'ended by CenterFusion Studio: the trainer did not report its end'),
    });
    if (wrote) this.say(`run.json updated: ${status}`);
  }
}

/** Size of a file, 0 when it cannot be read. */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
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
  /** Stops following without stopping the process (the window is closing). */
  detach?(): void;
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
    const proc = new TrainerProcess({ kind: 'spawn', launch }, this.store, this.log, this.stepMs);
    this.adopt(proc);
    return proc;
  }

  /** Follows a builtin trainer started before a reload (see the module comment). */
  reattach(info: TrainerReattach): TrainerProcess | undefined {
    if (this.processes.has(info.runId)) return undefined;
    const proc = new TrainerProcess({ kind: 'reattach', reattach: info }, this.store, this.log, this.stepMs);
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

  /** Stops listening and following. Trainers keep running: they live in their own process groups. */
  dispose(): void {
    this.listeners.clear();
    for (const proc of this.processes.values()) proc.detach?.();
    for (const handle of [...this.detachedStops]) handle.cancel();
  }
}
