/**
 * The names of the trainer's tfjs backends, as reported in `run_start.backend`, run.json and
 * opt.txt (the protocol's examples: `tfjs-node-gpu`, `tfjs-node`, `wasm`, `cpu`), and the tfjs
 * backend each one registers.
 */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The name tfjs's engine knows each backend by (both native packages register 'tensorflow'). */
export function tfjsBackendOf(name: BackendName): string {
  return name === 'tfjs-node-gpu' || name === 'tfjs-node' ? 'tensorflow' : name;
}

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}
