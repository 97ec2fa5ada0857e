/**
 * The model factory (CenterFusion's create_model): --arch picks a backbone, the heads come from
 * the resolved options. Known architectures:
 *   dla_34  CenterFusion's DLA-34 with its DLAUp/IDAUp path (plain convolutions where the
 *           original uses deformable ones; see dla.ts)
 *   tiny    a small plain-convolution backbone that trains on a laptop CPU in minutes (tiny.ts)
 */
import { Rng } from '../prng';
import type { BackboneFactory } from './backbone';
import { dla34Backbone } from './dla';
import { CenterFusionNetwork, type Network, type NetworkSpec } from './network';
import { TINY_DEPTH_PRIOR, tinyBackbone } from './tiny';

export type { Network, NetworkSpec, FirstStage } from './network';
export { PC_FEAT_CHANNELS } from './network';
export { stridedLayers } from './backbone';

interface ArchEntry {
  backbone: BackboneFactory;
  /** Recorded in checkpoints as `network`. */
  network: string;
  summary: string;
  /** Depth the dep/dep_sec heads start at (NetworkSpec.depthPrior), unless the spec says. */
  depthPrior?: number;
}

const ARCHS: Record<string, ArchEntry> = {
  dla_34: { backbone: dla34Backbone, network: 'centerfusion-dla_34-v1', summary: "CenterFusion's DLA-34 + DLAUp/IDAUp (plain convolutions instead of deformable ones)" },
  // The small backbone trains for minutes, not days: its depth heads start at a typical depth.
  tiny: { backbone: tinyBackbone, network: 'centerfusion-tiny-v2', summary: 'a small plain-convolution backbone for CPU training', depthPrior: TINY_DEPTH_PRIOR },
};

/** The --arch names the built-in trainer builds. */
export const KNOWN_ARCHS: readonly string[] = Object.keys(ARCHS);

/** Raised for an --arch the factory does not know. */
export class ArchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchError';
  }
}

/** Why an --arch cannot be built, or undefined when it can. */
export function archProblem(arch: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(ARCHS, arch)) return undefined;
  return `unknown architecture ${JSON.stringify(arch)}: the built-in trainer builds ${KNOWN_ARCHS.map((a) => `${a} (${ARCHS[a].summary})`).join(', ')}`;
}

/** Why an architecture cannot work at a down ratio (DLA-34 has levels for 2, 4, 8 and 16), or undefined. */
export function downRatioProblem(arch: string, downRatio: number): string | undefined {
  if (arch === 'dla_34' && ![2, 4, 8, 16].includes(downRatio)) return `dla_34 supports down_ratio 2, 4, 8 or 16, got ${downRatio}`;
  return undefined;
}

/** The checkpoint `network` name of an architecture. */
export function networkName(arch: string): string {
  const problem = archProblem(arch);
  if (problem) throw new ArchError(problem);
  return ARCHS[arch].network;
}

/** Builds the network of `spec.arch`, drawing its initial weights from `rng`. */
export function createNetwork(spec: NetworkSpec, rng: Rng): Network {
  const problem = archProblem(spec.arch);
  if (problem) throw new ArchError(problem);
  const entry = ARCHS[spec.arch];
  const full: NetworkSpec = spec.depthPrior === undefined && entry.depthPrior !== undefined ? { ...spec, depthPrior: entry.depthPrior } : spec;
  return new CenterFusionNetwork(full, rng, entry.network, entry.backbone);
}
