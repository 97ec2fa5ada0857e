/**
 * The WebAssembly backend (@tensorflow/tfjs-backend-wasm, XNNPACK kernels, SIMD where the engine
 * has it). Its three .wasm binaries are read from disk at start: next to the running program
 * (scripts/build.mjs copies them beside dist/cli.js, which is what the .vsix ships), else from the
 * installed package (the compiled tests run from out/). tfjs disables the backend's own thread
 * pool under Node, so it runs on one core.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * The binaries Node can use: plain and SIMD. (The threaded build is never chosen under Node, where
 * tfjs reports no multithreading support, so it is not shipped.)
 */
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'] as const;

/** The folder holding the .wasm binaries, or undefined when none is found. */
export function findWasmDir(here: string = __dirname): string | undefined {
  const candidates = [here];
  try {
    candidates.push(join(dirname(createRequire(__filename).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // not installed beside us (the packaged extension): only `here` can hold them
  }
  return candidates.find((dir) => WASM_FILES.every((f) => existsSync(join(dir, f))));
}

let pathsSet = false;

/** Points the wasm backend at its binaries (once, before it initialises). False when none are found. */
export function prepareWasm(): boolean {
  if (pathsSet) return true;
  const dir = findWasmDir();
  if (!dir) return false;
  setWasmPaths(dir.endsWith(sep) ? dir : `${dir}${sep}`);
  pathsSet = true;
  return true;
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type Listener = (...args: unknown[]) => void;
/** The listeners of `event` (process.listeners is overloaded per event name). */
const listenersOf = (event: (typeof PROCESS_EVENTS)[number]): Listener[] => (process.listeners as (e: string) => Listener[])(event);

/**
 * Runs `init` (the wasm backend's initialisation) and then removes the process-wide
 * uncaughtException / unhandledRejection listeners that its Emscripten glue installs (they
 * rethrow, which would turn the CLI's exit code for an unexpected error into Node's 7).
 */
export async function withoutGlueProcessHandlers<T>(init: () => Promise<T>): Promise<T> {
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(listenersOf(e))]));
  try {
    return await init();
  } finally {
    for (const e of PROCESS_EVENTS) {
      for (const l of listenersOf(e)) {
        if (!before.get(e)?.has(l)) process.removeListener(e, l);
      }
    }
  }
}
