/**
 * The summary the nuScenes detection evaluation prints when it finishes:
 *
 *   mAP: 0.3320
 *   mATE: 0.6490            (then mASE, mAOE, mAVE, mAAE)
 *   NDS: 0.4530
 *   Eval time: 12.3s
 *
 *   Per-class results:
 *   Object Class	AP	ATE	ASE	AOE	AVE	AAE
 *   car	0.524	0.416	0.154	0.081	0.555	0.181     (one row per class, tabs, `nan` where undefined)
 *
 * `EvalBlock` reads it line by line (the console adapter feeds it); `parseEvalPrintout` reads a
 * whole text. Pure TypeScript.
 */

import type { ClassMetrics, EvalMetrics, Num } from '../protocol/types';
import { NUSCENES_CLASSES } from '../protocol/types';
import { parsePyNumber } from './text';

const HEADLINE = /^(mAP|mATE|mASE|mAOE|mAVE|mAAE|NDS):\s*(\S+)$/;
const EVAL_TIME = /^Eval time:\s*(\S+?)s?$/;
const PER_CLASS = /^Per-class results:?$/;
const TABLE_HEADER = /^Object Class\s+AP\s+ATE\s+ASE\s+AOE\s+AVE\s+AAE$/;
const ROW = /^([A-Za-z_][\w.-]*)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/;

type Headline = 'mAP' | 'mATE' | 'mASE' | 'mAOE' | 'mAVE' | 'mAAE' | 'NDS';

/** What one printout gave. */
export interface EvalPrintout {
  metrics: EvalMetrics;
  /** Seconds, from `Eval time: 12.3s`. */
  eval_time_s?: number;
  /** Headline values the printout did not show (they are null in `metrics`). */
  missing: string[];
}

/** True when a line starts an evaluation printout. */
export function isEvalStart(line: string): boolean {
  return /^mAP:\s*\S+$/.test(line);
}

/**
 * One printout being read. `accept(line)` answers whether the line belongs to the printout;
 * the first line that does not ends it, and the owner then calls `finish()`.
 */
export class EvalBlock {
  private readonly head: Partial<Record<Headline, Num>> = {};
  private readonly perClass: Record<string, ClassMetrics> = {};
  private evalTime: number | undefined;
  private inTable = false;
  private rows = 0;
  /** Problems met inside the block (numbers that are not numbers). */
  readonly problems: string[] = [];

  /** Feeds the first line (`mAP: ...`) or a later one; false when the line is not part of it. */
  accept(line: string): boolean {
    const t = line.trim();
    if (t === '') return true;
    let m = HEADLINE.exec(t);
    if (m !== null && !this.inTable) {
      const v = parsePyNumber(m[2]);
      if (v === undefined) this.problems.push(`${m[1]}: "${m[2]}" is not a number`);
      // Cast: the pattern only matches the seven headline names.
      this.head[m[1] as Headline] = v === undefined ? null : v;
      return true;
    }
    m = EVAL_TIME.exec(t);
    if (m !== null && !this.inTable) {
      const v = parsePyNumber(m[1]);
      if (typeof v === 'number') this.evalTime = v;
      return true;
    }
    if (PER_CLASS.test(t) || TABLE_HEADER.test(t)) {
      this.inTable = true;
      return true;
    }
    if (this.inTable) {
      m = ROW.exec(t);
      if (m === null) return false;
      const values: Num[] = [];
      for (let i = 2; i <= 7; i++) {
        const v = parsePyNumber(m[i]);
        if (v === undefined) return false; // not a row after all
        values.push(v);
      }
      const row: ClassMetrics = { AP: values[0], ATE: values[1], ASE: values[2], AOE: values[3], AVE: values[4], AAE: values[5] };
      if (m[1] === '__proto__') Object.defineProperty(this.perClass, m[1], { value: row, enumerable: true, writable: true, configurable: true });
      else this.perClass[m[1]] = row;
      this.rows++;
      return true;
    }
    return false;
  }

  /** True once all ten nuScenes classes have a row: nothing more can follow. */
  get complete(): boolean {
    if (this.rows < NUSCENES_CLASSES.length) return false;
    return NUSCENES_CLASSES.every((c) => Object.prototype.hasOwnProperty.call(this.perClass, c));
  }

  /** Enough was read to call it an evaluation result (the mAP line alone is not). */
  get usable(): boolean {
    return this.head.NDS !== undefined || this.rows > 0;
  }

  finish(): EvalPrintout {
    const missing: string[] = [];
    const get = (k: Headline): Num => {
      const v = this.head[k];
      if (v === undefined) {
        missing.push(k);
        return null;
      }
      return v;
    };
    const metrics: EvalMetrics = {
      mAP: get('mAP'),
      mATE: get('mATE'),
      mASE: get('mASE'),
      mAOE: get('mAOE'),
      mAVE: get('mAVE'),
      mAAE: get('mAAE'),
      NDS: get('NDS'),
      per_class: this.perClass,
    };
    const out: EvalPrintout = { metrics, missing };
    if (this.evalTime !== undefined) out.eval_time_s = this.evalTime;
    return out;
  }
}

/**
 * Reads the first evaluation printout of a text (lines before `mAP:` are skipped). Null when
 * the text holds none. Never throws.
 */
export function parseEvalPrintout(text: string): { printout: EvalPrintout | null; problems: string[] } {
  const problems: string[] = [];
  try {
    let block: EvalBlock | null = null;
    for (const raw of text.split(/\r\n|\r|\n/)) {
      const line = raw.trim();
      if (block === null) {
        if (isEvalStart(line)) {
          block = new EvalBlock();
          block.accept(line);
        }
        continue;
      }
      if (!block.accept(line)) break;
    }
    if (block === null) return { printout: null, problems: ['no evaluation printout (a line "mAP: ...") found'] };
    problems.push(...block.problems);
    const printout = block.finish();
    if (printout.missing.length > 0) problems.push(`the printout lacks ${printout.missing.join(', ')}`);
    return { printout, problems };
  } catch (e) {
    return { printout: null, problems: [`internal error: ${e instanceof Error ? e.message : String(e)}`] };
  }
}
