/**
 * `centerfusion parse-log`: reads a CenterFusion text output file (a console capture, log.txt,
 * opt.txt, an evaluation printout or metrics_summary.json) and prints the run events it holds
 * as JSON lines on stdout, each checked by the protocol writer. A summary of what could not be
 * read goes to stderr.
 *
 *   centerfusion parse-log <file> [--kind auto|progress|logtxt|opttxt|eval|metrics] [--run-id ID]
 *                                 [--epoch N]
 *
 * Exit codes: 0 the file was read (even when some lines could not be understood), 1 the file is
 * missing or cannot be read, 2 bad command line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConsoleAdapter, LOG_KINDS, adaptText, detectKind } from '../../shared/centerfusion';
import type { AdaptResult, LogKind } from '../../shared/centerfusion';
import { EventWriter, newRunId } from '../../shared/protocol';
import type { EventBody } from '../../shared/protocol';
import { parseOrExit, UsageError, type CliCommand, type CommandIO } from './types';

const USAGE = `usage: centerfusion parse-log <file> [--kind auto|progress|logtxt|opttxt|eval|metrics] [--run-id ID] [--epoch N]

Reads CenterFusion's text output and prints the run events it holds, one JSON object per line:
  progress  a console capture of main.py or test.py (progress bars, --print_iter lines,
            start-up lines, tracebacks, the nuScenes evaluation printout)
  logtxt    exp/<task>/<exp_id>/logs_*/log.txt (one epoch_end per line)
  opttxt    opt.txt (one options event)
  eval      a saved evaluation printout (mAP:, NDS:, per-class table)
  metrics   metrics_summary.json (NaN allowed)
--kind auto (the default) decides from the file name and its first lines.
--run-id sets the events' run id (default: a new one). --epoch N sets the epoch of the eval
event made from a metrics file or a printout (default: none).
Lines that cannot be read are counted and summarised on stderr; the exit code stays 0.
`;


interface Args {
  file: string;
  kind: LogKind | 'auto';
  runId?: string;
  epoch?: number;
}

function parseArgs(argv: string[]): Args | 'help' {
  let file: string | undefined;
  let kind: LogKind | 'auto' = 'auto';
  let runId: string | undefined;
  let epoch: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return 'help';
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (name !== 'kind' && name !== 'run-id' && name !== 'epoch') throw new UsageError(`unknown option --${name}`);
      const v = eq < 0 ? argv[++i] : a.slice(eq + 1);
      if (v === undefined || v === '') throw new UsageError(`--${name} needs a value`);
      if (name === 'kind') {
        if (v !== 'auto' && !(LOG_KINDS as readonly string[]).includes(v)) {
          throw new UsageError(`--kind must be auto, ${LOG_KINDS.join(', ')}; got "${v}"`);
        }
        // Cast: checked against the list just above.
        kind = v as LogKind | 'auto';
      } else if (name === 'run-id') runId = v;
      else {
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--epoch must be a positive integer, got "${v}"`);
        epoch = n;
      }
      continue;
    }
    if (file !== undefined) throw new UsageError(`unexpected argument "${a}" (one file at a time)`);
    file = a;
  }
  if (file === undefined) throw new UsageError('missing the file to read');
  const out: Args = { file, kind };
  if (runId !== undefined) out.runId = runId;
  if (epoch !== undefined) out.epoch = epoch;
  return out;
}

function readBytes(file: string): Buffer | string {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return `${file}: no such file`;
    if (err.code === 'EISDIR') return `${file}: is a directory`;
    if (err.code === 'ERR_FS_FILE_TOO_LARGE') return `${file}: larger than 2 GiB, which cannot be read`;
    return `${file}: cannot be read (${err.message})`;
  }
}

/** Collects output lines and writes them in large pieces. */
class Output {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly write: (s: string) => void) {}
  line(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 256 * 1024) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    this.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const args = parseOrExit('parse-log', USAGE, argv, io, parseArgs);
  if (typeof args === 'number') return args;
  const file = path.resolve(io.cwd ?? process.cwd(), args.file);
  const bytes = readBytes(file);
  if (typeof bytes === 'string') {
    io.stderr(`parse-log: ${bytes}\n`);
    return 1;
  }

  const output = new Output(io.stdout);
  const writer = new EventWriter(args.runId ?? newRunId(), (line) => output.line(line));
  const counts = new Map<string, number>();
  let writeFailures = 0;
  let firstWriteFailure = '';
  const emit = (events: EventBody[]): void => {
    for (const body of events) {
      try {
        writer.emit(body);
        counts.set(body.type, (counts.get(body.type) ?? 0) + 1);
      } catch (e) {
        // The adapter made an event the protocol refuses: a bug, reported, not fatal.
        writeFailures++;
        if (firstWriteFailure === '') firstWriteFailure = e instanceof Error ? e.message : String(e);
      }
    }
  };

  // Invalid UTF-8 becomes U+FFFD; a console capture is read in slices as it would be live.
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const headText = decoder.decode(bytes.subarray(0, 64 * 1024));
  const kind: LogKind = args.kind === 'auto' ? detectKind(file, headText) : args.kind;

  let result: AdaptResult;
  if (kind === 'progress') {
    const adapter = new ConsoleAdapter();
    const stream = new TextDecoder('utf-8', { fatal: false });
    const slice = 1024 * 1024;
    for (let off = 0; off < bytes.length; off += slice) {
      const end = Math.min(bytes.length, off + slice);
      emit(adapter.push(stream.decode(bytes.subarray(off, end), { stream: end < bytes.length })));
    }
    emit(adapter.end());
    result = {
      kind,
      events: [],
      problems: adapter.problems,
      problemCount: adapter.problemCount,
      stats: adapter.stats,
      unknownSamples: adapter.unknownSamples,
    };
  } else {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const summaryPath = kind === 'metrics' ? file : undefined;
    result = adaptText(kind, text, { epoch: args.epoch, summaryPath });
    emit(result.events);
  }
  output.flush();

  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const byType = [...counts.entries()].map(([t, n]) => `${t} ${n}`).join(', ');
  const lines: string[] = [`parse-log: ${args.file} (${kind}): ${total} event${total === 1 ? '' : 's'}${byType ? ` (${byType})` : ''}`];
  if (result.stats !== undefined) {
    const s = result.stats;
    lines.push(
      `  lines ${s.lines}, not understood ${s.unknown}, cut short ${s.truncated + s.fragments}, duplicates ${s.duplicates}, overlong ${s.overlong}`,
    );
    if (result.unknownSamples !== undefined && result.unknownSamples.length > 0) {
      lines.push('  lines not understood, e.g.:');
      for (const u of result.unknownSamples.slice(0, 5)) lines.push(`    ${JSON.stringify(u)}`);
    }
  }
  if (result.problemCount > 0) {
    lines.push(`  ${result.problemCount} problem${result.problemCount === 1 ? '' : 's'}:`);
    for (const p of result.problems.slice(0, 20)) lines.push(`    ${p}`);
    if (result.problems.length > 20) lines.push(`    ... (${result.problemCount - 20} more)`);
  }
  if (writeFailures > 0) {
    lines.push(`  ${writeFailures} event(s) refused by the protocol check (a bug in the adapter): ${firstWriteFailure}`);
  }
  io.stderr(`${lines.join('\n')}\n`);
  return 0;
}

export const parseLogCommand: CliCommand = {
  name: 'parse-log',
  summary: "CenterFusion's text output (console, log.txt, opt.txt, evaluation) as run events (JSON lines)",
  run,
};

export default parseLogCommand;
