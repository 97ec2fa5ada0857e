// Replica programs for test/unit/trainer.parallel.test.ts, loaded by the engine's worker threads
// by file path: a small network without batch norm (a 3x3 convolution, ReLU, a 1x1 convolution)
// whose loss is a per-sample mean, so that the equal-weight mean over equal chunks is the
// gradient of the whole batch; and the same program with faults on demand.
import { tf } from '../../src/trainer/tf';
import { lossGradients, type ReplicaParam, type ReplicaProgram } from '../../src/trainer/parallel/program';
import { values } from './lcgValues';

export interface TestChunk {
  /** [n, 6, 6, 2] images. */
  x: Float32Array;
  /** [n, 6, 6, 3] targets. */
  y: Float32Array;
  n: number;
}

export interface TestConfig {
  /** Fault injected in replicas >= 1 at this (1-based) step. */
  fault?: { step: number; kind: 'throw' | 'exit' | 'hang' };
  /** Fault at start in replicas >= 1. */
  initFault?: boolean;
}

export function makeChunk(n: number, seed: number): TestChunk {
  return { x: values(n * 6 * 6 * 2, seed), y: values(n * 6 * 6 * 3, seed + 7), n };
}

/** Concatenation of chunks (the whole batch). */
export function joinChunks(chunks: TestChunk[]): TestChunk {
  const cat = (xs: Float32Array[]): Float32Array => {
    const out = new Float32Array(xs.reduce((a, b) => a + b.length, 0));
    let at = 0;
    for (const x of xs) {
      out.set(x, at);
      at += x.length;
    }
    return out;
  };
  return { x: cat(chunks.map((c) => c.x)), y: cat(chunks.map((c) => c.y)), n: chunks.reduce((a, c) => a + c.n, 0) };
}

export class TestProgram implements ReplicaProgram<TestChunk> {
  readonly params: ReplicaParam[];
  private steps = 0;

  constructor(
    private readonly config: TestConfig,
    private readonly replica: number,
  ) {
    if (config.initFault && replica >= 1) throw new Error('cannot build the network (injected)');
    this.params = [
      { name: 'w1', variable: tf.variable(tf.tensor4d(values(3 * 3 * 2 * 4, 11), [3, 3, 2, 4]), true, `w1_${replica}_${Math.random()}`) },
      { name: 'b1', variable: tf.variable(tf.tensor1d(values(4, 12)), true, `b1_${replica}_${Math.random()}`) },
      { name: 'w2', variable: tf.variable(tf.tensor4d(values(4 * 3, 13), [1, 1, 4, 3]), true, `w2_${replica}_${Math.random()}`) },
    ];
  }

  gradients(chunk: TestChunk): ReturnType<ReplicaProgram['gradients']> {
    this.steps++;
    const f = this.config.fault;
    if (f && this.replica >= 1 && this.steps === f.step) {
      if (f.kind === 'throw') throw new Error('boom (injected)');
      if (f.kind === 'exit') process.exit(3);
      if (f.kind === 'hang') for (;;);
    }
    const [w1, b1, w2] = this.params.map((p) => p.variable);
    const conv = (x: tf.Tensor4D, w: tf.Variable): tf.Tensor4D => tf.conv2d(x, w as tf.Tensor4D, 1, 'same');
    return lossGradients(this.params, () => {
      const x = tf.tensor4d(chunk.x, [chunk.n, 6, 6, 2]);
      const y = tf.tensor4d(chunk.y, [chunk.n, 6, 6, 3]);
      const h = tf.relu(tf.add(conv(x, w1), b1)) as tf.Tensor4D;
      const out = conv(h, w2);
      const d = tf.sub(out, y);
      const sq = tf.mean(tf.square(d)) as tf.Scalar;
      const abs = tf.mean(tf.abs(d)) as tf.Scalar;
      return { tot: tf.add(sq, abs) as tf.Scalar, parts: { sq, abs } };
    });
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
  }
}

export function createTestProgram(config: unknown, replica: number): TestProgram {
  return new TestProgram(config as TestConfig, replica);
}
