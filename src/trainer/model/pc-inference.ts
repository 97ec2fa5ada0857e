/**
 * pc_hm at inference (CenterFusion's generate_pc_hm): the first-stage heads' top-K detections
 * (2D box from wh around the peak, depth from dep, dimensions, rotation) are associated with the
 * sample's radar pillars by the frustum association of radar/frustum.ts, which paints pc_dep,
 * pc_vx and pc_vz around each associated box's centre. The secondary heads then read it.
 */
import { tf } from '../tf';
import { decodeRotation } from '../data/targets';
import type { Calib, RadarPoints } from '../data/types';
import { alphaToRotY, depthFromLogit, topPeaks } from '../decode';
import { buildPcHm, type FrustumBox, type PcHmOptions } from '../radar/frustum';

export interface PcInferenceInput {
  calib: Calib;
  radar?: RadarPoints;
}

function at(values: Float32Array | Int32Array | Uint8Array, channels: number, b: number, hw: number, pix: number): number[] {
  const base = (b * hw + pix) * channels;
  return Array.from(values.subarray(base, base + channels));
}

/** The first-stage boxes of each image, in output-map pixels, as FrustumBox. */
export function firstStageBoxes(outputs: Record<string, tf.Tensor4D>, calibs: readonly Calib[], downRatio: number, K: number): FrustumBox[][] {
  const [, H, W] = outputs.hm.shape;
  const hw = H * W;
  const read = (name: string): { c: number; v: Float32Array | Int32Array | Uint8Array } | undefined =>
    outputs[name] ? { c: outputs[name].shape[3], v: outputs[name].dataSync() } : undefined;
  const wh = read('wh');
  const dep = read('dep');
  const dim = read('dim');
  const rot = read('rot');
  return topPeaks(outputs.hm, K, false).map((peaks, b) =>
    peaks.map((p): FrustumBox => {
      const cx = p.xs + 0.5;
      const cy = p.ys + 0.5;
      const size = wh ? at(wh.v, wh.c, b, hw, p.pix).map((x) => Math.max(0, x)) : [0, 0];
      const depth = dep ? depthFromLogit(at(dep.v, dep.c, b, hw, p.pix)[0]) : 0;
      const d = dim ? at(dim.v, dim.c, b, hw, p.pix) : [0, 0, 0];
      const alpha = rot ? decodeRotation(at(rot.v, rot.c, b, hw, p.pix)) : 0;
      return {
        bbox: [cx - size[0] / 2, cy - size[1] / 2, cx + size[0] / 2, cy + size[1] / 2],
        depth,
        dim: [d[0], d[1], d[2]],
        rotY: alphaToRotY(alpha, cx * downRatio, calibs[b]),
      };
    }),
  );
}

/** pc_hm [batch, H, W, 3] for the secondary heads from the first stage's detections. */
export function pcHmFromFirstStage(
  outputs: Record<string, tf.Tensor4D>,
  samples: readonly PcInferenceInput[],
  downRatio: number,
  K: number,
  opts: PcHmOptions,
): tf.Tensor4D {
  const [B, H, W] = outputs.hm.shape;
  const boxes = firstStageBoxes(outputs, samples.map((s) => s.calib), downRatio, K);
  const data = new Float32Array(B * H * W * 3);
  samples.forEach((s, b) => {
    if (!s.radar) return;
    data.set(buildPcHm(boxes[b], s.radar, H, W, opts), b * H * W * 3);
  });
  return tf.tensor4d(data, [B, H, W, 3]);
}
