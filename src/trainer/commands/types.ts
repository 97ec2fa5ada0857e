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
