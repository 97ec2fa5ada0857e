/** What a backbone gives the detection heads: features at the output stride. */
import type { tf } from '../tf';
import type { ParamPlan } from './layers';

/** Looks a variable up by its parameter name. */
export type ParamLookup = (name: string) => tf.Variable;

export interface Backbone {
  /** Channels of the feature map the heads read. */
  readonly outChannels: number;
  /** Image [batch, input_h, input_w, 3] -> features [batch, input_h / down_ratio, input_w / down_ratio, outChannels]. */
  forward(images: tf.Tensor4D, p: ParamLookup, training: boolean): tf.Tensor4D;
}

/** Plans a backbone's parameters into `plan` and returns it. */
export type BackboneFactory = (plan: ParamPlan, downRatio: number) => Backbone;

/** Stride-2 steps needed for a down ratio; throws unless it is a power of two up to 32. */
export function stridedLayers(downRatio: number): number {
  const n = Math.log2(downRatio);
  if (!Number.isInteger(n) || n < 0 || n > 5) {
    throw new RangeError(`down_ratio ${downRatio} is not supported by the built-in network (use 1, 2, 4, 8, 16 or 32)`);
  }
  return n;
}
