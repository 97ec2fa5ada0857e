/**
 * The benchmark's replica program (src/trainer/parallel/program.ts) for bench/train.ts's
 * data-parallel runs: one replica of the small network (bench/train-net.ts) or of the trainer's
 * real network (src/trainer/model, for the demo configuration) with the benchmark's losses. Each
 * replica holds the fixed targets of its own chunk; a step's chunk is the chunk's images (posted
 * by the main thread every step, as the trainer posts its samples). The engine's worker threads
 * load this file by path (`createBenchReplicaProgram`).
 */
import { tf } from '../src/trainer/tf';
import { createNetwork, type NetworkSpec } from '../src/trainer/model';
import { Rng } from '../src/trainer/prng';
import { lossGradients, type ChunkResult, type ReplicaParam, type ReplicaProgram } from '../src/trainer/parallel/program';
import { benchLoss, createBenchNet, makeBenchBatch, type BenchBatch, type NetConfig } from './train-net';

export interface BenchReplicaConfig {
  kind: 'small' | 'demo';
  /** The network's configuration at the whole batch (cfg.batch: the total). */
  cfg: NetConfig;
  chunks: number[];
  /** demo: the trainer's network spec and its output size. */
  spec?: NetworkSpec;
  out?: [number, number];
}

export class BenchReplicaProgram implements ReplicaProgram<Float32Array> {
  readonly params: ReplicaParam[];
  private readonly forward: (x: tf.Tensor4D) => Record<string, tf.Tensor4D>;
  private readonly dispose_: () => void;
  private readonly batch: BenchBatch;
  private readonly n: number;

  constructor(
    private readonly config: BenchReplicaConfig,
    replica: number,
  ) {
    this.n = config.chunks[replica];
    const cfg = { ...config.cfg, batch: this.n };
    if (config.kind === 'small') {
      const net = createBenchNet(cfg, 317);
      this.forward = (x) => net.forward(x);
      this.params = net.params.map((variable, i) => ({ name: `p${i}`, variable }));
      this.dispose_ = () => net.dispose();
    } else {
      const net = createNetwork(config.spec!, new Rng(317));
      net.training = true;
      this.forward = (x) => net.forward(x);
      this.params = [...net.params].map(([name, variable]) => ({ name, variable }));
      this.dispose_ = () => net.dispose();
    }
    this.batch = makeBenchBatch(cfg, 5 + replica, config.out);
  }

  /** The images of this replica's chunk (taken from a batch built at the same seed). */
  images(): Float32Array {
    return this.batch.images.dataSync() as Float32Array;
  }

  gradients(images: Float32Array): ChunkResult {
    const c = this.config.cfg;
    return lossGradients(this.params, () => {
      const x = tf.tensor4d(images, [this.n, c.height, c.width, c.inChannels]);
      return { tot: benchLoss(this.forward(x), this.batch), parts: {} };
    });
  }

  dispose(): void {
    this.batch.dispose();
    this.dispose_();
  }
}

export function createBenchReplicaProgram(config: unknown, replica: number): BenchReplicaProgram {
  return new BenchReplicaProgram(config as BenchReplicaConfig, replica);
}
