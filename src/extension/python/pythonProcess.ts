/**
 * A Python CenterFusion run started by the extension: `<python> main.py <task> ...` in <root>/src,
 * with an argument array (never a shell), in its own process group (detached).
 *
 * - stdout and stderr go to files in the run folder (`runs/<id>/stdout.log`, `stderr.log`, opened
 *   here and handed to the child, never pipes: the run does not depend on this window); they are
 *   followed (FileTail), cut into lines (and `\r` updates) per stream, then read by one
 *   ConsoleAdapter (src/shared/centerfusion): progress lines, markers, `Drop LR to`, tracebacks.
 *   How far they were read into events.jsonl is kept in console.json;
 * - the run's experiment folder is polled (ExpFollower) for log.txt epochs, model_*.pth files and
 *   metrics_summary.json (kept per epoch);
 * - run_start (backend "python", the resolved options) and run_end (from the exit code or signal)
 *   are made here, since Python reports neither;
 * - every event goes to the store and to <save_dir>/runs/<run_id>/events.jsonl, and run.json is
 *   written there (atomically) at start, when the log folder is found, and at the end, so the run
 *   is read back after a reload like a builtin one.
 *
 * Stop: SIGINT to the group (Python raises KeyboardInterrupt), SIGTERM after `stepMs`, SIGKILL
 * after as long again. When the main process has ended but others of its group remain (DataLoader
 * workers), they get SIGTERM at once, then SIGKILL.
 *
 * process.json records the pid and its start time. After a window reload, PythonProcess.reattach
 * follows the run again from console.json's offsets (Stop works as before); the exit status of a
 * process that is not this window's child cannot be known, so its end is inferred: stopped after
 * Stop, failed when a traceback was seen, completed when log.txt reached num_epochs (or, for
 * test.py, when metrics were read), killed otherwise. The run id is also in the environment
 * (CFS_RUN_ID), for the older identity check (runRecord.isTrainerAlive).
 *
 * No vscode import (unit-tested against test/fixtures/python/fake_centerfusion).
 */

import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ConsoleAdapter } from '../../shared/centerfusion';
import { EventWriter } from '../../shared/protocol';
import type { EventBody, RunEvent, RunStatus } from '../../shared/protocol/types';
import { FileTail } from '../process/fileTail';
import {
  isRecordedProcessAlive,
  newProcessRecord,
  PROCESS_FILE,
  STDERR_FILE,
  STDOUT_FILE,
  writeConsoleOffsets,
  writeProcessRecord,
  type ConsoleOffsets,
  type ProcessRecord,
} from '../process/processRecord';
import { Escalation, inferStatus, signalGroup, STOP_ESCALATION_MS, TAIL_POLL_MS, type ManagedProcess, type TrainerExit } from '../process/trainerProcess';
import { EVENTS_FILE, writeRunRecord, type RunRecord } from '../runs/runRecord';
import type { RunStore } from '../runs/runStore';
import { ExpFollower } from '../watch/expFollower';
import type { PythonLaunchPlan } from './pythonLaunch';
import { guardedSpawn } from '../trust';

export const RUN_ID_ENV = 'CFS_RUN_ID';
/** How often the experiment folder is looked at while the run lives. */
export const FOLLOW_INTERVAL_MS = 1000;
/** console.json is written at most this often while the run lives (and at its end). */
const OFFSETS_INTERVAL_MS = 1000;

export interface PythonLaunch {
  runId: string;
  /** The interpreter (resolved). */
  python: string;
  /** Where the interpreter came from, for the log and run.json. */
  pythonSource?: string;
  plan: PythonLaunchPlan;
  /** The workspace folder of the config. */
  folder: string;
  configName?: string;
  task: string;
  /** Prefix of the run's log lines. */
  label: string;
  stepMs?: number;
  followMs?: number;
  /** The extension host's environment by default. */
  baseEnv?: NodeJS.ProcessEnv;
}

/** A Python run started before a window reload, to follow again (or to finish, when it ended unwatched). */
export interface PythonReattach {
  runId: string;
  runDir: string;
  saveDir: string;
  /** process.json (pid, start time, console files). */
  process: ProcessRecord;
  /** console.json: how far the console files were read; undefined: from their start. */
  offsets?: ConsoleOffsets;
  /** Whether the process still runs now. */
  alive: boolean;
  /** run.json as it is (continued and finished here). */
  record: RunRecord;
  /** The resolved options of run_start (for the adapter). */
  opts: Record<string, unknown>;
  /** When each epoch started (ms), from the epoch_start events already recorded. */
  epochStarts: ReadonlyMap<number, number>;
  label: string;
  stepMs?: number;
  followMs?: number;
}

export type Log = (line: string) => void;

type Source = { kind: 'spawn'; launch: PythonLaunch } | { kind: 'reattach'; reattach: PythonReattach };

/** Cuts whole pieces (from FileTail) into pieces ending in `\n` or `\r`, so two streams can share one adapter. */
function splitPieces(chunk: Buffer): string[] {
  const text = new StringDecoder('utf8').end(chunk);
  const pieces: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      // Keep "\r\n" together.
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      pieces.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  // An unfinished last piece (the stream's end, or a very long line) is read as a line.
  if (start < text.length) pieces.push(`${text.slice(start)}\n`);
  return pieces;
}

function isProgressLine(line: string): boolean {
  return line.includes('|Tot:');
}

export class PythonProcess implements ManagedProcess {
  readonly runId: string;
  readonly exited: Promise<TrainerExit>;
  readonly runDir: string;
  private readonly child: ChildProcess | undefined;
  private readonly processPid: number | undefined;
  private readonly processRecord: ProcessRecord | undefined;
  private readonly adapter: ConsoleAdapter;
  private readonly writer: EventWriter;
  private readonly follower: ExpFollower;
  private readonly epochStarts = new Map<number, number>();
  private readonly record: RunRecord;
  private readonly stepMs: number;
  private readonly label: string;
  private readonly python: string;
  private readonly mode: 'train' | 'eval';
  private out: FileTail | undefined;
  private err: FileTail | undefined;
  private escalation: Escalation | undefined;
  private stopRequested = false;
  private result: TrainerExit | undefined;
  private errors = 0;
  private pending: string[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private recordWrite: Promise<void> = Promise.resolve();
  private polling: Promise<void> | undefined;
  private reading: Promise<void> | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private tailTimer: NodeJS.Timeout | undefined;
  private tailPolls = 0;
  private knownLogsDir: string | undefined;
  private offsetsWritten = 0;
  private offsetsTimer: NodeJS.Timeout | undefined;
  private detached = false;

  /** Starts a run (see the module comment). */
  constructor(launch: PythonLaunch, store: RunStore, log: Log);
  /** Follows a run started before a reload: use PythonProcess.reattach. */
  constructor(source: Source, store: RunStore, log: Log);
  constructor(
    launchOrSource: PythonLaunch | Source,
    private readonly store: RunStore,
    private readonly log: Log,
  ) {
    const source: Source = 'kind' in launchOrSource ? launchOrSource : { kind: 'spawn', launch: launchOrSource };
    if (source.kind === 'reattach') {
      const r = source.reattach;
      this.runId = r.runId;
      this.runDir = r.runDir;
      this.label = r.label;
      this.stepMs = r.stepMs ?? STOP_ESCALATION_MS;
      this.processPid = r.process.pid;
      this.processRecord = r.process;
      this.python = typeof r.record['python'] === 'string' ? r.record['python'] : 'python';
      this.mode = r.record.mode === 'eval' ? 'eval' : 'train';
      this.record = { ...r.record };
      const started = r.record.started !== undefined ? Date.parse(r.record.started) : Number.NaN;
      this.adapter = new ConsoleAdapter({ opts: r.opts });
      const logsDir = typeof r.record['logs_dir'] === 'string' ? r.record['logs_dir'] : undefined;
      this.follower = new ExpFollower(r.saveDir, {
        since: Number.isNaN(started) ? undefined : started - 1000,
        logsDir,
        evaluation: this.mode === 'eval',
      });
      this.knownLogsDir = logsDir;
      for (const [epoch, t] of r.epochStarts) this.epochStarts.set(epoch, t);
      this.writer = new EventWriter(r.runId, (line) => this.append(line));
      this.openTails(r.process.stdout, r.process.stderr, r.offsets ?? { stdout: 0, stderr: 0 });
      if (r.alive) {
        this.store.update(r.runId, { status: 'running', attached: true, pid: r.process.pid, runDir: r.runDir, save_dir: r.saveDir });
        this.say(`reattached to Python (pid ${r.process.pid}) started before the window reloaded; following its console files and ${r.saveDir}`);
        this.startTimers(r.followMs);
        this.exited = new Promise<TrainerExit>((resolve) => {
          this.onTailPoll = () => {
            if (this.result !== undefined || this.detached || this.tailPolls++ % 4 !== 0) return;
            if (!isRecordedProcessAlive(r.process)) void this.end(null, null, { vanished: 'watched' }).then(resolve);
          };
        });
      } else {
        this.say(`Python (pid ${r.process.pid}) ended while VS Code was not watching: reading what it left`);
        this.exited = this.end(null, null, { vanished: 'unwatched' });
      }
      return;
    }

    const launch = source.launch;
    const { plan, runId } = launch;
    this.runId = runId;
    this.label = launch.label;
    this.python = launch.python;
    this.stepMs = launch.stepMs ?? STOP_ESCALATION_MS;
    this.runDir = path.join(plan.saveDir, 'runs', runId);
    const started = new Date();
    this.adapter = new ConsoleAdapter({ opts: plan.raw as unknown as Record<string, unknown> });
    this.mode = plan.raw.eval === true || plan.spec.script === 'test.py' ? 'eval' : 'train';
    this.follower = new ExpFollower(plan.saveDir, { since: started.getTime() - 1000, evaluation: this.mode === 'eval' });
    this.writer = new EventWriter(runId, (line) => this.append(line));

    this.say(`$ cd ${quoteArg(plan.cwd)} && ${[launch.python, ...plan.args].map(quoteArg).join(' ')}`);
    this.say(`interpreter: ${launch.python}${launch.pythonSource ? ` (${launch.pythonSource})` : ''}; ${plan.explanation}`);
    const numEpochs = plan.raw.num_epochs;
    store.update(runId, {
      status: 'running',
      started: started.toISOString(),
      folder: launch.folder,
      configName: launch.configName,
      task: launch.task,
      exp_id: plan.expId,
      runDir: this.runDir,
      save_dir: plan.saveDir,
      backend: 'python',
      num_epochs: typeof numEpochs === 'number' && numEpochs > 0 ? numEpochs : undefined,
      attached: true,
    });

    this.record = {
      id: runId,
      task: launch.task,
      exp_id: plan.expId,
      mode: this.mode,
      argv: [...plan.args],
      status: 'running',
      started: started.toISOString(),
      ended: null,
      exit_code: null,
      save_dir: plan.saveDir,
      backend: 'python',
      last_epoch: null,
      root_dir: plan.spec.root,
      events: path.join(this.runDir, EVENTS_FILE),
      config: launch.configName,
      python: launch.python,
      script: plan.spec.script,
      cwd: plan.cwd,
    };

    // The console goes to files in the run folder (never pipes): see the module comment.
    const stdoutFile = path.join(this.runDir, STDOUT_FILE);
    const stderrFile = path.join(this.runDir, STDERR_FILE);
    let fds: [number, number] | undefined;
    let setupError: string | undefined;
    try {
      mkdirSync(this.runDir, { recursive: true });
      const out = openSync(stdoutFile, 'a');
      try {
        fds = [out, openSync(stderrFile, 'a')];
      } catch (e) {
        closeSync(out);
        throw e;
      }
    } catch (e) {
      setupError = `cannot create the run folder ${this.runDir}: ${(e as Error).message}`;
    }
    if (fds === undefined) {
      this.say(setupError ?? 'cannot create the run folder');
      this.exited = this.finish(null, null, { spawnError: setupError });
      return;
    }
    this.openTails(stdoutFile, stderrFile, { stdout: 0, stderr: 0 });
    const child = guardedSpawn(launch.python, plan.args, {
      cwd: plan.cwd,
      env: { ...(launch.baseEnv ?? process.env), ...plan.env, [RUN_ID_ENV]: runId },
      stdio: ['ignore', fds[0], fds[1]],
      detached: true, // its own process group: Stop signals the workers too; closing VS Code leaves it running
      windowsHide: true,
    });
    this.child = child;
    for (const fd of fds) closeSync(fd); // the child has its own copies
    const pid = child.pid;
    this.processPid = pid;
    if (pid !== undefined) {
      this.record.pid = pid;
      this.processRecord = newProcessRecord(pid, 'python', this.runDir);
      this.record['start_time'] = this.processRecord.start_time;
      store.update(runId, { pid });
      writeProcessRecord(this.runDir, this.processRecord).catch((e: unknown) => this.say(`cannot write ${PROCESS_FILE}: ${(e as Error).message}`));
      this.emit({
        type: 'run_start',
        task: launch.task,
        exp_id: plan.expId,
        mode: this.mode,
        argv: [...plan.args],
        opts: { ...(plan.raw as unknown as Record<string, unknown>), save_dir: plan.saveDir },
        save_dir: plan.saveDir,
        backend: 'python',
        pid,
        python: launch.python,
      });
      this.writeRecord();
      this.startTimers(launch.followMs);
    }

    this.exited = new Promise<TrainerExit>((resolve) => {
      child.once('error', (e) => {
        this.say(`could not run ${launch.python}: ${e.message}`);
        if (child.pid === undefined) void this.finish(null, null, { spawnError: e.message }).then(resolve);
      });
      child.once('exit', (code, signal) => {
        if (this.detached) return; // the next window records the end (as after a reload)
        if (this.stopRequested && pid !== undefined) this.endGroupRemains(pid);
        void this.end(code, signal).then(resolve);
      });
    });
  }

  /**
   * Follows a Python run started before a window reload, or finishes the record of one that
   * ended while no window watched. The caller adopts it into TrainerProcesses.
   */
  static reattach(info: PythonReattach, store: RunStore, log: Log): PythonProcess {
    return new PythonProcess({ kind: 'reattach', reattach: info }, store, log);
  }

  get pid(): number | undefined {
    return this.processPid;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  stop(): boolean {
    if (this.result !== undefined || this.processPid === undefined) return false;
    if (this.child !== undefined && (this.child.exitCode !== null || this.child.signalCode !== null)) return false;
    if (this.stopRequested) return true;
    this.stopRequested = true;
    this.say(`stop requested: sent SIGINT to process group ${this.processPid}`);
    this.escalation = new Escalation(this.processPid, this.stepMs, (line) => this.say(line));
    return true;
  }

  /** Stops following (the window is closing); the run keeps going and a later window takes over. */
  detach(): void {
    this.detached = true;
    if (this.followTimer !== undefined) clearInterval(this.followTimer);
    if (this.tailTimer !== undefined) clearInterval(this.tailTimer);
    if (this.offsetsTimer !== undefined) clearTimeout(this.offsetsTimer);
    this.escalation?.cancel();
  }

  /** Called after each read of the console files (the reattached run checks its process there). */
  private onTailPoll: () => void = () => undefined;

  private openTails(stdoutFile: string | undefined, stderrFile: string | undefined, offsets: ConsoleOffsets): void {
    const handlers = {
      carriageReturns: true,
      onReset: (file: string) => this.say(`${path.basename(file)} got shorter: reading it again from its start`),
      onError: (file: string, message: string) => this.say(`cannot read ${path.basename(file)}: ${message}`),
    };
    if (stdoutFile !== undefined) this.out = new FileTail(stdoutFile, { ...handlers, offset: offsets.stdout });
    if (stderrFile !== undefined) this.err = new FileTail(stderrFile, { ...handlers, offset: offsets.stderr });
  }

  private startTimers(followMs: number | undefined): void {
    this.followTimer = setInterval(() => void this.follow(), followMs ?? FOLLOW_INTERVAL_MS);
    this.tailTimer = setInterval(() => {
      void this.readConsole(false).then(() => this.onTailPoll());
    }, TAIL_POLL_MS);
  }

  private say(line: string): void {
    this.log(`[${this.label}] ${line}`);
  }

  /** Ends what is left of the group once its leader is gone (SIGTERM now, SIGKILL later). */
  private endGroupRemains(pgid: number): void {
    this.escalation?.cancel();
    if (!groupExists(pgid)) return;
    signalGroup(pgid, 'SIGTERM');
    this.say(`the main process ended; sent SIGTERM to the rest of process group ${pgid}`);
    const timer = setTimeout(() => {
      if (groupExists(pgid)) {
        signalGroup(pgid, 'SIGKILL');
        this.say(`process group ${pgid} still had processes: sent SIGKILL`);
      }
    }, this.stepMs);
    timer.unref();
  }

  /** Reads new console output (all of it, unfinished lines too, when `final`). One read at a time. */
  private readConsole(final: boolean): Promise<void> {
    const previous = this.reading ?? Promise.resolve();
    const next = previous.then(async () => {
      const [outPieces, errPieces] = await Promise.all([
        this.out === undefined ? [] : final ? this.out.drain() : this.out.read(),
        this.err === undefined ? [] : final ? this.err.drain() : this.err.read(),
      ]);
      for (const chunk of outPieces) this.read(splitPieces(chunk), false);
      for (const chunk of errPieces) this.read(splitPieces(chunk), true);
      if (outPieces.length > 0 || errPieces.length > 0) this.saveOffsets(final);
    });
    this.reading = next.finally(() => {
      if (this.reading === next) this.reading = undefined;
    });
    return next;
  }

  /** Writes console.json once the events read so far are in events.jsonl (at most once a second). */
  private saveOffsets(now: boolean): void {
    if (this.out === undefined || this.err === undefined) return;
    const offsets: ConsoleOffsets = { stdout: this.out.consumed, stderr: this.err.consumed };
    const write = (): Promise<void> =>
      this.flushing
        .then(() => writeConsoleOffsets(this.runDir, offsets))
        .then(() => {
          this.offsetsWritten = Date.now();
        })
        .catch((e: unknown) => this.say(`cannot write console.json: ${(e as Error).message}`));
    if (now) {
      if (this.offsetsTimer !== undefined) clearTimeout(this.offsetsTimer);
      this.offsetsTimer = undefined;
      this.recordWrite = this.recordWrite.then(write);
      return;
    }
    if (this.offsetsTimer !== undefined) return;
    const wait = Math.max(0, this.offsetsWritten + OFFSETS_INTERVAL_MS - Date.now());
    this.offsetsTimer = setTimeout(() => {
      this.offsetsTimer = undefined;
      if (this.out === undefined || this.err === undefined || this.result !== undefined) return;
      const latest: ConsoleOffsets = { stdout: this.out.consumed, stderr: this.err.consumed };
      void this.flushing
        .then(() => writeConsoleOffsets(this.runDir, latest))
        .then(() => {
          this.offsetsWritten = Date.now();
        })
        .catch((e: unknown) => this.say(`cannot write console.json: ${(e as Error).message}`));
    }, wait);
  }

  private read(pieces: string[], stderr: boolean): void {
    for (const piece of pieces) {
      const line = piece.replace(/[\r\n]+$/, '');
      if (line.trim() !== '' && (stderr || !isProgressLine(line))) this.say(line);
      let bodies: EventBody[];
      try {
        bodies = this.adapter.push(piece);
      } catch {
        bodies = []; // the adapter does not throw; this keeps a bug there from reaching the host
      }
      for (const body of bodies) this.emit(body);
    }
  }

  private emit(body: EventBody): RunEvent | undefined {
    if (body.type === 'epoch_start' && !this.epochStarts.has(body.epoch)) this.epochStarts.set(body.epoch, Date.now());
    if (body.type === 'error') this.errors++;
    let event: RunEvent;
    try {
      event = this.writer.emit(body);
    } catch (e) {
      this.say(`dropped an event: ${(e as Error).message}`);
      return undefined;
    }
    this.store.apply(event);
    if (event.type === 'error') this.say(`error: ${event.error_type ?? 'Error'}: ${event.message}`);
    return event;
  }

  private append(line: string): void {
    this.pending.push(line);
    if (this.pending.length === 1) {
      this.flushing = this.flushing.then(async () => {
        const text = this.pending.join('');
        this.pending = [];
        try {
          await fs.appendFile(path.join(this.runDir, EVENTS_FILE), text, 'utf8');
        } catch (e) {
          this.say(`cannot write ${EVENTS_FILE}: ${(e as Error).message}`);
        }
      });
    }
  }

  private writeRecord(): void {
    const snapshot: RunRecord = { ...this.record };
    this.recordWrite = this.recordWrite
      .then(() => this.flushing)
      .then(() => writeRunRecord(this.runDir, snapshot))
      .catch((e: unknown) => this.say(`cannot write run.json: ${(e as Error).message}`));
  }

  private follow(): Promise<void> {
    if (this.polling !== undefined) return this.polling;
    this.polling = (async () => {
      const bodies = await this.follower.poll({ epoch: this.adapter.epoch, epochStarts: this.epochStarts });
      for (const body of bodies) this.emit(body);
      if (this.follower.logsDir !== undefined && this.knownLogsDir !== this.follower.logsDir) {
        this.knownLogsDir = this.follower.logsDir;
        this.record['logs_dir'] = this.follower.logsDir;
        if (this.result === undefined) this.writeRecord();
      }
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** The process has ended: read the rest of its console and folder, then finish. */
  private async end(code: number | null, signal: NodeJS.Signals | null, how: { vanished?: 'watched' | 'unwatched' } = {}): Promise<TrainerExit> {
    if (this.tailTimer !== undefined) clearInterval(this.tailTimer);
    await this.readConsole(true);
    return this.finish(code, signal, how);
  }

  /** How a run that was not this window's child ended, from what it left. */
  private inferVanished(): { status: RunStatus; why: string } {
    const run = this.store.get(this.runId);
    if (this.stopRequested) return { status: 'stopped', why: 'Stop was asked' };
    if (this.errors > 0 || (run?.errors.length ?? 0) > 0) return { status: 'failed', why: 'a traceback was seen' };
    const numEpochs = run?.num_epochs;
    let lastDone = 0;
    for (const e of run?.epochs.values() ?? []) if (e.done && e.epoch > lastDone) lastDone = e.epoch;
    if (this.mode === 'eval' ? run?.lastEval !== undefined : numEpochs !== undefined && lastDone >= numEpochs) {
      return { status: 'completed', why: this.mode === 'eval' ? 'its metrics were written' : `log.txt reached epoch ${lastDone} of ${numEpochs}` };
    }
    return { status: 'killed', why: `its output stops at epoch ${lastDone}${numEpochs !== undefined ? ` of ${numEpochs}` : ''} without a traceback` };
  }

  private async finish(
    code: number | null,
    signal: NodeJS.Signals | null,
    how: { spawnError?: string; vanished?: 'watched' | 'unwatched' } = {},
  ): Promise<TrainerExit> {
    if (this.result !== undefined) return this.result;
    if (this.followTimer !== undefined) clearInterval(this.followTimer);
    if (this.tailTimer !== undefined) clearInterval(this.tailTimer);
    if (!this.stopRequested) this.escalation?.cancel();
    try {
      for (const body of this.adapter.end()) this.emit(body);
    } catch {
      // see read()
    }
    await this.polling;
    await this.follow();

    let status: RunStatus;
    let reason: string;
    if (how.vanished !== undefined) {
      const inferred = this.inferVanished();
      status = inferred.status;
      const when = how.vanished === 'unwatched' ? 'ended while VS Code was not watching' : 'ended after the window reloaded';
      reason = `Python (pid ${this.processPid ?? '?'}) ${when}; its exit status cannot be known, so the status is inferred: ${status} (${inferred.why}; last epoch seen: ${this.store.get(this.runId)?.epoch ?? 'none'}).`;
    } else {
      status = inferStatus(code, signal, this.stopRequested);
      if (status === 'completed' && this.errors > 0) status = 'failed';
      reason =
        how.spawnError !== undefined
          ? `Python could not be started (${this.python}): ${how.spawnError}`
          : signal !== null
            ? `Python ended by signal ${signal}${this.stopRequested ? ' after Stop' : ''}.`
            : `Python exited with code ${code}.`;
    }
    this.result = { runId: this.runId, status, code, signal, reported: false };
    this.emit({ type: 'run_end', status, exit_code: code, signal, reason });
    this.store.update(this.runId, { attached: false, exit_code: code, signal });
    this.say(`ended: ${status} (${reason})`);
    const run = this.store.get(this.runId);
    Object.assign(this.record, {
      status,
      ended: new Date().toISOString(),
      exit_code: code,
      signal,
      last_epoch: run?.epoch ?? null,
    });
    if (how.vanished !== undefined) this.record['status_note'] = reason;
    if (this.processPid !== undefined) {
      this.saveOffsets(true);
      this.writeRecord();
      await this.recordWrite;
    }
    return this.result;
  }
}

/** True while any process of group `pgid` exists. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
