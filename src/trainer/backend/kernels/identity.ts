/**
 * Identity (tensor.clone(), and every tensor tfjs saves for a gradient) without a copy on wasm:
 * tfjs-wasm's kernel copies the values, the cpu backend shares them by reference count, as this
 * does. A training step saves each convolution's input this way; sharing the data also lets
 * convolutions of one input (CenterNet's heads) share their patch matrix (patches.ts), which is
 * cached by the input's data.
 */
import * as tf from '@tensorflow/tfjs';
import { input } from './tensors';

interface RefCounted {
  incRef(dataId: object): void;
}

export function registerSharedIdentity(backendName: string): void {
  const own = tf.getKernel('Identity', backendName);
  if (!own) return;
  tf.unregisterKernel('Identity', backendName);
  tf.registerKernel({
    ...own,
    kernelFunc: (params) => {
      const x = input(params.inputs, 'x', 'Identity');
      const backend = params.backend as unknown as Partial<RefCounted>;
      if (x.dtype === 'string' || typeof backend.incRef !== 'function') return own.kernelFunc(params);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
