/**
 * 2D affine transforms as CenterNet's get_affine_transform builds them (a square crop of side
 * `scale` centred at `center`, rotated by `rotDeg`, mapped onto an output of `outW` × `outH`
 * with the crop centre at the output centre), and the horizontal flip composed in front of them
 * so that image, boxes and radar points go through exactly the same mapping.
 *
 * A transform is [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f.
 */
export type Affine = [number, number, number, number, number, number];

export function identity(): Affine {
  return [1, 0, 0, 0, 1, 0];
}

/** CenterNet's get_affine_transform(center, scale, rot, [outW, outH]) (similarity: scale outW/scale). */
export function cropTransform(center: readonly [number, number], scale: number, rotDeg: number, outW: number, outH: number): Affine {
  const k = outW / scale;
  // The source direction (0, -scale/2) turned by rot maps onto the output's (0, -outW/2): the
  // image content turns by -rot.
  const r = (-rotDeg * Math.PI) / 180;
  const cs = Math.cos(r) * k;
  const sn = Math.sin(r) * k;
  const a = cs;
  const b = -sn;
  const d = sn;
  const e = cs;
  return [a, b, outW / 2 - a * center[0] - b * center[1], d, e, outH / 2 - d * center[0] - e * center[1]];
}

/** The horizontal flip of an image `width` pixels wide, as CenterFusion flips: x -> width - 1 - x. */
export function flipTransform(width: number): Affine {
  return [-1, 0, width - 1, 0, 1, 0];
}

/** `outer` after `inner`: p -> outer(inner(p)). */
export function compose(outer: Affine, inner: Affine): Affine {
  const [a1, b1, c1, d1, e1, f1] = outer;
  const [a2, b2, c2, d2, e2, f2] = inner;
  return [a1 * a2 + b1 * d2, a1 * b2 + b1 * e2, a1 * c2 + b1 * f2 + c1, d1 * a2 + e1 * d2, d1 * b2 + e1 * e2, d1 * c2 + e1 * f2 + f1];
}

export function invert(t: Affine): Affine {
  const [a, b, c, d, e, f] = t;
  const det = a * e - b * d;
  if (det === 0) throw new RangeError('singular affine transform');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

export function apply(t: Affine, x: number, y: number): [number, number] {
  return [t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5]];
}

/** The uniform scale factor of a similarity transform. */
export function scaleOf(t: Affine): number {
  return Math.sqrt(Math.abs(t[0] * t[4] - t[1] * t[3]));
}

/**
 * Axis-aligned box [x1, y1, x2, y2] of the four transformed corners of a box (how CenterNet
 * maps a bbox through the output transform).
 */
export function transformBox(t: Affine, box: readonly number[]): [number, number, number, number] {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const [x, y] of [
    [box[0], box[1]],
    [box[0], box[3]],
    [box[2], box[3]],
    [box[2], box[1]],
  ]) {
    const [u, v] = apply(t, x, y);
    x1 = Math.min(x1, u);
    y1 = Math.min(y1, v);
    x2 = Math.max(x2, u);
    y2 = Math.max(y2, v);
  }
  return [x1, y1, x2, y2];
}

/**
 * cv2.warpAffine with bilinear interpolation and a black border: each output pixel samples the
 * source at the inverse-mapped position. `src` is interleaved uint8 [h, w, 3]; the result is
 * float [outH, outW, 3] in 0..255.
 */
export function warpBilinear(src: Uint8Array, w: number, h: number, t: Affine, outW: number, outH: number): Float32Array {
  const inv = invert(t);
  const out = new Float32Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const sx = inv[0] * x + inv[1] * y + inv[2];
      const sy = inv[3] * x + inv[4] * y + inv[5];
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      // The four neighbours' weights; a neighbour outside the image is black (weight dropped).
      const inX0 = x0 >= 0;
      const inX1 = x0 + 1 < w;
      const inY0 = y0 >= 0;
      const inY1 = y0 + 1 < h;
      const w00 = inX0 && inY0 ? (1 - fx) * (1 - fy) : 0;
      const w10 = inX1 && inY0 ? fx * (1 - fy) : 0;
      const w01 = inX0 && inY1 ? (1 - fx) * fy : 0;
      const w11 = inX1 && inY1 ? fx * fy : 0;
      const i00 = (y0 * w + x0) * 3;
      const i10 = i00 + 3;
      const i01 = i00 + w * 3;
      const i11 = i01 + 3;
      const at = (y * outW + x) * 3;
      for (let c = 0; c < 3; c++) {
        let v = 0;
        if (w00 !== 0) v += src[i00 + c] * w00;
        if (w10 !== 0) v += src[i10 + c] * w10;
        if (w01 !== 0) v += src[i01 + c] * w01;
        if (w11 !== 0) v += src[i11 + c] * w11;
        out[at + c] = v;
      }
    }
  }
  return out;
}
