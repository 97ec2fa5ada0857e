/**
 * The running-loss chart's series, built incrementally: one series per loss name, each point
 * smoothed as it is appended (the same debiased EMA as emaSmooth in src/shared/webview/dashboard.ts,
 * carried on from the previous point) and, on a log scale, left out when not positive. The page
 * appends a delta's points to the arrays the chart already draws, instead of rebuilding every series
 * per message. No DOM (unit-tested in node).
 */

import type { IterPoint } from '../../src/shared/webview/dashboard';

export interface XY {
  x: number;
  y: number;
}

export interface IterSeries {
  name: string;
  /** The points drawn (smoothed, filtered); the chart's dataset holds this very array. */
  data: XY[];
  /** Raw points appended so far (the EMA's n). */
  n: number;
  /** The EMA before debiasing. */
  ema: number;
  /** weight^n, for the debiasing. */
  wn: number;
}

/** Whether `b` comes after `a` (a later epoch, or a later iteration of the same one). */
export function iterAfter(a: { epoch: number; iter: number }, b: { epoch: number; iter: number }): boolean {
  return b.epoch > a.epoch || (b.epoch === a.epoch && b.iter > a.iter);
}

export class IterSeriesSet {
  /** By loss name, in the order the names first appeared. */
  readonly series = new Map<string, IterSeries>();
  private readonly w: number;
  private last: { epoch: number; iter: number } | undefined;

  /** `smoothing` as the page's slider gives it ([0, 1)); `logScale`: leave out points <= 0. */
  constructor(
    smoothing: number,
    private readonly logScale: boolean,
  ) {
    this.w = smoothing > 0 ? Math.min(smoothing, 0.999) : 0;
  }

  /** The newest point appended. */
  get lastPoint(): { epoch: number; iter: number } | undefined {
    return this.last;
  }

  /**
   * Appends the points that come after the newest one appended (repeats and older points are
   * skipped). Returns the number of new series names (the chart then needs its datasets made).
   */
  append(points: readonly IterPoint[]): number {
    let added = 0;
    for (const p of points) {
      if (this.last !== undefined && !iterAfter(this.last, p)) continue;
      this.last = { epoch: p.epoch, iter: p.iter };
      for (const name in p.losses) {
        const v = p.losses[name];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        let s = this.series.get(name);
        if (s === undefined) {
          s = { name, data: [], n: 0, ema: 0, wn: 1 };
          this.series.set(name, s);
          added++;
        }
        let y = v;
        if (this.w > 0) {
          s.ema = s.ema * this.w + (1 - this.w) * v;
          s.wn *= this.w;
          y = s.ema / (1 - s.wn);
        }
        s.n++;
        if (this.logScale && !(y > 0)) continue;
        s.data.push({ x: p.iter, y });
      }
    }
    return added;
  }

  /** The longest series' length (the page's data-points). */
  get maxPoints(): number {
    let m = 0;
    for (const s of this.series.values()) m = Math.max(m, s.data.length);
    return m;
  }
}
