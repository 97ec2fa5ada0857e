/**
 * The backend ladder: @tensorflow/tfjs-node-gpu when it is installed and a GPU is usable, else
 * @tensorflow/tfjs-node, else the wasm backend (with the training kernels of ./kernels), else the
 * pure-JavaScript cpu backend. `--gpus -1` (cpuOnly) never loads the GPU package. A forced choice
 * (CENTERFUSION_BACKEND or the caller) tries that rung only and fails with a message saying why.
 * The steps that touch the outside world are injected so the order can be tested without the
 * native packages.
 */
import type { BackendName } from './names';
import type { NativeLoad, NativePackage } from './native';

export interface LadderDeps {
  loadNative(pkg: NativePackage): NativeLoad;
  gpuVisible(): boolean;
  /** Locates the wasm binaries and registers the training kernels; false when they are missing. */
  prepareWasm(): boolean;
  /** tf.setBackend: true when the backend initialised. */
  setBackend(tfjsName: string): Promise<boolean>;
  /** Whether the active 'tensorflow' backend runs on a GPU device. */
  usingGpu(): boolean;
  /** Whether tfjs already knows a backend of this name (a native package registered it). */
  hasBackend(tfjsName: string): boolean;
}

export interface LadderOptions {
  /** `--gpus -1`: never load the GPU package. */
  cpuOnly?: boolean;
  /** Try this rung only. */
  force?: BackendName;
}

export interface LadderResult {
  name: BackendName;
  /** The rungs passed over, each with why (for a log line). */
  skipped: { name: BackendName; reason: string }[];
}

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export async function climbLadder(opts: LadderOptions, deps: LadderDeps): Promise<LadderResult> {
  const skipped: LadderResult['skipped'] = [];
  const order: BackendName[] = opts.force ? [opts.force] : ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
  for (const rung of order) {
    const why = await tryRung(rung, opts, deps);
    if (typeof why !== 'string') return { name: why.name, skipped };
    skipped.push({ name: rung, reason: why });
  }
  const last = skipped[skipped.length - 1];
  throw new BackendUnavailableError(
    opts.force ? `tfjs backend ${opts.force} is not usable: ${last?.reason ?? 'unknown reason'}` : `no tfjs backend could be initialised (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`,
  );
}

/** Selects `rung`, or says why not. */
async function tryRung(rung: BackendName, opts: LadderOptions, deps: LadderDeps): Promise<{ name: BackendName } | string> {
  switch (rung) {
    case 'tfjs-node-gpu': {
      if (opts.cpuOnly) return '--gpus -1 asks for the CPU';
      if (!deps.gpuVisible()) return 'no NVIDIA GPU visible';
      const load = deps.loadNative('@tensorflow/tfjs-node-gpu');
      if (!load.ok) return `@tensorflow/tfjs-node-gpu not loadable (${load.reason ?? 'not installed'})`;
      if (!(await deps.setBackend('tensorflow'))) return 'libtensorflow (GPU build) did not initialise';
      // The GPU build without a usable device still runs libtensorflow on the CPU: that is tfjs-node.
      return { name: deps.usingGpu() ? 'tfjs-node-gpu' : 'tfjs-node' };
    }
    case 'tfjs-node': {
      if (!deps.hasBackend('tensorflow')) {
        const load = deps.loadNative('@tensorflow/tfjs-node');
        if (!load.ok) return `@tensorflow/tfjs-node not loadable (${load.reason ?? 'not installed'})`;
      }
      if (!(await deps.setBackend('tensorflow'))) return 'libtensorflow did not initialise';
      return { name: 'tfjs-node' };
    }
    case 'wasm': {
      if (!deps.prepareWasm()) return 'the .wasm binaries were not found next to the program or in node_modules';
      if (!(await deps.setBackend('wasm'))) return 'the wasm module did not initialise';
      return { name: 'wasm' };
    }
    case 'cpu':
      if (!(await deps.setBackend('cpu'))) return 'the cpu backend did not initialise';
      return { name: 'cpu' };
  }
}
