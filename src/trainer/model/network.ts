/**
 * The built-in network: a tiny CenterNet. A few 3×3 convolutions bring the image down to the
 * output stride (down_ratio), then every head of opts.heads gets CenterNet's head shape:
 * 3×3 conv layers of head_conv channels with ReLU, then a 1×1 conv to the head's channels. The
 * hm head's last bias starts at prior_bias (-4.6, CenterNet's focal-loss prior); the other heads'
 * biases start at 0. Every architecture name (dla_34, resdcn_18, ...) maps to this network for
 * now; the trainer says so in a warning event.
 */
import { tf } from '../tf';
import { Rng } from '../prng';
import { conv1x1, conv2d, convPatches, im2col, type Patches } from './ops';

/** Channel widths of the tiny network (kept small so an epoch takes seconds on a CPU). */
export const TINY_STEM_CHANNELS = 8;
export const TINY_FEATURE_CHANNELS = 16;
/** head_conv is capped at this many channels (CenterFusion's dla default is 256). */
export const TINY_HEAD_CHANNELS_MAX = 8;

/** The name of the network this file builds, recorded in checkpoints. */
export const NETWORK_NAME = 'tiny-centernet-v1';

export interface NetworkSpec {
  /** The --arch asked for (recorded; the network is the tiny one whatever it says). */
  arch: string;
  /** Head name -> output channels, in opts.heads order. */
  heads: Record<string, number>;
  /** Head name -> hidden conv channels per layer, as resolved from --head_conv/--num_head_conv. */
  headConv: Record<string, number[]>;
  downRatio: number;
  priorBias: number;
}

type InitKind = 'he' | 'torch' | 'zero' | 'prior';

export interface ParamDef {
  name: string;
  shape: number[];
  fanIn: number;
  init: InitKind;
}

interface ConvLayer {
  weight: string;
  bias: string;
  stride: number;
  kernel: number;
}

interface HeadPlan {
  name: string;
  hidden: ConvLayer[];
  out: ConvLayer;
}

/** The hidden widths the tiny network really uses for one head. */
export function tinyHeadWidths(requested: readonly number[]): number[] {
  return requested.map((c) => Math.max(1, Math.min(c, TINY_HEAD_CHANNELS_MAX)));
}

/** Stride-2 layers needed for a down ratio; throws unless it is a power of two up to 32. */
export function stridedLayers(downRatio: number): number {
  const n = Math.log2(downRatio);
  if (!Number.isInteger(n) || n < 0 || n > 5) {
    throw new RangeError(`down_ratio ${downRatio} is not supported by the built-in network (use 1, 2, 4, 8, 16 or 32)`);
  }
  return n;
}

/** Layer plan and parameter list for a spec (pure: no tensors). */
export function planNetwork(spec: NetworkSpec): { defs: ParamDef[]; backbone: ConvLayer[]; heads: HeadPlan[] } {
  const defs: ParamDef[] = [];
  const addConv = (prefix: string, kernel: number, cin: number, cout: number, stride: number, init: InitKind, biasInit: InitKind): ConvLayer => {
    const fanIn = kernel * kernel * cin;
    defs.push({ name: `${prefix}.weight`, shape: [kernel, kernel, cin, cout], fanIn, init });
    defs.push({ name: `${prefix}.bias`, shape: [cout], fanIn, init: biasInit });
    return { weight: `${prefix}.weight`, bias: `${prefix}.bias`, stride, kernel };
  };

  const backbone: ConvLayer[] = [];
  const down = stridedLayers(spec.downRatio);
  let channels = 3;
  backbone.push(addConv('base.conv0', 3, channels, TINY_STEM_CHANNELS, down >= 1 ? 2 : 1, 'he', 'zero'));
  channels = TINY_STEM_CHANNELS;
  for (let i = 1; i < down; i++) {
    backbone.push(addConv(`base.conv${i}`, 3, channels, TINY_FEATURE_CHANNELS, 2, 'he', 'zero'));
    channels = TINY_FEATURE_CHANNELS;
  }
  backbone.push(addConv(`base.conv${Math.max(down, 1)}`, 3, channels, TINY_FEATURE_CHANNELS, 1, 'he', 'zero'));
  channels = TINY_FEATURE_CHANNELS;

  const heads: HeadPlan[] = [];
  for (const [name, outChannels] of Object.entries(spec.heads)) {
    const widths = tinyHeadWidths(spec.headConv[name] ?? []);
    const hidden: ConvLayer[] = [];
    let cin = channels;
    widths.forEach((w, j) => {
      hidden.push(addConv(`${name}.${2 * j}`, 3, cin, w, 1, 'torch', name === 'hm' ? 'torch' : 'zero'));
      cin = w;
    });
    const out = addConv(`${name}.${2 * widths.length}`, 1, cin, outChannels, 1, 'torch', name === 'hm' ? 'prior' : 'zero');
    heads.push({ name, hidden, out });
  }
  return { defs, backbone, heads };
}

/** Initial values of one parameter, drawn from `rng` (PyTorch-like fan-in uniform ranges). */
function initialValues(def: ParamDef, rng: Rng, priorBias: number): Float32Array {
  const size = def.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (def.init === 'zero') return values;
  if (def.init === 'prior') return values.fill(priorBias);
  // 'he': uniform with variance 2/fan_in (ReLU gain); 'torch': PyTorch's default conv init,
  // uniform in ±1/sqrt(fan_in).
  const bound = def.init === 'he' ? Math.sqrt(6 / def.fanIn) : 1 / Math.sqrt(def.fanIn);
  for (let i = 0; i < size; i++) values[i] = (rng.next() * 2 - 1) * bound;
  return values;
}

export class TinyCenterNet {
  readonly spec: NetworkSpec;
  readonly defs: ParamDef[];
  /** Variables in definition order (the checkpoint's order). */
  readonly params = new Map<string, tf.Variable>();
  private readonly backbone: ConvLayer[];
  private readonly headPlans: HeadPlan[];

  constructor(spec: NetworkSpec, rng: Rng) {
    this.spec = spec;
    const plan = planNetwork(spec);
    this.defs = plan.defs;
    this.backbone = plan.backbone;
    this.headPlans = plan.heads;
    for (const def of this.defs) {
      const value = tf.tensor(initialValues(def, rng, spec.priorBias), def.shape, 'float32');
      this.params.set(def.name, tf.variable(value, true));
      value.dispose();
    }
  }

  /** The trainable variables, in definition order. */
  variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`internal: no parameter ${name}`);
    return v;
  }

  /** Raw head outputs (logits), NHWC [batch, output_h, output_w, channels] per head. */
  forward(images: tf.Tensor4D): Record<string, tf.Tensor4D> {
    let h = images;
    for (const layer of this.backbone) {
      h = tf.relu(conv2d(h, this.p(layer.weight), this.p(layer.bias), layer.stride)) as tf.Tensor4D;
    }
    const features = h;
    // Every head's first 3×3 layer reads the same features: gather their patches once.
    let shared: Patches | undefined;
    const outputs: Record<string, tf.Tensor4D> = {};
    for (const hp of this.headPlans) {
      let x = features;
      hp.hidden.forEach((layer, j) => {
        if (j === 0) {
          shared ??= im2col(features, layer.kernel, 1);
          x = tf.relu(convPatches(shared, this.p(layer.weight), this.p(layer.bias))) as tf.Tensor4D;
        } else {
          x = tf.relu(conv2d(x, this.p(layer.weight), this.p(layer.bias), 1)) as tf.Tensor4D;
        }
      });
      outputs[hp.name] = conv1x1(x, this.p(hp.out.weight), this.p(hp.out.bias));
    }
    return outputs;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
