/**
 * A Python CenterFusion run started by the extension: `<python> main.py <task> ...` in <root>/src,
 * with an argument array (never a shell), in its own process group (detached).
 *
 * - stdout and stderr are cut into lines (and `\r` updates) per stream, then read by one
 *   ConsoleAdapter (src/shared/centerfusion): progress lines, markers, `Drop LR to`, tracebacks;
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
 * The run id is also put into the environment (CFS_RUN_ID), so a reloaded window can tell that a
 * pid is still this run's process (runRecord.isTrainerAlive).
 *
 * No vscode import (unit-tested against test/fixtures/python/fake_centerfusion).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ConsoleAdapter } from '../../shared/centerfusion';
import { EventWriter } from '../../shared/protocol';
import type { EventBody, RunEvent, RunStatus } from '../../shared/protocol/types';
import { Escalation, inferStatus, signalGroup, STOP_ESCALATION_MS, type ManagedProcess, type TrainerExit } from '../process/trainerProcess';
import { EVENTS_FILE, writeRunRecord, type RunRecord } from '../runs/runRecord';
import type { RunStore } from '../runs/runStore';
import { ExpFollower } from '../watch/expFollower';
import type { PythonLaunchPlan } from './pythonLaunch';

export const RUN_ID_ENV = 'CFS_RUN_ID';
/** How often the experiment folder is looked at while the run lives. */
export const FOLLOW_INTERVAL_MS = 1000;
/** A piece of output longer than this without a line end is read as it is. */
const MAX_PIECE = 64 * 1024;

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

export type Log = (line: string) => void;

/** Cuts one stream into pieces ending in `\n` or `\r`, so two streams can share one adapter. */
class PieceSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.write(chunk);
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
    this.partial = text.slice(start);
    if (this.partial.length > MAX_PIECE) {
      pieces.push(this.partial);
      this.partial = '';
    }
    return pieces;
  }

  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest.length > 0 ? [`${rest}\n`] : [];
  }
}

function isProgressLine(line: string): boolean {
  return line.includes('|Tot:');
}

export class PythonProcess implements ManagedProcess {
  readonly runId: string;
  readonly exited: Promise<TrainerExit>;
  readonly runDir: string;
  private readonly child: ChildProcess;
  private readonly adapter: ConsoleAdapter;
  private readonly writer: EventWriter;
  private readonly follower: ExpFollower;
  private readonly epochStarts = new Map<number, number>();
  private readonly record: RunRecord;
  private readonly stepMs: number;
  private escalation: Escalation | undefined;
  private stopRequested = false;
  private result: TrainerExit | undefined;
  private errors = 0;
  private pending: string[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private recordWrite: Promise<void> = Promise.resolve();
  private polling: Promise<void> | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private knownLogsDir: string | undefined;

  constructor(
    private readonly launch: PythonLaunch,
    private readonly store: RunStore,
    private readonly log: Log,
  ) {
    const { plan, runId } = launch;
    this.runId = runId;
    this.stepMs = launch.stepMs ?? STOP_ESCALATION_MS;
    this.runDir = path.join(plan.saveDir, 'runs', runId);
    const started = new Date();
    this.adapter = new ConsoleAdapter({ opts: plan.raw as unknown as Record<string, unknown> });
    this.follower = new ExpFollower(plan.saveDir, { since: started.getTime() - 1000 });
    this.writer = new EventWriter(runId, (line) => this.append(line));
    const ready = fs.mkdir(this.runDir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => this.say(`cannot create the run folder ${this.runDir}: ${(err as Error).message}`),
    );
    this.flushing = ready;

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

    const mode = plan.raw.eval === true || plan.spec.script === 'test.py' ? 'eval' : 'train';
    this.child = spawn(launch.python, plan.args, {
      cwd: plan.cwd,
      env: { ...(launch.baseEnv ?? process.env), ...plan.env, [RUN_ID_ENV]: runId },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: Stop signals the workers too; closing VS Code leaves it running
      windowsHide: true,
    });
    const pid = this.child.pid;
    this.record = {
      id: runId,
      task: launch.task,
      exp_id: plan.expId,
      mode,
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
    if (pid !== undefined) {
      this.record.pid = pid;
      store.update(runId, { pid });
      this.emit({
        type: 'run_start',
        task: launch.task,
        exp_id: plan.expId,
        mode,
        argv: [...plan.args],
        opts: { ...(plan.raw as unknown as Record<string, unknown>), save_dir: plan.saveDir },
        save_dir: plan.saveDir,
        backend: 'python',
        pid,
        python: launch.python,
      });
      this.writeRecord();
      this.followTimer = setInterval(() => void this.follow(), launch.followMs ?? FOLLOW_INTERVAL_MS);
    }

    const out = new PieceSplitter();
    const err = new PieceSplitter();
    this.child.stdout?.on('data', (chunk: Buffer) => this.read(out.push(chunk), false));
    this.child.stderr?.on('data', (chunk: Buffer) => this.read(err.push(chunk), true));

    this.exited = new Promise<TrainerExit>((resolve) => {
      let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      let ended = false;
      const done = (): void => {
        if (ended) return;
        ended = true;
        if (graceTimer !== undefined) clearTimeout(graceTimer);
        this.read(out.end(), false);
        this.read(err.end(), true);
        void this.finish(exitInfo?.code ?? null, exitInfo?.signal ?? null).then(resolve);
      };
      this.child.once('error', (e) => {
        this.say(`could not run ${launch.python}: ${e.message}`);
        if (this.child.pid === undefined) {
          exitInfo = { code: null, signal: null };
          void this.finish(null, null, e.message).then(resolve);
        }
      });
      // Children of the run (DataLoader workers) may hold the pipes open after the main process
      // exits: 'close' would wait for them. Finish on 'exit', after a short grace for the output.
      this.child.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        if (this.stopRequested && pid !== undefined) this.endGroupRemains(pid);
        graceTimer = setTimeout(() => {
          this.child.stdout?.destroy();
          this.child.stderr?.destroy();
          done();
        }, 1000);
      });
      this.child.once('close', () => {
        if (exitInfo !== undefined) done();
        else exitInfo = { code: this.child.exitCode, signal: this.child.signalCode };
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  stop(): boolean {
    if (this.result !== undefined || this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return false;
    if (this.stopRequested) return true;
    this.stopRequested = true;
    this.say(`stop requested: sent SIGINT to process group ${this.child.pid}`);
    this.escalation = new Escalation(this.child.pid, this.stepMs, (line) => this.say(line));
    return true;
  }

  private say(line: string): void {
    this.log(`[${this.launch.label}] ${line}`);
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
    } catch (err) {
      this.say(`dropped an event: ${(err as Error).message}`);
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
        } catch (err) {
          this.say(`cannot write ${EVENTS_FILE}: ${(err as Error).message}`);
        }
      });
    }
  }

  private writeRecord(): void {
    const snapshot: RunRecord = { ...this.record };
    this.recordWrite = this.recordWrite
      .then(() => this.flushing)
      .then(() => writeRunRecord(this.runDir, snapshot))
      .catch((err: unknown) => this.say(`cannot write run.json: ${(err as Error).message}`));
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

  private async finish(code: number | null, signal: NodeJS.Signals | null, spawnError?: string): Promise<TrainerExit> {
    if (this.result !== undefined) return this.result;
    if (this.followTimer !== undefined) clearInterval(this.followTimer);
    if (!this.stopRequested) this.escalation?.cancel();
    try {
      for (const body of this.adapter.end()) this.emit(body);
    } catch {
      // see read()
    }
    await this.polling;
    await this.follow();

    let status: RunStatus = inferStatus(code, signal, this.stopRequested);
    if (status === 'completed' && this.errors > 0) status = 'failed';
    const reason =
      spawnError !== undefined
        ? `Python could not be started (${this.launch.python}): ${spawnError}`
        : signal !== null
          ? `Python ended by signal ${signal}${this.stopRequested ? ' after Stop' : ''}.`
          : `Python exited with code ${code}.`;
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
    if (this.child.pid !== undefined) {
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
