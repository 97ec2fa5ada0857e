// Shared by the reliability tests: the real `centerfusion` CLI as a child process, watched line by
// line so that a test can act (kill, fill the disk, launch again) at an exact point of a run.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseEventLines } from '../../src/shared/protocol';
import type { RunEvent } from '../../src/shared/protocol/types';

export const REPO = path.resolve(__dirname, '..', '..', '..');
/** The bundled CLI (`node scripts/build.mjs`); CFS_TEST_CLI points the tests at another build. */
export const CLI = process.env['CFS_TEST_CLI'] ?? path.join(REPO, 'dist', 'cli.js');
/** Demo-sized options: tiny images, a small batch. */
export const TINY = ['--dataset', 'synthetic', '--arch', 'tiny', '--head_conv', '32', '--input_h', '32', '--input_w', '64', '--batch_size', '4'];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `centerfusion` process with its output so far and a way to wait for a line. */
export class CliRun {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private waiters: { re: RegExp; stream: 'stdout' | 'stderr'; resolve: (m: RegExpExecArray) => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
      this.check();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
      this.check();
    });
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Resolves with the first match of `re` in the stream (waiting for it), or rejects after `ms` / at exit. */
  waitFor(re: RegExp, stream: 'stdout' | 'stderr' = 'stdout', ms = 60_000): Promise<RegExpExecArray> {
    const now = re.exec(stream === 'stdout' ? this.stdout : this.stderr);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} on ${stream}\nstderr:\n${this.stderr.slice(-2000)}`)), ms);
      const waiter = {
        re,
        stream,
        resolve: (m: RegExpExecArray) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.push(waiter);
      void this.exited.then(() => {
        setTimeout(() => {
          if (this.waiters.includes(waiter)) {
            clearTimeout(timer);
            reject(new Error(`the CLI exited before ${re} appeared on ${stream}\nstderr:\n${this.stderr.slice(-2000)}`));
          }
        }, 50);
      });
    });
  }

  /** The complete event lines seen on stdout so far. */
  events(): RunEvent[] {
    const whole = this.stdout.slice(0, this.stdout.lastIndexOf('\n') + 1);
    return parseEventLines(whole).events;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      const m = w.re.exec(w.stream === 'stdout' ? this.stdout : this.stderr);
      if (m) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }
}

/** The single run folder under save_dir/runs (asserting there is exactly one). */
export function runDirs(saveDir: string): string[] {
  const runs = path.join(saveDir, 'runs');
  return fs.existsSync(runs) ? fs.readdirSync(runs).map((n) => path.join(runs, n)) : [];
}

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Every temporary file left anywhere under `dir`. */
export function tempFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.tmp')) found.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found;
}

/** Whether the CLI was built (the fault tests need it). */
export function cliMissing(): string | false {
  return fs.existsSync(CLI) ? false : `${CLI} is missing: run node scripts/build.mjs`;
}

/** Polls `check` every 25 ms until it returns a value other than undefined/false; rejects after `ms`. */
export async function until<T>(check: () => T | undefined | false, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
