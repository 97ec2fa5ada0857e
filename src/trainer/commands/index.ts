/**
 * The registry of `centerfusion` subcommands. Adding one is one line here: each module exports a
 * CliCommand ({ name, summary, run(argv, io) }, see ./types.ts) and handles its own --help.
 */
import type { CliCommand } from './types';
import { trainCommand } from './train';
import { evalDetectionsCommand } from './eval-detections';
import { parseLogCommand } from './parse-log';

export type { CliCommand, CommandIO, StopSignal } from './types';

export const COMMANDS: readonly CliCommand[] = [
  trainCommand,
  evalDetectionsCommand,
  parseLogCommand,
];

export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}
