/**
 * The loader of converted nuScenes annotations (real nuScenes and the synthetic world alike):
 * image decoding, CenterFusion's augmentations in training, CenterNet's targets
 * (generic_dataset.py's _add_instance), the radar points and, with --pointcloud, the pc_hm of the
 * ground-truth boxes by frustum association. Sample i of epoch e depends only on
 * (seed, split, i, e): worker threads rebuild the same dataset from its spec and give the same
 * samples.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deriveSeed, Rng } from '../prng';
import { buildPcHm, type FrustumBox } from '../radar/frustum';
import { processRadar } from '../radar/pointcloud';
import { apply, compose, cropTransform, flipTransform, scaleOf, transformBox, warpBilinear, type Affine } from './affine';
import { baseCrop, colorAugment, drawAugParams, normalizeImage, type AugmentOptions, type AugParams } from './augment';
import { ID_TO_ATTRIBUTE, readConverted, type AnnotationRecord, type ConvertedSplit, type ImageRecord } from './converted';
import { decodePng, PngError } from './png';
import { drawGaussian, emptyRegTargets, encodeRotation, gaussianRadius, REG_CHANNELS, setRegTarget, wrapAngle } from './targets';
import { DatasetError, type Dataset, type Geometry, type Object3D, type Sample, type SamplePose } from './types';

/** Everything besides the files that decides what a sample holds. */
export interface LoadOptions extends AugmentOptions {
  /** Apply the training augmentations (CenterFusion: 'train' in the split name). */
  augment: boolean;
  seed: number;
  pointcloud: boolean;
  maxPcDist: number;
  pcZOffset: number;
  maxPc: number;
  pillarDims: number[];
  hmToBoxRatio: number;
  frustumExpansionRatio: number;
  normalizeDepth: boolean;
}

/** A plain description from which a worker thread rebuilds the same dataset. */
export interface ConvertedSpec {
  kind: 'converted';
  name: string;
  split: string;
  annotationPath: string;
  /** Folder the images' file_name values are relative to. */
  imageDir: string;
  geometry: Geometry;
  classNames: string[];
  load: LoadOptions;
}

export { REG_CHANNELS } from './targets';

/** CenterFusion's nuscenes_att_range: the attribute channels competing with each attribute. */
const ATT_RANGE: ReadonlyArray<readonly number[]> = [[0, 1], [0, 1], [2, 3, 4], [2, 3, 4], [2, 3, 4], [5, 6, 7], [5, 6, 7], [5, 6, 7]];

const SPLIT_SALT = 0x6c6f6164; // 'load'

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class ConvertedDataset implements Dataset {
  readonly name: string;
  readonly split: string;
  readonly size: number;
  readonly geometry: Geometry;
  readonly classNames: readonly string[];
  readonly spec: ConvertedSpec;
  private readonly data: ConvertedSplit;

  constructor(spec: ConvertedSpec, data?: ConvertedSplit) {
    this.spec = spec;
    this.name = spec.name;
    this.split = spec.split;
    this.geometry = spec.geometry;
    this.classNames = spec.classNames;
    this.data = data ?? readConverted(spec.annotationPath);
    this.size = this.data.images.length;
    if (this.size === 0) throw new DatasetError(`${spec.annotationPath} has no images`);
  }

  /** The checked annotation file behind this dataset. */
  get records(): ConvertedSplit {
    return this.data;
  }

  /** The decoded RGB image of sample `index` (full size). */
  loadImage(index: number): { width: number; height: number; data: Uint8Array } {
    const info = this.data.images[index];
    let file = path.join(this.spec.imageDir, info.fileName);
    if (/\.jpe?g$/i.test(file)) {
      const png = file.replace(/\.jpe?g$/i, '.png');
      if (!fs.existsSync(png)) {
        throw new DatasetError(
          `${file}: JPEG images cannot be read by the built-in trainer (it has no JPEG decoder); ` +
            `convert the images to PNG with the same name and the .png extension (e.g. ${png}).`,
        );
      }
      file = png;
    }
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DatasetError(code === 'ENOENT' ? `image not found: ${file} (named by ${this.spec.annotationPath})` : `cannot read ${file}: ${(e as Error).message}`);
    }
    try {
      return decodePng(bytes);
    } catch (e) {
      if (e instanceof PngError) throw new DatasetError(`${file}: ${e.message}`);
      throw e;
    }
  }

  /** The augmentation of sample `index` in `epoch` (none outside training). */
  augmentation(index: number, epoch: number): AugParams {
    const info = this.data.images[index];
    const l = this.spec.load;
    if (!l.augment) return baseCrop(info.width, info.height, l.notMaxCrop);
    const rng = new Rng(deriveSeed(l.seed, SPLIT_SALT, stringHash(this.split), index, epoch));
    return drawAugParams(rng, info.width, info.height, l);
  }

  get(index: number, epoch = 0): Sample {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`sample ${index} is outside the ${this.split} split (0..${this.size - 1})`);
    }
    const info = this.data.images[index];
    const g = this.geometry;
    const l = this.spec.load;
    const aug = this.augmentation(index, epoch);
    const img = this.loadImage(index);
    if (img.width !== info.width || img.height !== info.height) {
      throw new DatasetError(`${info.fileName} is ${img.width}x${img.height} but the annotations say ${info.width}x${info.height}`);
    }
    const flip: Affine = aug.flipped ? flipTransform(info.width) : [1, 0, 0, 0, 1, 0];
    const transIn = compose(cropTransform(aug.center, aug.scale, aug.rotDeg, g.inputW, g.inputH), flip);
    const transOut = compose(cropTransform(aug.center, aug.scale, aug.rotDeg, g.outputW, g.outputH), flip);

    const image = warpBilinear(img.data, img.width, img.height, transIn, g.inputW, g.inputH);
    if (l.augment && !l.noColorAug) {
      for (let i = 0; i < image.length; i++) image[i] /= 255;
      colorAugment(new Rng(deriveSeed(l.seed, SPLIT_SALT + 1, stringHash(this.split), index, epoch)), image);
      normalizeImage(image, true);
    } else {
      normalizeImage(image);
    }

    // The camera of the network input: the principal point through the transform, the focal
    // length scaled (exact for crop, scale and flip; rotation is ignored here).
    const [cx, cy] = apply(transIn, info.intrinsic.cx, info.intrinsic.cy);
    const calib = { f: info.intrinsic.fx * scaleOf(transIn), cx, cy };

    const radar = l.pointcloud && info.radar
      ? processRadar(info.radar.rows, info.radar.count, info.calib, info.width, info.height, transOut, aug.flipped, g.outputW, g.outputH, l)
      : l.pointcloud
        ? { count: 0, xyz: new Float32Array(0), vel: new Float32Array(0), pillar: new Float32Array(0) }
        : undefined;

    const sample = this.buildTargets(info, this.data.annotations[index], transOut, aug, calib);
    sample.image = image;
    if (radar) {
      sample.radar = radar;
      sample.pcHm = buildPcHm(sample.boxes, radar, g.outputH, g.outputW, {
        hmToBoxRatio: l.hmToBoxRatio,
        frustumExpansionRatio: l.frustumExpansionRatio,
        maxPcDist: l.maxPcDist,
        normalizeDepth: l.normalizeDepth,
      });
    }
    const { boxes: _boxes, ...rest } = sample;
    void _boxes;
    return rest;
  }

  private buildTargets(
    info: ImageRecord,
    anns: AnnotationRecord[],
    transOut: Affine,
    aug: AugParams,
    calib: Sample['calib'],
  ): Sample & { boxes: FrustumBox[] } {
    const g = this.geometry;
    const M = g.maxObjs;
    const C = g.numClasses;
    const hm = new Float32Array(g.outputH * g.outputW * C);
    const ind = new Int32Array(M);
    const mask = new Float32Array(M);
    const cat = new Int32Array(M);
    const rotbin = new Int32Array(M * 2);
    const rotres = new Float32Array(M * 2);
    const reg = emptyRegTargets(M, REG_CHANNELS);
    const set = (name: string, k: number, values: readonly number[], maskValues?: readonly number[]): void =>
      setRegTarget(reg, name, k, values, maskValues);
    const objects: Object3D[] = [];
    const boxes: FrustumBox[] = [];
    const n = Math.min(anns.length, M);
    for (let k = 0; k < n; k++) {
      const ann = anns[k];
      const cls = ann.cls - 1;
      if (cls < 0 || cls >= C || ann.iscrowd) continue;
      // 3D: mirrored with the image when flipped (x, velocity x, yaw and alpha).
      const [lx, ly, lz] = ann.location;
      const centre: [number, number, number] = [aug.flipped ? -lx : lx, ly - ann.dim[0] / 2, lz];
      const rotY = aug.flipped ? wrapAngle(Math.PI - ann.rotY) : ann.rotY;
      const alpha = aug.flipped ? (ann.alpha > 0 ? Math.PI - ann.alpha : -Math.PI - ann.alpha) : ann.alpha;
      const vel = ann.velocityCam ? ([aug.flipped ? -ann.velocityCam[0] : ann.velocityCam[0], ann.velocityCam[1], ann.velocityCam[2]] as [number, number, number]) : null;
      objects.push({
        cls,
        center: centre,
        dim: [ann.dim[0], ann.dim[1], ann.dim[2]],
        rotY,
        velocityCam: vel ?? [0, 0, 0],
        attribute: ID_TO_ATTRIBUTE[ann.attribute] ?? '',
        numPts: ann.numPts,
      });

      // 2D: the bbox through the output transform (which holds the flip: x -> W - 1 - x, as
      // CenterFusion's _flip_anns moves boxes), then clipped to the map.
      const amodal = transformBox(transOut, ann.bbox);
      const bx1 = Math.min(Math.max(amodal[0], 0), g.outputW - 1);
      const bx2 = Math.min(Math.max(amodal[2], 0), g.outputW - 1);
      const by1 = Math.min(Math.max(amodal[1], 0), g.outputH - 1);
      const by2 = Math.min(Math.max(amodal[3], 0), g.outputH - 1);
      const h = by2 - by1;
      const w = bx2 - bx1;
      if (!(h > 0 && w > 0)) continue;
      const radius = Math.max(0, Math.floor(gaussianRadius(Math.ceil(h), Math.ceil(w))));
      const ctx = (bx1 + bx2) / 2;
      const cty = (by1 + by2) / 2;
      const ix = Math.floor(ctx);
      const iy = Math.floor(cty);
      cat[k] = cls;
      mask[k] = 1;
      ind[k] = iy * g.outputW + ix;
      drawGaussian(hm, g.outputH, g.outputW, C, cls, ix, iy, radius);
      set('wh', k, [w, h]);
      set('reg', k, [ctx - ix, cty - iy]);
      set('ltrb', k, [bx1 - ix, by1 - iy, bx2 - ix, by2 - iy]);
      set('ltrb_amodal', k, [amodal[0] - ix, amodal[1] - iy, amodal[2] - ix, amodal[3] - iy]);
      if (ann.attribute > 0 && ann.attribute <= 8) {
        const att = ann.attribute - 1;
        const target = new Array<number>(8).fill(0);
        const attMask = new Array<number>(8).fill(0);
        target[att] = 1;
        for (const a of ATT_RANGE[att]) attMask[a] = 1;
        set('nuscenes_att', k, target, attMask);
      }
      if (vel) set('velocity', k, vel);
      const { bin, res } = encodeRotation(alpha);
      rotbin[2 * k] = bin[0];
      rotbin[2 * k + 1] = bin[1];
      rotres[2 * k] = res[0];
      rotres[2 * k + 1] = res[1];
      set('dep', k, [ann.depth * aug.augScale]);
      set('dim', k, ann.dim);
      const [ax, ay] = apply(transOut, ann.amodelCenter[0], ann.amodelCenter[1]);
      set('amodel_offset', k, [ax - ix, ay - iy]);
      boxes.push({ bbox: [bx1, by1, bx2, by2], depth: ann.depth, dim: [ann.dim[0], ann.dim[1], ann.dim[2]], rotY });
    }
    const pose: SamplePose = {
      camToEgo: { translation: [...info.csTrans], rotation: [...info.csRot] },
      egoToGlobal: { translation: [...info.poseTrans], rotation: [...info.poseRot] },
    };
    return {
      token: info.sampleToken,
      imageId: info.id,
      image: new Float32Array(0),
      hm,
      ind,
      mask,
      cat,
      reg,
      rotbin,
      rotres,
      objects,
      calib,
      pose,
      boxes,
    };
  }
}
