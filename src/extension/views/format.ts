/**
 * Texts shown in the trees: labels, descriptions and tooltips' lines for runs, epochs and
 * checkpoints. No vscode import (unit-tested); the tree providers wrap these in TreeItems.
 */

import * as path from 'node:path';
import type { Num, Stats } from '../../shared/protocol/types';
import type { CheckpointInfo, EpochInfo, Run } from '../runs/runStore';

/** A loss or metric: 4 significant decimals, "–" for missing/NaN (null). */
export function formatLoss(value: Num | undefined, digits = 4): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** A learning rate such as 1.25e-4. */
export function formatLr(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  return value.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
}

/** A file size: 512 B, 1.2 KB, 3.4 MB, 1.1 GB (powers of 1024). */
export function formatBytes(bytes: number | undefined): string | undefined {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return undefined;
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Local HH:MM of an ISO time, "--:--" when unknown. */
export function formatClock(iso: string | undefined): string {
  if (iso === undefined) return '--:--';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '--:--';
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** Local date and time of an ISO time, for tooltips. */
export function formatDateTime(iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Epochs that finished. */
export function doneEpochs(run: Run): number {
  let n = 0;
  for (const e of run.epochs.values()) if (e.done) n++;
  return n;
}

/** Run row label: `<exp_id> · <HH:MM>`. */
export function runLabel(run: Run): string {
  return `${run.exp_id ?? run.id} · ${formatClock(run.started)}`;
}

/**
 * Run row description. Running: `epoch 3/10 · tot 1.234` (or `starting…` before the first
 * epoch); finished: `completed · 3 epochs`.
 */
export function runDescription(run: Run, stopping = false): string {
  if (run.status !== 'running') return `${run.status} · ${plural(doneEpochs(run), 'epoch')}`;
  const parts: string[] = [];
  if (stopping) parts.push('stopping…');
  if (run.epoch === undefined) {
    if (!stopping) parts.push('starting…');
  } else {
    parts.push(run.num_epochs !== undefined ? `epoch ${run.epoch}/${run.num_epochs}` : `epoch ${run.epoch}`);
    const tot = run.lastLosses?.['tot'] ?? run.lastLosses?.['loss'];
    if (tot !== undefined) parts.push(`tot ${formatLoss(tot, 3)}`);
  }
  return parts.join(' · ');
}

/** The loss shown first: CenterFusion's `tot`, or CenterNet's `loss`. */
function headline(stats: Stats | null | undefined): Num | undefined {
  if (stats === null || stats === undefined) return undefined;
  return stats['tot'] ?? stats['loss'];
}

/** Epoch row description: `tot 1.2345 · val 1.3456 · lr 1.25e-4`; live progress while it runs. */
export function epochDescription(epoch: EpochInfo, run: Run): string {
  const parts: string[] = [];
  if (!epoch.done) {
    const iter = run.iter;
    if (run.status === 'running' && iter !== undefined && iter.epoch === epoch.epoch) {
      parts.push(`${iter.phase === 'val' ? 'val ' : ''}iter ${iter.iter + 1}/${iter.num_iters}`);
      const tot = headline(iter.losses);
      if (tot !== undefined) parts.push(`tot ${formatLoss(tot)}`);
    } else {
      parts.push(run.status === 'running' ? 'starting…' : 'not finished');
    }
  } else {
    parts.push(`tot ${formatLoss(headline(epoch.train))}`);
    const val = headline(epoch.val);
    if (val !== undefined) parts.push(`val ${formatLoss(val)}`);
  }
  if (epoch.lr !== undefined) parts.push(`lr ${formatLr(epoch.lr)}`);
  return parts.join(' · ');
}

/** Lines `name: train (val)` for every loss of an epoch, for its tooltip. */
export function epochLossLines(epoch: EpochInfo): string[] {
  const names = new Set<string>([...Object.keys(epoch.train ?? {}), ...Object.keys(epoch.val ?? {})]);
  const lines: string[] = [];
  for (const name of names) {
    const train = epoch.train?.[name];
    const val = epoch.val?.[name];
    lines.push(`${name}: ${formatLoss(train)}${epoch.val ? ` (val ${formatLoss(val)})` : ''}`);
  }
  return lines;
}

/** Checkpoint row description: `epoch N · last · 1.2 MB`. */
export function checkpointDescription(checkpoint: CheckpointInfo): string {
  const parts = [`epoch ${checkpoint.epoch}`, checkpoint.kind];
  const size = formatBytes(checkpoint.size_bytes);
  if (size !== undefined) parts.push(size);
  return parts.join(' · ');
}

/** A checkpoint's absolute path (events may give it relative to the run's root). */
export function checkpointFile(checkpoint: CheckpointInfo, run: Run): string {
  return path.isAbsolute(checkpoint.path) || run.folder === undefined
    ? checkpoint.path
    : path.resolve(run.folder, checkpoint.path);
}
