/**
 * `centerfusion`: the command line of CenterFusion Studio (package.json "bin", bundled to
 * dist/cli.js). Subcommands come from the registry in ./commands/index.ts.
 *
 *   centerfusion <command> [args]     run a command
 *   centerfusion help [command]       overview, or a command's own help
 *   centerfusion --help | --version
 */
import { COMMANDS, findCommand, type CommandIO, type StopSignal } from './commands';
import { editDistance } from '../shared/options';
import { STUDIO_VERSION } from './version';
// Data worker threads (--num_workers) run this same bundle; loading it in such a thread starts
// the worker loop (see data/worker.ts). In the main thread the import does nothing.
import './data/worker';
// Data-parallel replica threads (parallel/worker.ts) run this same bundle too.
import './parallel/worker';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = [
    'usage: centerfusion <command> [arguments]',
    '',
    'CenterFusion Studio command line: train and evaluate CenterFusion experiments.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'centerfusion help <command>   (or centerfusion <command> --help) shows a command\'s options.',
    'centerfusion --version        prints the version.',
  ];
  return `${lines.join('\n')}\n`;
}

function unknownCommand(name: string, io: CommandIO): number {
  const guess = COMMANDS.map((c) => ({ c, d: editDistance(name, c.name) })).sort((a, b) => a.d - b.d)[0];
  const hint = guess && guess.d <= 3 ? ` Did you mean "${guess.c.name}"?` : '';
  io.stderr(`centerfusion: unknown command "${name}".${hint}\n\n${overview()}`);
  return 2;
}

/** Runs the command line (without node and the script) and resolves to the exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(overview());
    return 2;
  }
  if (first === '--help' || first === '-h') {
    io.stdout(overview());
    return 0;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    io.stdout(`${STUDIO_VERSION}\n`);
    return 0;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      io.stdout(overview());
      return 0;
    }
    const cmd = findCommand(rest[0]);
    return cmd ? cmd.run(['--help'], io) : unknownCommand(rest[0], io);
  }
  const cmd = findCommand(first);
  return cmd ? cmd.run(rest, io) : unknownCommand(first, io);
}

/** IO on the real process: stdout/stderr, and SIGINT/SIGTERM as stop requests. */
function processIO(): CommandIO {
  // A reader that goes away (closed pipe) must not crash the trainer: its events are on disk too.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  return {
    stdout: (text) => {
      process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    cwd: process.cwd(),
    stderrIsTTY: process.stderr.isTTY === true,
    onStopSignal: (handler) => {
      const onInt = (): void => handler('SIGINT' as StopSignal);
      const onTerm = (): void => handler('SIGTERM' as StopSignal);
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

if (require.main === module) {
  main(process.argv.slice(2), processIO()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`centerfusion: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
