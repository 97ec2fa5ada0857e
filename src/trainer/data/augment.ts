/**
 * CenterFusion's training augmentations (generic_dataset.py): the random crop (scale 0.6–1.3 and
 * a random centre) or, with --not_rand_crop, the --shift/--scale jitter; optional rotation
 * (--aug_rot/--rotate); the horizontal flip (--flip); and CenterNet's colour augmentation
 * (brightness, contrast, saturation in random order, then PCA lighting) unless --no_color_aug.
 * Every draw comes from the Rng it is given, so a sample's augmentation depends only on
 * (seed, split, index, epoch).
 */
import type { Rng } from '../prng';

export interface AugmentOptions {
  flip: number;
  shift: number;
  scale: number;
  notRandCrop: boolean;
  notMaxCrop: boolean;
  augRot: number;
  rotate: number;
  noColorAug: boolean;
}

export interface AugParams {
  center: [number, number];
  /** Side of the square crop, image pixels (already multiplied by augScale). */
  scale: number;
  /** CenterFusion's aug_s: the depth target is multiplied by it. */
  augScale: number;
  rotDeg: number;
  flipped: boolean;
}

/** CenterNet's _get_border: the largest border//i that leaves room in `size`. */
export function cropBorder(border: number, size: number): number {
  let i = 1;
  while (size - Math.floor(border / i) <= Math.floor(border / i)) i *= 2;
  return Math.floor(border / i);
}

const clip = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/** The crop of an image without augmentation (validation): centred, side max(w, h) (or w with --not_max_crop). */
export function baseCrop(width: number, height: number, notMaxCrop: boolean): AugParams {
  return { center: [width / 2, height / 2], scale: notMaxCrop ? width : Math.max(width, height), augScale: 1, rotDeg: 0, flipped: false };
}

/** Draws one sample's augmentation as CenterFusion's _get_aug_param and flip do. */
export function drawAugParams(rng: Rng, width: number, height: number, o: AugmentOptions): AugParams {
  const base = baseCrop(width, height, o.notMaxCrop);
  const c: [number, number] = [base.center[0], base.center[1]];
  let augS: number;
  if (!o.notRandCrop) {
    augS = 0.6 + 0.1 * rng.int(0, 7);
    const wb = cropBorder(128, width);
    const hb = cropBorder(128, height);
    c[0] = width - 2 * wb > 0 ? rng.int(wb, width - wb - 1) : width / 2;
    c[1] = height - 2 * hb > 0 ? rng.int(hb, height - hb - 1) : height / 2;
  } else {
    const s = base.scale;
    c[0] += s * clip(rng.normal() * o.shift, -2 * o.shift, 2 * o.shift);
    c[1] += s * clip(rng.normal() * o.shift, -2 * o.shift, 2 * o.shift);
    augS = clip(rng.normal() * o.scale + 1, 1 - o.scale, 1 + o.scale);
  }
  let rot = 0;
  if (rng.next() < o.augRot) rot = clip(rng.normal() * o.rotate, -2 * o.rotate, 2 * o.rotate);
  const flipped = rng.next() < o.flip;
  return { center: c, scale: base.scale * augS, augScale: augS, rotDeg: rot, flipped };
}

/** CenterNet's PCA lighting basis (ImageNet), in BGR order as it applies them to cv2 images. */
const EIG_VAL = [0.2141788, 0.01817699, 0.00341571];
const EIG_VEC = [
  [-0.58752847, -0.69563484, 0.41340352],
  [-0.5832747, 0.00994535, -0.81221408],
  [-0.56089297, 0.71832671, 0.41158938],
];

/**
 * CenterNet's color_aug on an RGB float image in 0..1 (in place): brightness, contrast and
 * saturation (each alpha = 1 ± 0.4) in a random order, then lighting noise (sigma 0.1).
 */
export function colorAugment(rng: Rng, img: Float32Array): void {
  const n = img.length / 3;
  const gray = new Float32Array(n);
  for (let p = 0; p < n; p++) gray[p] = 0.299 * img[3 * p] + 0.587 * img[3 * p + 1] + 0.114 * img[3 * p + 2];
  const ops = rng.shuffle([0, 1, 2]);
  for (const op of ops) {
    const alpha = 1 + rng.uniform(-0.4, 0.4);
    if (op === 0) {
      for (let i = 0; i < img.length; i++) img[i] *= alpha;
    } else if (op === 1) {
      let mean = 0;
      for (let p = 0; p < n; p++) mean += gray[p];
      mean /= Math.max(n, 1);
      for (let i = 0; i < img.length; i++) img[i] = img[i] * alpha + mean * (1 - alpha);
    } else {
      for (let p = 0; p < n; p++) for (let ch = 0; ch < 3; ch++) img[3 * p + ch] = img[3 * p + ch] * alpha + gray[p] * (1 - alpha);
    }
  }
  const a = [rng.normal() * 0.1, rng.normal() * 0.1, rng.normal() * 0.1];
  // The basis is BGR: channel b of the shift goes to RGB channel 2 - b.
  const shiftBgr = EIG_VEC.map((row) => row[0] * EIG_VAL[0] * a[0] + row[1] * EIG_VAL[1] * a[1] + row[2] * EIG_VAL[2] * a[2]);
  const shift = [shiftBgr[2], shiftBgr[1], shiftBgr[0]];
  for (let p = 0; p < n; p++) for (let ch = 0; ch < 3; ch++) img[3 * p + ch] += shift[ch];
}

/** CenterFusion's image mean and std (given for BGR), here in RGB order. */
export const IMAGE_MEAN_RGB = [0.47026115, 0.44719302, 0.40789654];
export const IMAGE_STD_RGB = [0.27809835, 0.27408164, 0.28863828];

/** (x / 255 - mean) / std per RGB channel, in place on a 0..255 image; returns it. */
export function normalizeImage(img: Float32Array, alreadyUnit = false): Float32Array {
  const k = alreadyUnit ? 1 : 1 / 255;
  for (let i = 0; i < img.length; i++) {
    const ch = i % 3;
    img[i] = (img[i] * k - IMAGE_MEAN_RGB[ch]) / IMAGE_STD_RGB[ch];
  }
  return img;
}
