/**
 * Kernels written as compositions of other tfjs ops. tfjs hands a kernel the op's input tensors
 * (typed as TensorInfo) and accepts a Tensor as its result; ops run inside a kernel are not
 * recorded on the gradient tape, and `tf.tidy` frees the intermediates.
 */
import * as tf from '@tensorflow/tfjs';

/** The input as a Tensor (a view on the same data when tfjs handed over a bare TensorInfo). */
export function asTensor(info: tf.TensorInfo): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** Runs `f` on the inputs as tensors, freeing every intermediate but the result. */
export function composed<T extends tf.Tensor | undefined>(inputs: tf.TensorInfo[], f: (...ts: tf.Tensor[]) => T): T {
  const views: tf.Tensor[] = [];
  const ts = inputs.map((info) => {
    if (info instanceof tf.Tensor) return info;
    const t = asTensor(info);
    views.push(t);
    return t;
  });
  try {
    return tf.tidy(() => f(...ts)) as T;
  } finally {
    for (const v of views) v.dispose();
  }
}

/** A named kernel input, or an error naming the kernel and the missing input. */
export function input(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`${kernel}: missing input '${name}'`);
  return t;
}
