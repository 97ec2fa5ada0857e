/**
 * Follows one CenterFusion run in its experiment folder (exp/<task>/<exp_id>, CenterFusion's
 * save_dir) and turns what it writes into run-event bodies:
 *
 * - `logs_<time>/log.txt` → `epoch_end` (one per complete epoch line; a line rewritten with its
 *   validation half is sent again);
 * - `model_last.pth`, `model_<N>.pth` → `checkpoint` (model_last belongs to the newest epoch);
 * - `nuscenes_eval_det_output_<split>/metrics_summary.json` → `eval`, with a per-epoch copy in
 *   `<save_dir>/.centerfusion-studio/metrics/<logs folder>/<output folder>/epoch_<N>.json`,
 *   since CenterFusion overwrites the file at every evaluation. Copies found there are read back.
 *
 * Which epoch a metrics file belongs to: for a run followed live, the epoch its console output
 * was in when the file was written (the newest epoch seen starting before the file's mtime,
 * `hints.epochStarts`); otherwise the newest validation epoch whose
 * log.txt line was stamped at or before the file's time. A file older than the epoch it would
 * belong to (its mtime before that epoch started, or before the run started) is stale: the
 * previous evaluation's file left in place by a failed one. It is ignored.
 *
 * All reads are async; each poll reads log.txt once and stats a handful of files. Never throws.
 * No vscode import (unit-tested).
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { metricsToEvents, parseLogTxt, type LogTxtEpoch } from '../../shared/centerfusion';
import type { EventBody } from '../../shared/protocol/types';

export const STUDIO_DIR = '.centerfusion-studio';
const LOGS_DIR = /^logs_(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/;
const MODEL_FILE = /^model_(last|\d+)\.pth$/;
const EVAL_DIR = /^nuscenes_eval_det_output_/;
const MINUTE = 60_000;

/** A `YYYY-MM-DD-HH-MM` stamp (local time, as Python's time.strftime writes it) in ms; NaN when unreadable. */
export function stampToMs(stamp: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/.exec(stamp);
  if (m === null) return Number.NaN;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])).getTime();
}

/** The logs_<time> folders of a save_dir, oldest first. */
export async function listLogsDirs(saveDir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(saveDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && LOGS_DIR.test(e.name)).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

export interface FollowHints {
  /** The epoch the run's console output is in (live runs). */
  epoch?: number | null;
  /** When each epoch was first seen starting (ms), for the staleness check of live runs. */
  epochStarts?: ReadonlyMap<number, number>;
}

export interface FollowerOptions {
  /** The run's logs_<time> folder name, when known. */
  logsDir?: string;
  /** Start of the run (ms): the logs folder is the first one stamped at or after it; older files are not this run's. */
  since?: number;
  /** Whether to write the per-epoch metrics copies (false for a read-only look). Default true. */
  copyMetrics?: boolean;
  /**
   * Whether the folder's shared files (model_*.pth, the current metrics_summary.json) are this
   * run's: true for the newest run of a folder, false for older ones (their metrics copies are
   * still read). Default true.
   */
  sharedFiles?: boolean;
  /**
   * An evaluation run (test.py, --eval): a metrics_summary.json written at or after `since` is
   * its result (an `eval` event with epoch null, pointing at the file); no per-epoch copy.
   */
  evaluation?: boolean;
}

interface MetricsSeen {
  mtime: number;
}

export class ExpFollower {
  private logsDirName: string | undefined;
  private readonly sentEpochs = new Map<number, string>();
  private readonly sentCheckpoints = new Map<string, string>();
  private readonly sentEvals = new Map<string, string>();
  private readonly metricsSeen = new Map<string, MetricsSeen>();
  private copiesRead = false;
  private lastEpochs: LogTxtEpoch[] = [];
  /** Problems met (unreadable files, failed copies), newest last; capped. */
  readonly problems: string[] = [];

  constructor(
    readonly saveDir: string,
    private readonly options: FollowerOptions = {},
  ) {
    this.logsDirName = options.logsDir;
  }

  /** The run's logs_<time> folder name, once found. */
  get logsDir(): string | undefined {
    return this.logsDirName;
  }

  /** Epochs read from log.txt at the last poll. */
  get epochs(): readonly LogTxtEpoch[] {
    return this.lastEpochs;
  }

  private problem(text: string): void {
    if (this.problems.length < 50) this.problems.push(text);
  }

  /** Reads what changed since the last poll. Never throws. */
  async poll(hints: FollowHints = {}): Promise<EventBody[]> {
    const out: EventBody[] = [];
    try {
      if (this.logsDirName === undefined) this.logsDirName = await this.findLogsDir();
      if (this.logsDirName !== undefined) await this.readLog(out);
      if (this.options.sharedFiles !== false) await this.readCheckpoints(out, hints);
      await this.readMetrics(out, hints);
    } catch (err) {
      this.problem(`internal error while reading ${this.saveDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return out;
  }

  private async findLogsDir(): Promise<string | undefined> {
    const dirs = await listLogsDirs(this.saveDir);
    if (this.options.since === undefined) return dirs[dirs.length - 1];
    const since = Math.floor(this.options.since / MINUTE) * MINUTE;
    return dirs.find((d) => stampToMs(d.slice(5)) >= since);
  }

  private async readLog(out: EventBody[]): Promise<void> {
    const file = path.join(this.saveDir, this.logsDirName ?? '', 'log.txt');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return; // not written yet
    }
    const parsed = parseLogTxt(text);
    this.lastEpochs = parsed.epochs;
    for (const e of parsed.epochs) {
      if (e.time_min === null) continue; // cut before its train time: not an epoch end yet
      const body: EventBody = { type: 'epoch_end', epoch: e.epoch, train: e.train, val: e.val, time_min: e.time_min };
      if (e.val_time_min !== undefined) body['val_time_min'] = e.val_time_min;
      if (e.time !== '') body['logged_at'] = e.time;
      const key = JSON.stringify(body);
      if (this.sentEpochs.get(e.epoch) === key) continue;
      this.sentEpochs.set(e.epoch, key);
      out.push(body);
    }
  }

  private newestEpoch(hints: FollowHints): number | undefined {
    const fromLog = this.lastEpochs.length > 0 ? Math.max(...this.lastEpochs.map((e) => e.epoch)) : undefined;
    const hint = typeof hints.epoch === 'number' ? hints.epoch : undefined;
    if (hint === undefined) return fromLog;
    return fromLog === undefined ? hint : Math.max(hint, fromLog);
  }

  private async readCheckpoints(out: EventBody[], hints: FollowHints): Promise<void> {
    let names: string[];
    try {
      names = (await fs.readdir(this.saveDir)).filter((n) => MODEL_FILE.test(n));
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(this.saveDir, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat === undefined || !stat.isFile()) continue;
      if (this.options.since !== undefined && stat.mtimeMs < this.options.since) continue; // an earlier run's file
      const mark = MODEL_FILE.exec(name)?.[1] ?? 'last';
      const epoch = mark === 'last' ? this.newestEpoch(hints) : Number(mark);
      if (epoch === undefined || !(epoch >= 1)) continue;
      const key = `${epoch}|${stat.mtimeMs}`;
      if (this.sentCheckpoints.get(name) === key) continue;
      this.sentCheckpoints.set(name, key);
      out.push({ type: 'checkpoint', epoch, path: file, kind: mark === 'last' ? 'last' : 'epoch', size_bytes: stat.size });
    }
  }

  private copyDir(evalDir: string): string {
    return path.join(this.saveDir, STUDIO_DIR, 'metrics', this.logsDirName ?? 'unknown-run', evalDir);
  }

  private pushEval(out: EventBody[], evalDir: string, epoch: number | null, text: string, summaryPath: string): boolean {
    const r = metricsToEvents(text, { epoch, summaryPath });
    if (r.events.length === 0) return false;
    const key = `${evalDir}|${epoch ?? 'evaluation'}`;
    if (this.sentEvals.get(key) === text) return true;
    this.sentEvals.set(key, text);
    out.push(...r.events);
    return true;
  }

  /** The epoch a metrics file written at `mtime` belongs to, or why none (stale). */
  private epochFor(mtime: number, hints: FollowHints): { epoch?: number; stale?: string } {
    if (this.options.since !== undefined && mtime < this.options.since) return { stale: 'written before this run started' };
    if (hints.epochStarts !== undefined && hints.epochStarts.size > 0) {
      // Live: the epoch that was running when the file was written (an evaluation that failed
      // leaves the previous epoch's file, which then maps to that earlier epoch again).
      let best: number | undefined;
      for (const [epoch, started] of hints.epochStarts) if (started <= mtime && (best === undefined || epoch > best)) best = epoch;
      return best !== undefined ? { epoch: best } : { stale: 'older than the first epoch of this run' };
    }
    if (typeof hints.epoch === 'number') return { epoch: hints.epoch };
    const validated = this.lastEpochs.filter((e) => e.val !== null && e.time !== '');
    let best: LogTxtEpoch | undefined;
    for (const e of validated) if (stampToMs(e.time) <= mtime && (best === undefined || e.epoch > best.epoch)) best = e;
    if (best === undefined) {
      return validated.length > 0 ? { stale: `older than every validation epoch in log.txt` } : {};
    }
    return { epoch: best.epoch };
  }

  private async readMetrics(out: EventBody[], hints: FollowHints): Promise<void> {
    let evalDirs: string[];
    try {
      evalDirs = (await fs.readdir(this.saveDir, { withFileTypes: true })).filter((e) => e.isDirectory() && EVAL_DIR.test(e.name)).map((e) => e.name);
    } catch {
      return;
    }
    if (!this.copiesRead && this.logsDirName !== undefined) {
      this.copiesRead = true;
      for (const evalDir of evalDirs) {
        const dir = this.copyDir(evalDir);
        const names = await fs.readdir(dir).catch(() => [] as string[]);
        for (const name of names) {
          const m = /^epoch_(\d+)\.json$/.exec(name);
          if (m === null) continue;
          const text = await fs.readFile(path.join(dir, name), 'utf8').catch(() => undefined);
          if (text !== undefined) this.pushEval(out, evalDir, Number(m[1]), text, path.join(dir, name));
        }
      }
    }
    if (this.options.sharedFiles === false) return;
    for (const evalDir of evalDirs) {
      const file = path.join(this.saveDir, evalDir, 'metrics_summary.json');
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat === undefined) continue;
      const seen = this.metricsSeen.get(evalDir);
      if (seen !== undefined && seen.mtime === stat.mtimeMs) continue;
      if (this.options.evaluation === true) {
        // An evaluation's result: written during this run, or an earlier run's (stale).
        if (this.options.since !== undefined && stat.mtimeMs < this.options.since) {
          this.metricsSeen.set(evalDir, { mtime: stat.mtimeMs });
          continue;
        }
        const text = await fs.readFile(file, 'utf8').catch(() => undefined);
        if (text !== undefined && this.pushEval(out, evalDir, null, text, file)) this.metricsSeen.set(evalDir, { mtime: stat.mtimeMs });
        continue;
      }
      const where = this.epochFor(stat.mtimeMs, hints);
      if (where.epoch === undefined) {
        if (where.stale !== undefined) this.metricsSeen.set(evalDir, { mtime: stat.mtimeMs });
        continue;
      }
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      let summaryPath = file;
      if (this.options.copyMetrics !== false && this.logsDirName !== undefined) {
        const copy = path.join(this.copyDir(evalDir), `epoch_${where.epoch}.json`);
        if (metricsToEvents(text).events.length > 0) {
          try {
            await fs.mkdir(path.dirname(copy), { recursive: true });
            const old = await fs.readFile(copy, 'utf8').catch(() => undefined);
            if (old !== text) await fs.writeFile(copy, text, 'utf8');
            summaryPath = copy;
          } catch (err) {
            this.problem(`cannot keep a copy of ${file}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      }
      // A file caught mid-write does not parse: try again at the next poll.
      if (this.pushEval(out, evalDir, where.epoch, text, summaryPath)) this.metricsSeen.set(evalDir, { mtime: stat.mtimeMs });
    }
  }
}
