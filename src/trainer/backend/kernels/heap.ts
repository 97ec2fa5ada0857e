/**
 * Kernels written in JavaScript that work on the wasm backend's own memory: a tensor's values are
 * a Float32Array view on the WebAssembly heap (no copy in or out), and an output is allocated
 * there before it is filled. Used only where tfjs-wasm has no fast kernel for what the trainer
 * needs (patch matrices and their fold, column sums): XNNPACK's element-wise kernels run 5-15x
 * faster than a JavaScript loop over the same values (a batch-norm written as heap passes measured
 * no faster than its composition, so it was not kept).
 *
 * Views must be taken after every allocation: allocating may grow the heap, which detaches
 * earlier views.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-wasm's BackendWasm these kernels use (public methods of that class). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function isHeapBackend(b: unknown): b is HeapBackend {
  const o = b as Partial<HeapBackend> | null;
  return !!o && typeof o.makeOutput === 'function' && typeof o.typedArrayFromHeap === 'function';
}

/** The active backend when it is tfjs-wasm (its memory can be read and written here). */
export function heapBackend(): HeapBackend | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const b = tf.backend();
  return isHeapBackend(b) ? b : undefined;
}

/** A float32 tensor's values in place on the heap. */
export function heapF32(be: HeapBackend, t: tf.TensorInfo): Float32Array {
  if (t.dtype !== 'float32') throw new TypeError(`expected a float32 tensor, got ${t.dtype}`);
  return be.typedArrayFromHeap(t) as Float32Array;
}

/**
 * A new float32 tensor of `shape` whose values `fill` writes (the view is not zeroed), tracked
 * by the enclosing tf.tidy like any op's output. `inputs` are the tensors `fill` reads: their views
 * are taken after the allocation.
 */
export function heapTensor(shape: number[], inputs: tf.TensorInfo[], fill: (out: Float32Array, ...ins: Float32Array[]) => void): tf.Tensor {
  const be = heapBackend();
  if (!be) throw new Error('heapTensor needs the wasm backend');
  const info = be.makeOutput(shape, 'float32');
  fill(heapF32(be, info), ...inputs.map((t) => heapF32(be, t)));
  return tf.engine().makeTensorFromTensorInfo(info);
}
