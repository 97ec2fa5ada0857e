/**
 * CenterFusion's Logger, file for file: opt.txt in save_dir and in logs_<YYYY-MM-DD-HH-MM>/, and
 * that folder's log.txt with one line per epoch: a `YYYY-MM-DD-HH-MM: ` stamp when a line
 * starts, `epoch: N |`, then `name value | ` pairs (6 decimals), the train stats first and, on
 * validation epochs, the val stats with the same names; the newline comes last. Two starts within
 * the same minute share the folder; log.txt is appended to (CenterFusion truncates it).
 * The TensorBoard event file beside log.txt is written by tfevents.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pyFormatFixed } from '../shared/eval';
import { minuteStamp, writeFileAtomic } from './fsutil';

/** '{:8f}'.format(v): six decimals, right-aligned to at least 8 characters. */
export function formatStat(value: number): string {
  return pyFormatFixed(value, 6).padStart(8, ' ');
}

/** `name value | ` for each stat, as CenterFusion appends them to a log line. */
export function formatStats(stats: Record<string, number>): string {
  return Object.entries(stats)
    .map(([k, v]) => `${k} ${formatStat(v)} | `)
    .join('');
}

export class TextLogger {
  readonly logDir: string;
  readonly logFile: string;
  private startLine = true;
  private readonly clock: () => Date;

  /** Writes opt.txt to save_dir and the log folder, and opens log.txt for appending. */
  constructor(saveDir: string, optTxt: string, clock: () => Date = () => new Date()) {
    this.clock = clock;
    fs.mkdirSync(saveDir, { recursive: true });
    this.logDir = path.join(saveDir, `logs_${minuteStamp(clock())}`);
    fs.mkdirSync(this.logDir, { recursive: true });
    writeFileAtomic(path.join(saveDir, 'opt.txt'), optTxt);
    writeFileAtomic(path.join(this.logDir, 'opt.txt'), optTxt);
    this.logFile = path.join(this.logDir, 'log.txt');
    fs.appendFileSync(this.logFile, '');
  }

  /** Appends text; a line's first piece gets the minute stamp. */
  write(text: string): void {
    const out = this.startLine ? `${minuteStamp(this.clock())}: ${text}` : text;
    this.startLine = text.includes('\n');
    fs.appendFileSync(this.logFile, out);
  }
}
