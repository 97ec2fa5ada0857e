/**
 * The one place that loads TensorFlow.js and picks its backend, by the ladder of
 * ./backend/ladder.ts: tfjs-node-gpu (installed, GPU visible, not `--gpus -1`) → tfjs-node →
 * wasm (XNNPACK, plus the training kernels it lacks) → cpu. The choice is reported in run_start,
 * run.json and opt.txt through `backendName()` / `BACKEND`.
 *
 * CENTERFUSION_BACKEND=tfjs-node-gpu|tfjs-node|wasm|cpu forces one rung (tests, benchmarks, a
 * user who wants the pure-JavaScript reference); it fails with a message when that rung is not
 * usable.
 */
import * as tf from '@tensorflow/tfjs';
import { climbLadder, type LadderResult } from './backend/ladder';
import { isBackendName, tfjsBackendOf, BACKEND_NAMES, type BackendName } from './backend/names';
import { loadNativePackage, nvidiaGpuVisible } from './backend/native';
import { prepareWasm, withoutGlueProcessHandlers } from './backend/wasm';
import { registerTrainingKernels } from './backend/kernels';

export { tf };
export type { BackendName };

/**
 * The backend in use, as reported in run_start and run.json (`cpu` until initTf has chosen).
 * A live binding: it reads the choice made by initTf.
 */
export let BACKEND: BackendName = 'cpu';

/** The backend initTf chose (`cpu` before it ran). */
export function backendName(): BackendName {
  return BACKEND;
}

export interface InitTfOptions {
  /** CenterFusion's `--gpus` list; `[-1]` forces the CPU (the GPU package is never loaded). */
  gpus?: readonly number[];
  /** Use this rung only (overrides CENTERFUSION_BACKEND). */
  backend?: BackendName;
}

let ready: Promise<LadderResult> | undefined;

/** The rung forced by the environment, if any; a bad value is an error that names the valid ones. */
export function forcedBackend(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  const v = env.CENTERFUSION_BACKEND?.trim();
  if (!v) return undefined;
  if (!isBackendName(v)) throw new Error(`CENTERFUSION_BACKEND=${v} is not a backend; use one of ${BACKEND_NAMES.join(', ')}`);
  return v;
}

/**
 * Chooses the backend once (later calls return the first choice) and silences tfjs's console
 * banners. Resolves to the ladder's result: the name and the rungs passed over with why.
 */
export function initTf(options: InitTfOptions = {}): Promise<LadderResult> {
  if (!ready) {
    ready = (async () => {
      // PROD mode turns off tfjs's debug warnings (the Node.js banner among them); it does not
      // change any numeric result.
      tf.env().set('PROD', true);
      registerTrainingKernels('cpu');
      const force = options.backend ?? forcedBackend();
      const result = await climbLadder(
        { cpuOnly: options.gpus !== undefined && options.gpus.length > 0 && options.gpus[0] < 0, force },
        {
          loadNative: (pkg) => loadNativePackage(pkg),
          gpuVisible: () => nvidiaGpuVisible(),
          prepareWasm: () => {
            if (!prepareWasm()) return false;
            registerTrainingKernels('wasm');
            return true;
          },
          setBackend: async (name) => {
            try {
              const ok = name === 'wasm' ? await withoutGlueProcessHandlers(() => tf.setBackend(name)) : await tf.setBackend(name);
              return ok && tf.getBackend() === name;
            } catch {
              return false;
            }
          },
          usingGpu: () => (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true,
          hasBackend: (name) => tf.findBackendFactory(name) !== null,
        },
      );
      await tf.ready();
      if (tf.getBackend() !== tfjsBackendOf(result.name)) throw new Error(`tfjs is on ${tf.getBackend()}, not ${result.name}`);
      BACKEND = result.name;
      return result;
    })();
    // A failed start may be retried (e.g. with another CENTERFUSION_BACKEND).
    ready.catch(() => (ready = undefined));
  }
  return ready;
}

/** The tfjs version string written to opt.txt and checkpoints. */
export function tfVersion(): string {
  return tf.version.tfjs;
}
