/**
 * The trainer's replica program: CenterFusion's network (src/trainer/model) and losses
 * (src/trainer/losses) on a chunk of samples, collated by the replica itself. On the main thread it
 * wraps the trainer's own network; in a worker thread the built-in factory `centerfusion` builds a
 * copy from the network spec (its initial weights do not matter: the engine overwrites them from
 * replica 0's before every step).
 */
import { collate, disposeBatch, type BatchShape } from '../data/batch';
import type { Sample } from '../data/types';
import { computeLosses, type LossOptions } from '../losses';
import { createNetwork, type Network, type NetworkSpec } from '../model';
import { Rng } from '../prng';
import { lossGradients, type ChunkResult, type ReplicaParam, type ReplicaProgram } from './program';

/** Plain data: everything a worker needs to rebuild the trainer's program. */
export interface TrainerProgramConfig {
  spec: NetworkSpec;
  heads: Record<string, number>;
  weights: Record<string, number>;
  lossOptions: LossOptions;
  geometry: BatchShape;
  regTargets: string[];
  withPcHm: boolean;
}

export class TrainerProgram implements ReplicaProgram<Sample[]> {
  readonly params: readonly ReplicaParam[];

  constructor(
    readonly model: Network,
    private readonly config: TrainerProgramConfig,
    private readonly ownsModel = false,
  ) {
    this.params = [...model.params].map(([name, variable]) => ({ name, variable }));
  }

  gradients(samples: Sample[]): ChunkResult {
    const batch = collate(samples, this.config.geometry, this.config.regTargets, this.config.withPcHm);
    try {
      this.model.training = true;
      return lossGradients(this.params, () => computeLosses(this.model.forward(batch.image, batch.pcHm), batch, this.config.heads, this.config.weights, this.config.lossOptions));
    } finally {
      disposeBatch(batch);
    }
  }

  dispose(): void {
    if (this.ownsModel) this.model.dispose();
  }
}

/** The `centerfusion` built-in factory (worker threads). */
export function createTrainerProgram(config: unknown): TrainerProgram {
  const c = config as TrainerProgramConfig;
  return new TrainerProgram(createNetwork(c.spec, new Rng(1)), c, true);
}
