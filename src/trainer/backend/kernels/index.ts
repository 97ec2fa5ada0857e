/**
 * Kernels the trainer's backends need for training: found by running tf.grads over every op a
 * CenterNet/DLA network and its losses use (test/unit/trainer.backend.test.ts checks each).
 * - wasm lacks Conv2DBackpropFilter and UnsortedSegmentSum, has Conv2DBackpropInput only as a
 *   slow loop, and computes MaxPoolGrad and batched GatherV2 wrongly; its Sum and Mean over
 *   leading axes transpose the whole tensor first (replaced by a matrix product); its Identity
 *   copies every tensor saved for a gradient (replaced by a shared reference);
 * - cpu computes the resize gradients wrongly for non-square images.
 * Registered once per backend, before or after the backend initialises.
 */
import * as tf from '@tensorflow/tfjs';
import { registerConvGradients } from './conv';
import { registerSegmentSum } from './segment';
import { registerPoolGatherFixes, registerResizeGradFixes } from './pool-resize';
import { registerLeadingReductions } from './reduce';
import { registerSharedIdentity } from './identity';

/** The kernels this module provides per backend (the test asserts each is registered). */
export const TRAINING_KERNELS: Record<'wasm' | 'cpu', readonly string[]> = {
  wasm: ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'UnsortedSegmentSum', 'MaxPoolGrad', 'GatherV2', 'Sum', 'Mean', 'Identity'],
  cpu: ['ResizeNearestNeighborGrad', 'ResizeBilinearGrad'],
};

const done = new Set<string>();

export function registerTrainingKernels(backendName: 'wasm' | 'cpu'): void {
  if (done.has(backendName)) return;
  done.add(backendName);
  if (backendName === 'wasm') {
    registerConvGradients(backendName);
    registerSegmentSum(backendName);
    registerPoolGatherFixes(backendName);
    registerLeadingReductions(backendName);
    registerSharedIdentity(backendName);
  } else {
    registerResizeGradFixes(backendName);
  }
  for (const k of TRAINING_KERNELS[backendName]) {
    if (!tf.getKernel(k, backendName)) throw new Error(`kernel ${k} was not registered for ${backendName}`);
  }
}
