/**
 * CenterFusion's text output to run events (docs/centerfusion-logs.md): console captures
 * (progress bars, print_iter lines, tracebacks, the evaluation printout), log.txt, opt.txt and
 * metrics_summary.json. Pure TypeScript (no node:*, no vscode, no DOM); nothing here throws on
 * any input.
 */

import type { EventBody } from '../protocol/types';
import { logTxtToEvents } from './logtxt';
import { metricsToEvents } from './metrics';
import { optTxtToEvents } from './opttxt';
import { ConsoleAdapter } from './progress';
import type { ConsoleStats } from './progress';

export { CENTERFUSION_DEFAULT_LR, ConsoleAdapter, parseConsoleText } from './progress';
export type { ConsoleAdapterOptions, ConsoleStats, LrSource } from './progress';
export { logTxtToEvents, parseLogTxt } from './logtxt';
export type { LogTxt, LogTxtEpoch } from './logtxt';
export { optTxtToEvents, optionValue, parseOptTxt } from './opttxt';
export type { OptTxt } from './opttxt';
export { metricsToEvents, readMetricsSummary } from './metrics';
export type { MetricsSummaryRead } from './metrics';
export { EvalBlock, parseEvalPrintout } from './evalprint';
export type { EvalPrintout } from './evalprint';
export { parsePyKwargs, parsePyLiteral } from './pyliteral';
export type { KwargsResult, PyParseResult, PyValue } from './pyliteral';
export { parsePyNumber, parseTimedelta, stripAnsi } from './text';

/** The kinds of CenterFusion text this module reads. */
export type LogKind = 'progress' | 'logtxt' | 'opttxt' | 'eval' | 'metrics';
export const LOG_KINDS: readonly LogKind[] = ['progress', 'logtxt', 'opttxt', 'eval', 'metrics'];

const LOGTXT_LINE = /^(?:\d{4}-\d{2}-\d{2}-\d{2}-\d{2}: )?epoch: ?\d+ ?\|/;

/**
 * What a file holds, from its name first (opt.txt, log.txt, metrics_summary*.json) and then
 * from the start of its text. Anything else is read as console output ('progress').
 */
export function detectKind(fileName: string, text: string): LogKind {
  try {
    const base = (fileName.split(/[\/\\]/).pop() ?? '').toLowerCase();
    if (base === 'opt.txt') return 'opttxt';
    if (base === 'log.txt') return 'logtxt';
    if (/^metrics_summary.*\.json$/.test(base)) return 'metrics';
    const head = text.slice(0, 64 * 1024);
    if (/^==> (?:commit hash|torch version|cudnn version|Cmd|Opt):/m.test(head)) return 'opttxt';
    const firstLine = head.replace(/^\ufeff/, '').split('\n').find((l) => l.trim() !== '') ?? '';
    if (LOGTXT_LINE.test(firstLine.trim())) return 'logtxt';
    const trimmed = head.replace(/^\ufeff/, '').trimStart();
    if (trimmed.startsWith('{') && /"(?:mean_ap|nd_score|label_aps)"/.test(head)) return 'metrics';
    if (/^mAP:\s*\S+\s*$/m.test(head) && /^NDS:/m.test(head) && !head.includes('Tot:')) return 'eval';
    return 'progress';
  } catch {
    return 'progress';
  }
}

export interface AdaptOptions {
  /** Run options (for the console adapter's learning rates). */
  opts?: Record<string, unknown>;
  /** Epoch an evaluation belongs to (metrics_summary.json, an evaluation printout file). */
  epoch?: number | null;
  /** Where the metrics file is, for the `summary_path` field. */
  summaryPath?: string;
}

export interface AdaptResult {
  kind: LogKind;
  events: EventBody[];
  /** What could not be read (capped list; see `problemCount`). */
  problems: string[];
  problemCount: number;
  /** Console kinds only. */
  stats?: ConsoleStats;
  unknownSamples?: string[];
}

function validEpoch(epoch: number | null | undefined): number | null {
  return typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 1 ? epoch : null;
}

/** Reads a whole text of a known kind into event bodies. Never throws. */
export function adaptText(kind: LogKind, text: string, options: AdaptOptions = {}): AdaptResult {
  try {
    switch (kind) {
      case 'logtxt': {
        const r = logTxtToEvents(text);
        return { kind, events: r.events, problems: r.problems, problemCount: r.problems.length };
      }
      case 'opttxt': {
        const r = optTxtToEvents(text);
        return { kind, events: r.events, problems: r.problems, problemCount: r.problems.length };
      }
      case 'metrics': {
        const r = metricsToEvents(text, { epoch: options.epoch, summaryPath: options.summaryPath });
        return { kind, events: r.events, problems: r.problems, problemCount: r.problems.length };
      }
      case 'eval':
      case 'progress':
      default: {
        const a = new ConsoleAdapter({ opts: options.opts });
        const events = a.push(text);
        for (const e of a.end()) events.push(e);
        const problems = a.problems;
        let count = a.problemCount;
        if (kind === 'eval') {
          let found = false;
          for (const e of events) {
            if (e.type !== 'eval') continue;
            found = true;
            if (options.epoch !== undefined) e.epoch = validEpoch(options.epoch);
            if (options.summaryPath !== undefined) e.summary_path = options.summaryPath;
          }
          if (!found) {
            problems.push('no evaluation printout (a line "mAP: ..." followed by NDS and the per-class table) found');
            count++;
          }
        }
        return { kind, events, problems, problemCount: count, stats: a.stats, unknownSamples: a.unknownSamples };
      }
    }
  } catch (e) {
    const message = `internal error (${e instanceof Error ? e.message : String(e)})`;
    return { kind, events: [], problems: [message], problemCount: 1 };
  }
}
