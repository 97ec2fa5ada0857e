/**
 * CenterFusion's network around a backbone (its BaseModel): per head of opts.heads a head of
 * CenterFusion's shape — a 3×3 convolution to head_conv[0] channels, then 1×1 convolutions for
 * the further head_conv entries, ReLU after each, and a 1×1 convolution to the head's channels
 * (a single 1×1 convolution when head_conv is empty). The hm head's last bias starts at
 * prior_bias; every other head's biases start at 0 (CenterNet's fill_fc_weights).
 *
 * With --pointcloud the secondary heads (velocity, nuscenes_att, dep_sec, rot_sec) read the
 * features concatenated with pc_hm (pc_dep, pc_vx, pc_vz): the primary heads run first, then
 * the secondary heads on [features, pc_hm]. In training pc_hm comes from the batch (frustum
 * association with the ground-truth boxes); at inference the caller builds it from the
 * first-stage detections (forwardFirstStage, then forwardSecondStage), as CenterFusion does.
 */
import { tf } from '../tf';
import { Rng } from '../prng';
import { conv, createParams, ParamPlan, type ConvLayer, type ParamDef } from './layers';
import type { Backbone, BackboneFactory } from './backbone';

export type { ParamDef } from './layers';

/** Channels of pc_hm (pc_dep, pc_vx, pc_vz: CenterFusion's pc_feat_lvl). */
export const PC_FEAT_CHANNELS = 3;

export interface NetworkSpec {
  /** --arch. */
  arch: string;
  /** Head name -> output channels, in opts.heads order. */
  heads: Record<string, number>;
  /** Head name -> hidden conv channels per layer, as resolved from --head_conv/--num_head_conv. */
  headConv: Record<string, number[]>;
  downRatio: number;
  priorBias: number;
  /** Heads that read [features, pc_hm] (opts.secondary_heads; empty without --pointcloud). */
  secondaryHeads?: readonly string[];
  /** --head_kernel (3). */
  headKernel?: number;
  /**
   * When set, the dep and dep_sec heads' last bias starts at -ln(depthPrior), so that their
   * first depth (1/sigmoid(x) - 1) is this many metres instead of 1 (CenterFusion starts at 0).
   */
  depthPrior?: number;
}

interface HeadPlan {
  name: string;
  secondary: boolean;
  layers: ConvLayer[];
}

export interface FirstStage {
  features: tf.Tensor4D;
  outputs: Record<string, tf.Tensor4D>;
}

export interface Network {
  readonly spec: NetworkSpec;
  /** The network's identity recorded in checkpoints (e.g. centerfusion-dla_34-v1). */
  readonly name: string;
  /** Every parameter and buffer, in checkpoint order. */
  readonly defs: ParamDef[];
  /** Trainable variables by name. */
  readonly params: Map<string, tf.Variable>;
  /** Trainable variables and buffers (batch-norm running statistics) by name, in defs order. */
  readonly state: Map<string, tf.Variable>;
  /** Training mode (batch statistics in batch norm) or evaluation mode (running statistics). */
  training: boolean;
  variables(): tf.Variable[];
  /** Raw head outputs (logits), NHWC [batch, output_h, output_w, channels] per head. */
  forward(images: tf.Tensor4D, pcHm?: tf.Tensor4D): Record<string, tf.Tensor4D>;
  /** The backbone features and the primary heads' outputs. */
  forwardFirstStage(images: tf.Tensor4D): FirstStage;
  /** The secondary heads on [features, pc_hm]; empty without secondary heads. */
  forwardSecondStage(features: tf.Tensor4D, pcHm: tf.Tensor4D): Record<string, tf.Tensor4D>;
  dispose(): void;
}

/** Plans the heads of a spec on `featureChannels` backbone channels. */
function planHeads(plan: ParamPlan, spec: NetworkSpec, featureChannels: number): HeadPlan[] {
  const secondary = new Set(spec.secondaryHeads ?? []);
  const kernel = spec.headKernel ?? 3;
  const heads: HeadPlan[] = [];
  for (const [name, outChannels] of Object.entries(spec.heads)) {
    const isSecondary = secondary.has(name);
    const widths = spec.headConv[name] ?? [];
    const isHm = name.includes('hm');
    const layers: ConvLayer[] = [];
    let cin = featureChannels + (isSecondary ? PC_FEAT_CHANNELS : 0);
    widths.forEach((w, j) => {
      layers.push(plan.conv(`${name}.${2 * j}`, j === 0 ? kernel : 1, cin, w, 1, 'torch', isHm ? 'torch' : 'zero'));
      cin = w;
    });
    const depthPrior = spec.depthPrior !== undefined && (name === 'dep' || name === 'dep_sec');
    layers.push(plan.conv(`${name}.${2 * widths.length}`, 1, cin, outChannels, 1, 'torch', isHm ? 'prior' : depthPrior ? 'depth' : 'zero'));
    heads.push({ name, secondary: isSecondary, layers });
  }
  return heads;
}

export class CenterFusionNetwork implements Network {
  readonly spec: NetworkSpec;
  readonly name: string;
  readonly defs: ParamDef[];
  readonly params: Map<string, tf.Variable>;
  readonly state: Map<string, tf.Variable>;
  training = true;
  private readonly backbone: Backbone;
  private readonly heads: HeadPlan[];

  constructor(spec: NetworkSpec, rng: Rng, name: string, backboneFactory: BackboneFactory) {
    this.spec = spec;
    this.name = name;
    const plan = new ParamPlan();
    this.backbone = backboneFactory(plan, spec.downRatio);
    this.heads = planHeads(plan, spec, this.backbone.outChannels);
    this.defs = plan.defs;
    const set = createParams(this.defs, rng, spec.priorBias, spec.depthPrior !== undefined ? -Math.log(spec.depthPrior) : 0);
    this.params = set.params;
    this.state = set.state;
  }

  variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  private readonly lookup = (name: string): tf.Variable => {
    const v = this.state.get(name);
    if (!v) throw new Error(`internal: no parameter ${name}`);
    return v;
  };

  private runHead(head: HeadPlan, x: tf.Tensor4D): tf.Tensor4D {
    let h = x;
    head.layers.forEach((layer, j) => {
      // ReLU after every layer but the last, fused into the convolution.
      h = conv(h, this.lookup(layer.weight), layer.bias ? this.lookup(layer.bias) : null, layer.stride, j < head.layers.length - 1 ? 'relu' : 'linear');
    });
    return h;
  }

  hasSecondaryHeads(): boolean {
    return this.heads.some((h) => h.secondary);
  }

  forwardFirstStage(images: tf.Tensor4D): FirstStage {
    const features = this.backbone.forward(images, this.lookup, this.training);
    const outputs: Record<string, tf.Tensor4D> = {};
    for (const head of this.heads) if (!head.secondary) outputs[head.name] = this.runHead(head, features);
    return { features, outputs };
  }

  forwardSecondStage(features: tf.Tensor4D, pcHm: tf.Tensor4D): Record<string, tf.Tensor4D> {
    const outputs: Record<string, tf.Tensor4D> = {};
    if (!this.hasSecondaryHeads()) return outputs;
    const [b, h, w] = features.shape;
    if (pcHm.shape[0] !== b || pcHm.shape[1] !== h || pcHm.shape[2] !== w || pcHm.shape[3] !== PC_FEAT_CHANNELS) {
      throw new Error(`pc_hm has shape [${pcHm.shape.join(', ')}], the network needs [${b}, ${h}, ${w}, ${PC_FEAT_CHANNELS}]`);
    }
    const fused = tf.concat([features, pcHm], 3) as tf.Tensor4D;
    for (const head of this.heads) if (head.secondary) outputs[head.name] = this.runHead(head, fused);
    return outputs;
  }

  forward(images: tf.Tensor4D, pcHm?: tf.Tensor4D): Record<string, tf.Tensor4D> {
    const first = this.forwardFirstStage(images);
    if (!this.hasSecondaryHeads()) return first.outputs;
    const [b, h, w] = first.features.shape;
    const pc = pcHm ?? (tf.zeros([b, h, w, PC_FEAT_CHANNELS]) as tf.Tensor4D);
    return { ...first.outputs, ...this.forwardSecondStage(first.features, pc) };
  }

  dispose(): void {
    for (const v of this.state.values()) v.dispose();
    this.state.clear();
    this.params.clear();
  }
}
