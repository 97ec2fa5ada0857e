/**
 * The optional native accelerators, @tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node. They are
 * optionalDependencies whose install downloads libtensorflow, so they are often absent (no
 * internet, an unsupported platform, the packaged extension): they are loaded at run time with a
 * guarded require that esbuild cannot see (createRequire), first next to this program, then from
 * the current folder (a user may install them in their CenterFusion root). Loading registers the
 * 'tensorflow' backend in tfjs's global engine, which the bundled tfjs shares.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';

export interface NativeLoad {
  ok: boolean;
  /** Why it could not be loaded (first line of the error), when !ok. */
  reason?: string;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

/** Requires `pkg` from this program's folder, then from `cwd`; never throws. */
export function loadNativePackage(pkg: NativePackage, cwd: string = process.cwd()): NativeLoad {
  const reasons: string[] = [];
  for (const base of [__filename, join(cwd, 'package.json')]) {
    try {
      createRequire(base)(pkg);
      return { ok: true };
    } catch (err) {
      reasons.push(firstLine(err));
    }
  }
  return { ok: false, reason: reasons[0] };
}

/**
 * Whether an NVIDIA GPU looks usable before loading the GPU package (loading it registers the same
 * 'tensorflow' backend as tfjs-node, so it must not be loaded on a machine without one).
 * CUDA_VISIBLE_DEVICES set to '' or '-1' hides every GPU, as in CUDA itself.
 */
export function nvidiaGpuVisible(env: NodeJS.ProcessEnv = process.env, procRoot = '/proc'): boolean {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return false;
  if (process.platform === 'win32') return true; // no cheap probe: the package's own check decides
  const gpus = join(procRoot, 'driver', 'nvidia', 'gpus');
  try {
    return existsSync(gpus) && readdirSync(gpus).length > 0;
  } catch {
    return false;
  }
}
