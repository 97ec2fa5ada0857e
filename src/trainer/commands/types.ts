/** The shape every `centerfusion <command>` implements (see ./index.ts for the registry). */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Where a command writes and what it may ask of its process. Only stdout/stderr are required. */
export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Working directory for relative paths; defaults to process.cwd(). */
  cwd?: string;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  stderrIsTTY?: boolean;
  /**
   * Subscribes to stop requests (SIGINT, SIGTERM); returns the unsubscribe function. Absent: the
   * command cannot be stopped gracefully (in-process tests).
   */
  onStopSignal?: (handler: (signal: StopSignal) => void) => () => void;
}

export interface CliCommand {
  /** The subcommand word: `centerfusion <name> ...`. */
  name: string;
  /** One line for `centerfusion --help`. */
  summary: string;
  /**
   * Runs the command and resolves to the exit code. `--help` among argv prints the command's
   * own help (that is how `centerfusion help <name>` works).
   */
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** A bad command line: the message is printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/**
 * Parses a subcommand's argv with `parse`; prints the usage for `help` (exit 0) or a
 * UsageError (exit 2). Returns the parsed arguments, or the exit code to return.
 */
export function parseOrExit<A>(name: string, usage: string, argv: string[], io: CommandIO, parse: (argv: string[]) => A | 'help'): A | number {
  let args: A | 'help';
  try {
    args = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${name}: ${e.message}\n${usage}`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    io.stdout(usage);
    return 0;
  }
  return args;
}
