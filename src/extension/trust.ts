/**
 * Workspace trust and the one way the extension starts processes.
 *
 * A training run executes code and writes files as the workspace configures it (options, a
 * Python interpreter from the workspace settings, a CenterFusion checkout), so in an untrusted
 * workspace (VS Code workspace trust) nothing is spawned and the user is told why. Every spawn
 * site calls `guardedSpawn` instead of child_process.spawn (a test scans src/ for that): it
 * refuses, before anything runs, when the workspace is not trusted, when a shell is asked for,
 * or when an argument could not be passed safely (NUL bytes, absurd lengths); what it starts
 * runs at a lower CPU priority than the editor (TRAINER_NICENESS). A refusal looks
 * like a process that could not be started (an 'error' event, no pid), which every spawn site
 * already reports as a failed run with the message.
 *
 * No static vscode import: the trust state is read from VS Code's API when the extension host
 * provides it; outside VS Code (the unit tests, the CLI) there is no workspace trust, so it is
 * trusted unless a test sets a source with `setTrustSource`.
 */

import { ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import * as os from 'node:os';

export type TrustSource = () => boolean;

let source: TrustSource | undefined;

/** Replaces where trust is read from (tests); undefined restores VS Code's. */
export function setTrustSource(next: TrustSource | undefined): void {
  source = next;
}

interface VscodeTrustApi {
  workspace?: { isTrusted?: boolean };
}

function vscodeTrust(): boolean {
  let api: VscodeTrustApi;
  try {
    // Resolved at run time: present in the extension host, absent in plain node.
    api = require('vscode') as VscodeTrustApi;
  } catch {
    return true; // not inside VS Code: no workspace trust to honour
  }
  return api.workspace?.isTrusted !== false;
}

/** True when the workspace is trusted (always true outside VS Code). */
export function isWorkspaceTrusted(): boolean {
  try {
    return (source ?? vscodeTrust)();
  } catch {
    return false; // a broken source must not open the gate
  }
}

/** The message shown when `action` ("training", "evaluation") is refused for lack of trust. */
export function untrustedMessage(action: string): string {
  return `CenterFusion: ${action} is disabled in an untrusted workspace, because it runs code and writes files as the workspace configures it. Trust this workspace (Manage Workspace Trust) to enable it.`;
}

/** Longest single argument passed to a process (Linux's MAX_ARG_STRLEN is 128 KiB). */
export const MAX_SPAWN_ARG = 32 * 1024;
/** Most arguments passed to a process. */
export const MAX_SPAWN_ARGS = 4096;

/** Raised (through the child's 'error' event) when guardedSpawn refuses to start a process. */
export class SpawnRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpawnRefused';
  }
}

/** Why `command args` cannot be spawned safely, or undefined. */
export function spawnProblem(command: unknown, args: readonly unknown[], options: SpawnOptions = {}): string | undefined {
  if (options.shell !== undefined && options.shell !== false) return 'refusing to start a process through a shell';
  if (typeof command !== 'string' || command === '') return 'the program to start is not a path';
  if (command.includes('\0')) return 'the program path contains a NUL byte';
  if (args.length > MAX_SPAWN_ARGS) return `too many arguments (${args.length}, at most ${MAX_SPAWN_ARGS})`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'string') return `argument ${i + 1} is not a string`;
    if (arg.includes('\0')) return `argument ${i + 1} contains a NUL byte`;
    if (arg.length > MAX_SPAWN_ARG) return `argument ${i + 1} is too long (${arg.length} characters, at most ${MAX_SPAWN_ARG})`;
  }
  if (typeof options.cwd === 'string' && options.cwd.includes('\0')) return 'the working directory contains a NUL byte';
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (key.includes('\0') || key.includes('=') || (value !== undefined && value.includes('\0'))) return `environment variable ${JSON.stringify(key.slice(0, 40))} is not valid`;
  }
  return undefined;
}

/** A child that never started: no pid, no streams, and `error` emitted on the next tick. */
function refused(message: string): ChildProcess {
  const child = new ChildProcess();
  process.nextTick(() => child.emit('error', new SpawnRefused(message)));
  return child;
}

/**
 * Niceness of the processes started here: trainers are batch work, and a crowd of them at the
 * editor's priority makes the editor stall (bench/load.ts measures the host's event loop with 20
 * trainers). Children they fork (data-loader workers) inherit it. No effect on an idle machine.
 */
export const TRAINER_NICENESS = 10;

function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    if (os.getPriority(pid) < TRAINER_NICENESS) os.setPriority(pid, TRAINER_NICENESS);
  } catch {
    // not permitted or already gone: it runs at the normal priority
  }
}

/**
 * child_process.spawn with the checks of this module first (see above). `action` names what
 * is refused in an untrusted workspace ("training"). Never throws: a refusal, or spawn's own
 * synchronous error, arrives as the child's 'error' event with no pid.
 */
export function guardedSpawn(command: string, args: readonly string[], options: SpawnOptions, action = 'training'): ChildProcess {
  if (!isWorkspaceTrusted()) return refused(untrustedMessage(action));
  const problem = spawnProblem(command, args, options);
  if (problem !== undefined) return refused(`CenterFusion: not started: ${problem}`);
  try {
    const child = spawn(command, [...args], { ...options, shell: false });
    lowerPriority(child.pid);
    return child;
  } catch (err) {
    return refused(`CenterFusion: not started: ${err instanceof Error ? err.message : String(err)}`);
  }
}
