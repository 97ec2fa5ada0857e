/**
 * The per-launch record: save_dir/runs/<run_id>/events.jsonl (every event, appended line by line
 * and fsynced at epoch boundaries) and run.json (written atomically at start, at each epoch end
 * and at the end).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './fsutil';

export type RunRecordStatus = 'running' | 'completed' | 'failed' | 'stopped' | 'killed';

export interface RunRecord {
  id: string;
  task: string;
  exp_id: string;
  mode: 'train' | 'eval';
  argv: string[];
  pid: number;
  status: RunRecordStatus;
  started: string;
  ended: string | null;
  exit_code: number | null;
  signal?: string | null;
  save_dir: string;
  backend: string;
  last_epoch: number | null;
  root_dir: string;
  events: string;
}

export const EVENTS_FILE = 'events.jsonl';
export const RUN_RECORD_FILE = 'run.json';

export class RunFiles {
  readonly dir: string;
  readonly eventsFile: string;
  readonly recordFile: string;
  private fd: number | undefined;

  constructor(saveDir: string, runId: string) {
    this.dir = path.join(saveDir, 'runs', runId);
    fs.mkdirSync(this.dir, { recursive: true });
    this.eventsFile = path.join(this.dir, EVENTS_FILE);
    this.recordFile = path.join(this.dir, RUN_RECORD_FILE);
    this.fd = fs.openSync(this.eventsFile, 'a');
  }

  /** Appends one serialised event line (already ending in a newline). */
  appendEvent(line: string): void {
    if (this.fd === undefined) return;
    const bytes = Buffer.from(line, 'utf8');
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(this.fd, bytes, written, bytes.length - written);
  }

  /** Flushes the events file to disk. */
  syncEvents(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }

  writeRecord(record: RunRecord): void {
    writeFileAtomic(this.recordFile, `${JSON.stringify(record, null, 2)}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
