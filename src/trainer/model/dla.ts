/**
 * `--arch dla_34`: CenterFusion's backbone (CenterNet's DLASeg on DLA-34): the DLA-34 tree of
 * residual basic blocks (levels 1,1,1,2,2,1; channels 16,32,64,128,256,512) with its aggregation
 * roots, then DLAUp and IDAUp bring the levels back up to the output stride (down_ratio, 4 in
 * CenterFusion), giving channels[log2(down_ratio)] features (64 at stride 4).
 *
 * Written from the published structure, with two stated differences: the up-sampling path uses
 * plain 3×3 convolutions where the original uses deformable ones (DCNv2), and it up-samples by
 * nearest neighbour where the original uses a learnable depthwise transposed convolution that
 * starts as bilinear interpolation. Parameter names follow CenterNet's modules
 * (base.level3.tree1.conv1.weight, dla_up.ida_0.proj_1.conv.weight, ida_up.node_2.actf.0.running_var, ...).
 */
import { tf } from '../tf';
import { batchNorm, conv, maxPool, upsample, type BatchNormLayer, type ConvLayer, type ParamPlan } from './layers';
import { stridedLayers, type Backbone, type ParamLookup } from './backbone';

export const DLA34_LEVELS = [1, 1, 1, 2, 2, 1];
export const DLA34_CHANNELS = [16, 32, 64, 128, 256, 512];
const LAST_LEVEL = 5;

interface Ctx {
  p: ParamLookup;
  training: boolean;
}

type Fn = (x: tf.Tensor4D, ctx: Ctx) => tf.Tensor4D;

function convBn(plan: ParamPlan, convName: string, bnName: string, k: number, cin: number, cout: number, stride: number): { c: ConvLayer; bn: BatchNormLayer } {
  return { c: plan.conv(convName, k, cin, cout, stride, 'he', null), bn: plan.batchNorm(bnName, cout) };
}

function applyConvBn(x: tf.Tensor4D, layer: { c: ConvLayer; bn: BatchNormLayer }, ctx: Ctx): tf.Tensor4D {
  const { p } = ctx;
  const y = conv(x, p(layer.c.weight), null, layer.c.stride);
  return batchNorm(y, p(layer.bn.weight), p(layer.bn.bias), p(layer.bn.runningMean), p(layer.bn.runningVar), ctx.training);
}

/** conv-BN-ReLU blocks of a level (level0, level1). */
function convLevel(plan: ParamPlan, prefix: string, cin: number, cout: number, convs: number, stride: number): Fn {
  const layers: Array<{ c: ConvLayer; bn: BatchNormLayer }> = [];
  for (let i = 0; i < convs; i++) {
    layers.push(convBn(plan, `${prefix}.${3 * i}`, `${prefix}.${3 * i + 1}`, 3, i === 0 ? cin : cout, cout, i === 0 ? stride : 1));
  }
  return (x, ctx) => {
    let h = x;
    for (const l of layers) h = tf.relu(applyConvBn(h, l, ctx)) as tf.Tensor4D;
    return h;
  };
}

type BlockFn = (x: tf.Tensor4D, residual: tf.Tensor4D | null, ctx: Ctx) => tf.Tensor4D;

/** DLA's BasicBlock: conv3×3(stride)-BN-ReLU, conv3×3-BN, plus the residual, ReLU. */
function basicBlock(plan: ParamPlan, prefix: string, cin: number, cout: number, stride: number): BlockFn {
  const a = convBn(plan, `${prefix}.conv1`, `${prefix}.bn1`, 3, cin, cout, stride);
  const b = convBn(plan, `${prefix}.conv2`, `${prefix}.bn2`, 3, cout, cout, 1);
  return (x, residual, ctx) => {
    const h = tf.relu(applyConvBn(x, a, ctx)) as tf.Tensor4D;
    const out = applyConvBn(h, b, ctx);
    return tf.relu(tf.add(out, residual ?? x)) as tf.Tensor4D;
  };
}

type TreeFn = (x: tf.Tensor4D, ctx: Ctx, children?: tf.Tensor4D[]) => tf.Tensor4D;

/** DLA's Tree: two sub-trees (or blocks) whose outputs, with the level's children, meet in a root. */
function tree(
  plan: ParamPlan,
  prefix: string,
  levels: number,
  cin: number,
  cout: number,
  stride: number,
  levelRoot: boolean,
  rootDimIn: number,
): TreeFn {
  let rootDim = rootDimIn === 0 ? 2 * cout : rootDimIn;
  if (levelRoot) rootDim += cin;
  let tree1: BlockFn | TreeFn;
  let tree2: BlockFn | TreeFn;
  let root: { c: ConvLayer; bn: BatchNormLayer } | null = null;
  if (levels === 1) {
    tree1 = basicBlock(plan, `${prefix}.tree1`, cin, cout, stride);
    tree2 = basicBlock(plan, `${prefix}.tree2`, cout, cout, 1);
    root = convBn(plan, `${prefix}.root.conv`, `${prefix}.root.bn`, 1, rootDim, cout, 1);
  } else {
    tree1 = tree(plan, `${prefix}.tree1`, levels - 1, cin, cout, stride, false, 0);
    tree2 = tree(plan, `${prefix}.tree2`, levels - 1, cout, cout, 1, false, rootDim + cout);
  }
  const project = cin !== cout ? convBn(plan, `${prefix}.project.0`, `${prefix}.project.1`, 1, cin, cout, 1) : null;
  return (x, ctx, childrenIn) => {
    const children = childrenIn ?? [];
    const bottom = stride > 1 ? maxPool(x, stride, stride) : x;
    const residual = project ? applyConvBn(bottom, project, ctx) : bottom;
    if (levelRoot) children.push(bottom);
    if (levels === 1 && root) {
      const x1 = (tree1 as BlockFn)(x, residual, ctx);
      const x2 = (tree2 as BlockFn)(x1, null, ctx);
      const joined = tf.concat([x2, x1, ...children], 3) as tf.Tensor4D;
      return tf.relu(applyConvBn(joined, root, ctx)) as tf.Tensor4D;
    }
    const x1 = (tree1 as TreeFn)(x, ctx);
    children.push(x1);
    return (tree2 as TreeFn)(x1, ctx, children);
  };
}

/** DeformConv of CenterNet with a plain 3×3 convolution: conv (with bias) -> BN -> ReLU. */
function projConv(plan: ParamPlan, prefix: string, cin: number, cout: number): Fn {
  const c = plan.conv(`${prefix}.conv`, 3, cin, cout, 1, 'he', 'zero');
  const bn = plan.batchNorm(`${prefix}.actf.0`, cout);
  return (x, ctx) => {
    const { p } = ctx;
    const y = conv(x, p(c.weight), c.bias ? p(c.bias) : null, 1);
    return tf.relu(batchNorm(y, p(bn.weight), p(bn.bias), p(bn.runningMean), p(bn.runningVar), ctx.training)) as tf.Tensor4D;
  };
}

type IdaFn = (layers: tf.Tensor4D[], startp: number, endp: number, ctx: Ctx) => void;

/** IDAUp: each finer-than-start level is projected, up-sampled and merged with its neighbour. */
function idaUp(plan: ParamPlan, prefix: string, o: number, channels: readonly number[], upF: readonly number[]): IdaFn {
  const steps: Array<{ proj: Fn; node: Fn; factor: number }> = [];
  for (let i = 1; i < channels.length; i++) {
    steps[i] = {
      proj: projConv(plan, `${prefix}.proj_${i}`, channels[i], o),
      node: projConv(plan, `${prefix}.node_${i}`, o, o),
      factor: upF[i],
    };
  }
  return (layers, startp, endp, ctx) => {
    for (let i = startp + 1; i < endp; i++) {
      const s = steps[i - startp];
      const prev = layers[i - 1];
      const up = upsample(s.proj(layers[i], ctx), s.factor, prev.shape[1], prev.shape[2]);
      layers[i] = s.node(tf.add(up, prev) as tf.Tensor4D, ctx);
    }
  };
}

/** DLAUp: IDAUp stages from the coarsest level down to startp; returns the merged levels, finest first. */
function dlaUp(plan: ParamPlan, startp: number, channelsIn: readonly number[], scalesIn: readonly number[]): (layers: tf.Tensor4D[], ctx: Ctx) => tf.Tensor4D[] {
  const channels = [...channelsIn];
  const inChannels = [...channelsIn];
  const scales = [...scalesIn];
  const idas: IdaFn[] = [];
  const n = channels.length;
  for (let i = 0; i < n - 1; i++) {
    const j = n - i - 2;
    idas.push(idaUp(plan, `dla_up.ida_${i}`, channels[j], inChannels.slice(j), scales.slice(j).map((s) => Math.floor(s / scales[j]))));
    for (let k = j + 1; k < n; k++) {
      scales[k] = scales[j];
      inChannels[k] = channels[j];
    }
  }
  return (layersIn, ctx) => {
    const layers = [...layersIn];
    const out = [layers[layers.length - 1]];
    for (let i = 0; i < layers.length - startp - 1; i++) {
      idas[i](layers, layers.length - i - 2, layers.length, ctx);
      out.unshift(layers[layers.length - 1]);
    }
    return out;
  };
}

export function dla34Backbone(plan: ParamPlan, downRatio: number): Backbone {
  const firstLevel = stridedLayers(downRatio);
  if (firstLevel < 1 || firstLevel > 4) {
    throw new RangeError(`dla_34 supports down_ratio 2, 4, 8 or 16, got ${downRatio}`);
  }
  const ch = DLA34_CHANNELS;
  const lv = DLA34_LEVELS;
  const baseLayer = convBn(plan, 'base.base_layer.0', 'base.base_layer.1', 7, 3, ch[0], 1);
  const level0 = convLevel(plan, 'base.level0', ch[0], ch[0], lv[0], 1);
  const level1 = convLevel(plan, 'base.level1', ch[0], ch[1], lv[1], 2);
  const level2 = tree(plan, 'base.level2', lv[2], ch[1], ch[2], 2, false, 0);
  const level3 = tree(plan, 'base.level3', lv[3], ch[2], ch[3], 2, true, 0);
  const level4 = tree(plan, 'base.level4', lv[4], ch[3], ch[4], 2, true, 0);
  const level5 = tree(plan, 'base.level5', lv[5], ch[4], ch[5], 2, true, 0);
  const upChannels = ch.slice(firstLevel);
  const up = dlaUp(plan, firstLevel, upChannels, upChannels.map((_, i) => 2 ** i));
  const idaCount = LAST_LEVEL - firstLevel;
  const ida = idaUp(plan, 'ida_up', ch[firstLevel], ch.slice(firstLevel, LAST_LEVEL), Array.from({ length: idaCount }, (_, i) => 2 ** i));
  return {
    outChannels: ch[firstLevel],
    forward(images: tf.Tensor4D, p: ParamLookup, training: boolean): tf.Tensor4D {
      const ctx: Ctx = { p, training };
      const levels: tf.Tensor4D[] = [];
      let x = tf.relu(applyConvBn(images, baseLayer, ctx)) as tf.Tensor4D;
      x = level0(x, ctx);
      levels.push(x);
      x = level1(x, ctx);
      levels.push(x);
      for (const level of [level2, level3, level4, level5]) {
        x = level(x, ctx);
        levels.push(x);
      }
      const merged = up(levels, ctx);
      const y = merged.slice(0, idaCount);
      ida(y, 0, y.length, ctx);
      return y[y.length - 1];
    },
  };
}
