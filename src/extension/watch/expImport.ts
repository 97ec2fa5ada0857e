/**
 * Importing CenterFusion experiment folders as runs: every `exp/<task>/<exp_id>/logs_<time>/`
 * under a root is one launch of CenterFusion (its Logger makes one per start). A launch that a
 * run record already describes (`runs/<id>/run.json`: its `logs_dir`, or a start within a minute
 * of the folder's stamp, for records that do not name it) is left to that record; the others
 * become runs of their own, id `cf-<task>-<exp_id>-<time>-<hash of the folder>`:
 *
 * - options from the launch's opt.txt, epochs from its log.txt;
 * - the folder's model_*.pth and current metrics_summary.json for the newest launch only (they
 *   are shared by all launches and rewritten by each), per-epoch metrics copies for every one
 *   (see expFollower.ts);
 * - status: `completed` when log.txt reached num_epochs; `running` when log.txt changed within
 *   RECENT_MS; otherwise `killed`, with a note (CenterFusion records no end).
 *
 * Async, a few folders at a time; never throws. No vscode import (unit-tested).
 */

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { optTxtToEvents } from '../../shared/centerfusion';
import { makeEvent } from '../../shared/protocol';
import type { EventBody, RunEvent } from '../../shared/protocol/types';
import { parseRunRecord, RUN_RECORD_FILE } from '../runs/runRecord';
import type { RunMeta } from '../runs/runStore';
import { ExpFollower, listLogsDirs, stampToMs } from './expFollower';

/** A launch whose log.txt changed this recently is shown as running. */
export const RECENT_MS = 15 * 60_000;
const CONCURRENCY = 8;

export interface ImportedRun {
  id: string;
  meta: RunMeta;
  events: RunEvent[];
  problems: string[];
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The experiment folders (CenterFusion save_dirs) under `<root>/exp`. */
export async function findExpDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const task of await subdirs(path.join(root, 'exp'))) {
    for (const expId of await subdirs(path.join(root, 'exp', task))) out.push(path.join(root, 'exp', task, expId));
  }
  return out;
}

/** logs_<time> folders that a run record in `<saveDir>/runs/` already stands for. */
async function claimedLogsDirs(saveDir: string, logsDirs: readonly string[]): Promise<Set<string>> {
  const claimed = new Set<string>();
  for (const id of await subdirs(path.join(saveDir, 'runs'))) {
    const text = await fs.readFile(path.join(saveDir, 'runs', id, RUN_RECORD_FILE), 'utf8').catch(() => undefined);
    const record = text === undefined ? undefined : parseRunRecord(text);
    if (record === undefined) continue;
    if (typeof record['logs_dir'] === 'string') {
      claimed.add(record['logs_dir']);
      continue;
    }
    const started = record.started !== undefined ? Date.parse(record.started) : Number.NaN;
    if (Number.isNaN(started)) continue;
    for (const d of logsDirs) if (Math.abs(stampToMs(d.slice(5)) - Math.floor(started / 60_000) * 60_000) <= 60_000) claimed.add(d);
  }
  return claimed;
}

export function externalRunId(saveDir: string, logsDir: string): string {
  const hash = createHash('sha1').update(path.join(saveDir, logsDir)).digest('hex').slice(0, 8);
  const task = path.basename(path.dirname(saveDir));
  const expId = path.basename(saveDir);
  return `cf-${task}-${expId}-${logsDir.slice(5)}-${hash}`.replace(/[^\w.-]/g, '_');
}

function stampIso(logsDir: string): string | undefined {
  const ms = stampToMs(logsDir.slice(5));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Reads the unclaimed launches of one experiment folder. Never throws. */
export async function importExpDir(saveDir: string, root: string, now = Date.now()): Promise<ImportedRun[]> {
  const logsDirs = await listLogsDirs(saveDir);
  if (logsDirs.length === 0) return [];
  const claimed = await claimedLogsDirs(saveDir, logsDirs);
  const newest = logsDirs[logsDirs.length - 1];
  const out: ImportedRun[] = [];
  for (const logsDir of logsDirs) {
    if (claimed.has(logsDir)) continue;
    const id = externalRunId(saveDir, logsDir);
    const started = stampIso(logsDir);
    const t = started !== undefined ? new Date(started) : new Date(now);
    const bodies: EventBody[] = [];
    const problems: string[] = [];
    const optText = await fs.readFile(path.join(saveDir, logsDir, 'opt.txt'), 'utf8').catch(() => undefined);
    let numEpochs: number | undefined;
    if (optText !== undefined) {
      const r = optTxtToEvents(optText);
      bodies.push(...r.events);
      const first = r.events[0];
      const n = first !== undefined && first.type === 'options' ? first.opts['num_epochs'] : undefined;
      if (typeof n === 'number' && Number.isInteger(n) && n > 0) numEpochs = n;
    }
    const follower = new ExpFollower(saveDir, { logsDir, sharedFiles: logsDir === newest });
    bodies.push(...(await follower.poll()));
    problems.push(...follower.problems);
    const lastEpoch = follower.epochs.reduce((m, e) => (e.time_min !== null && e.epoch > m ? e.epoch : m), 0);
    const logStat = await fs.stat(path.join(saveDir, logsDir, 'log.txt')).catch(() => undefined);
    const meta: RunMeta = {
      folder: root,
      task: path.basename(path.dirname(saveDir)),
      exp_id: path.basename(saveDir),
      save_dir: saveDir,
      backend: 'python (found on disk)',
      started,
      num_epochs: numEpochs,
      attached: false,
    };
    if (numEpochs !== undefined && lastEpoch >= numEpochs) meta.status = 'completed';
    else if (logStat !== undefined && now - logStat.mtimeMs < RECENT_MS) meta.status = 'running';
    else {
      meta.status = 'killed';
      meta.note = `Found on disk: log.txt stops at epoch ${lastEpoch}${numEpochs !== undefined ? ` of ${numEpochs}` : ''} and has not changed for ${Math.round(RECENT_MS / 60_000)} minutes; CenterFusion records no end, so it is shown as ended.`;
    }
    if (meta.status !== 'running' && logStat !== undefined) meta.ended = new Date(logStat.mtimeMs).toISOString();
    const events = bodies.map((b) => makeEvent(id, b, t));
    out.push({ id, meta, events, problems });
  }
  return out;
}

/** Imports every experiment folder under `root` (skipping `skipDir(saveDir)`). Never throws. */
export async function importRoot(root: string, skipDir: (saveDir: string) => boolean = () => false): Promise<ImportedRun[]> {
  const dirs = (await findExpDirs(root)).filter((d) => !skipDir(d));
  const out: ImportedRun[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, dirs.length) }, async () => {
      while (next < dirs.length) {
        const dir = dirs[next++];
        out.push(...(await importExpDir(dir, root)));
      }
    }),
  );
  return out;
}
