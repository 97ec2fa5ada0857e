/**
 * The one place that loads TensorFlow.js. The trainer runs on the pure-JavaScript 'cpu' backend:
 * deterministic (same seed, same bits) and installable everywhere. The native backends of the
 * design's ladder (tfjs-node, tfjs-node-gpu) are optional and arrive with a later issue.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };

/** The backend name reported in run_start and run.json. */
export const BACKEND = 'cpu';

let ready: Promise<void> | undefined;

/** Selects the cpu backend once; silences tfjs's "install tfjs-node" console banner. */
export function initTf(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      // PROD mode turns off tfjs's debug warnings (the Node.js banner among them); it does not
      // change any numeric result.
      tf.env().set('PROD', true);
      const ok = await tf.setBackend(BACKEND);
      if (!ok || tf.getBackend() !== BACKEND) throw new Error(`could not select the tfjs ${BACKEND} backend`);
      await tf.ready();
    })();
  }
  return ready;
}

/** The tfjs version string written to opt.txt and checkpoints. */
export function tfVersion(): string {
  return tf.version.tfjs;
}
