/**
 * `--arch tiny`: a small plain-convolution backbone fast enough to train on a laptop CPU in
 * minutes. A 3×3 stem, one stride-2 3×3 convolution per factor of two of down_ratio, then
 * TINY_REFINE_LAYERS 3×3 convolutions at the output stride (ReLU after each; no batch norm, so
 * a batch of one behaves as in training), and the feature row's position as one more channel.
 *
 * The row channel: with a fixed camera above a flat road, an object's image row says much about
 * its depth, but a few 3×3 convolutions see ~20 input pixels and no position (a DLA-34 learns it
 * from its receptive field and padding). The channel gives the heads that position. Measured
 * alone it did not move the metric (the depth error stayed about 7 m); see docs/trainer.md.
 */
import { tf } from '../tf';
import { conv, type ConvLayer, type ParamPlan } from './layers';
import { stridedLayers, type Backbone, type ParamLookup } from './backbone';

export const TINY_STEM_CHANNELS = 16;
export const TINY_FEATURE_CHANNELS = 32;
export const TINY_REFINE_LAYERS = 2;
/** Position channels appended to the features the heads read (the row, see above). */
export const TINY_ROW_CHANNELS = 1;
/**
 * Metres the tiny network's dep and dep_sec heads start at (their last bias is -ln of it), a
 * typical depth of the synthetic world; CenterNet's zero bias starts at 1 m, which a few hundred
 * CPU steps cannot climb out of.
 */
export const TINY_DEPTH_PRIOR = 20;

/** Appends the feature row's position (-1 near the top, +1 near the bottom) as one more channel. */
export function appendRowChannel(h: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, H, W] = h.shape;
    const rows = tf.linspace(-1 + 1 / H, 1 - 1 / H, H).reshape([1, H, 1, 1]);
    return tf.concat([h, tf.tile(rows, [n, 1, W, 1])], 3) as tf.Tensor4D;
  });
}

export function tinyBackbone(plan: ParamPlan, downRatio: number): Backbone {
  const layers: ConvLayer[] = [];
  const down = stridedLayers(downRatio);
  let channels = 3;
  let index = 0;
  const add = (cout: number, stride: number): void => {
    layers.push(plan.conv(`base.conv${index}`, 3, channels, cout, stride, 'he', 'zero'));
    channels = cout;
    index++;
  };
  add(TINY_STEM_CHANNELS, down >= 1 ? 2 : 1);
  for (let i = 1; i < down; i++) add(TINY_FEATURE_CHANNELS, 2);
  for (let i = 0; i < TINY_REFINE_LAYERS; i++) add(TINY_FEATURE_CHANNELS, 1);
  return {
    outChannels: channels + TINY_ROW_CHANNELS,
    forward(images: tf.Tensor4D, p: ParamLookup): tf.Tensor4D {
      let h = images;
      for (const layer of layers) h = conv(h, p(layer.weight), layer.bias ? p(layer.bias) : null, layer.stride, 'relu');
      return appendRowChannel(h);
    },
  };
}
