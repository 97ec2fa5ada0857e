/**
 * Turning network outputs into 3D detections (CenterNet's decode and ddd post-processing): peaks
 * of the class heatmaps after a 3×3 max-pool suppression, the top K over all classes, then the
 * other heads read at each peak: sub-pixel offset, projected 3D centre, depth (1/sigmoid - 1),
 * dimensions, the observation angle from the rotation bins, velocity and attributes.
 */
import { tf } from './tf';
import { decodeRotation } from './data/targets';
import { attributeGroupOf, NUSCENES_ATTRIBUTES } from './data/synthetic';
import type { Calib } from './data/types';

export interface Detection3D {
  cls: number;
  score: number;
  /** Box centre in the camera frame (x right, y down, z forward), metres. */
  center: [number, number, number];
  /** [height, width, length] */
  dim: [number, number, number];
  rotY: number;
  velocityCam: [number, number, number];
  /** Attribute name, or null when the head is absent (the caller picks a class default). */
  attribute: string | null;
}

interface Maps {
  height: number;
  width: number;
  data: Record<string, { channels: number; values: Float32Array | Int32Array | Uint8Array }>;
}

function readAt(maps: Maps, head: string, b: number, pix: number): number[] | undefined {
  const m = maps.data[head];
  if (!m) return undefined;
  const base = (b * maps.height * maps.width + pix) * m.channels;
  return Array.from(m.values.subarray(base, base + m.channels));
}

/**
 * Detections for each image of a batch. `calibs[b]` is the camera of image b in input pixels;
 * output pixels are scaled by down_ratio.
 */
export function decodeDetections(
  outputs: Record<string, tf.Tensor4D>,
  calibs: readonly Calib[],
  downRatio: number,
  K: number,
): Detection3D[][] {
  const hmLogits = outputs.hm;
  const [B, H, W, C] = hmLogits.shape;
  const k = Math.max(1, Math.min(K, H * W * C));
  const { scores, indices } = tf.tidy(() => {
    const heat = tf.sigmoid(hmLogits);
    const pooled = tf.maxPool(heat, 3, 1, 'same');
    const peaks = tf.mul(heat, tf.cast(tf.equal(heat, pooled), 'float32'));
    const top = tf.topk(peaks.reshape([B, H * W * C]), k, true);
    return { scores: top.values, indices: top.indices };
  });
  const scoreValues = scores.dataSync();
  const indexValues = indices.dataSync();
  tf.dispose([scores, indices]);

  const maps: Maps = { height: H, width: W, data: {} };
  for (const [name, t] of Object.entries(outputs)) {
    if (name === 'hm') continue;
    maps.data[name] = { channels: t.shape[3], values: t.dataSync() };
  }

  const result: Detection3D[][] = [];
  for (let b = 0; b < B; b++) {
    const calib = calibs[b];
    const dets: Detection3D[] = [];
    for (let j = 0; j < k; j++) {
      const flat = indexValues[b * k + j];
      const score = scoreValues[b * k + j];
      const cls = flat % C;
      const pix = Math.floor(flat / C);
      const ys = Math.floor(pix / W);
      const xs = pix % W;
      const amodal = readAt(maps, 'amodel_offset', b, pix);
      const reg = readAt(maps, 'reg', b, pix);
      const off = amodal ?? reg ?? [0, 0];
      const u = (xs + off[0]) * downRatio;
      const v = (ys + off[1]) * downRatio;
      const depRaw = readAt(maps, 'dep', b, pix);
      const depth = depRaw ? 1 / (1 / (1 + Math.exp(-depRaw[0])) + 1e-6) - 1 : 10;
      const dimRaw = readAt(maps, 'dim', b, pix) ?? [1, 1, 1];
      const dim: [number, number, number] = [Math.abs(dimRaw[0]), Math.abs(dimRaw[1]), Math.abs(dimRaw[2])];
      const rot = readAt(maps, 'rot', b, pix);
      const alpha = rot ? decodeRotation(rot) : 0;
      const rotY = alpha + Math.atan2(u - calib.cx, calib.f);
      const vel = readAt(maps, 'velocity', b, pix);
      const att = readAt(maps, 'nuscenes_att', b, pix);
      let attribute: string | null = null;
      const group = attributeGroupOf(cls);
      if (att && group) {
        let best = group[0];
        for (const a of group) if (att[a] > att[best]) best = a;
        attribute = NUSCENES_ATTRIBUTES[best];
      } else if (att) {
        attribute = '';
      }
      dets.push({
        cls,
        score,
        center: [((u - calib.cx) * depth) / calib.f, ((v - calib.cy) * depth) / calib.f, depth],
        dim,
        rotY,
        velocityCam: vel ? [vel[0], vel[1], vel[2]] : [0, 0, 0],
        attribute,
      });
    }
    result.push(dets);
  }
  return result;
}
