/** What the dataset factory hands to the training loop. */

/** Pinhole camera of a sample (pixels of the network input). */
export interface Calib {
  f: number;
  cx: number;
  cy: number;
}

/** One annotated object in the camera frame (x right, y down, z forward; metres). */
export interface Object3D {
  /** Class index into the dataset's class names. */
  cls: number;
  /** Centre of the 3D box. */
  center: [number, number, number];
  /** [height, width, length], CenterNet's dim order. */
  dim: [number, number, number];
  /** Yaw around the camera's y axis (KITTI's rotation_y). */
  rotY: number;
  /** Velocity in the camera frame, m/s. */
  velocityCam: [number, number, number];
  /** nuScenes attribute name, or '' for none. */
  attribute: string;
  /** Radar/lidar points inside the box (the nuScenes evaluation drops boxes with none). */
  numPts: number;
}

/** A regression target of one head: [max_objs, channels] values and a same-shaped mask. */
export interface RegTarget {
  channels: number;
  target: Float32Array;
  mask: Float32Array;
}

export interface Sample {
  /** Unique per split and index (the nuScenes "sample_token" of the evaluation). */
  token: string;
  /** Normalised image, NHWC [input_h, input_w, 3]. */
  image: Float32Array;
  /** Class heatmaps, NHWC [output_h, output_w, num_classes]. */
  hm: Float32Array;
  /** Flat output index (y * output_w + x) of each object's centre; [max_objs]. */
  ind: Int32Array;
  /** 1 for the slots that hold an object. */
  mask: Float32Array;
  /** Class index per slot. */
  cat: Int32Array;
  /** Regression targets keyed by head name (reg, wh, dep, dim, amodel_offset, ...). */
  reg: Record<string, RegTarget>;
  /** Rotation bins and residuals, [max_objs, 2] each. */
  rotbin: Int32Array;
  rotres: Float32Array;
  /** The objects behind the targets, for the dataset evaluation. */
  objects: Object3D[];
  calib: Calib;
  /** The sample's radar returns; present when the dataset was built with --pointcloud. */
  radar?: RadarPoints;
  /**
   * CenterFusion's pc_hm for training: [output_h, output_w, 3] (pc_dep, pc_vx, pc_vz), filled by
   * frustum association of the radar points to the ground-truth boxes; zero elsewhere. Present
   * with --pointcloud.
   */
  pcHm?: Float32Array;
  /** Ego pose and camera-to-ego transform, to take boxes to the global frame for nuScenes. */
  pose?: SamplePose;
  /**
   * The converted annotations' image id. Real nuScenes has six camera images per sample, so
   * several samples share a token: merge their detections (and ground truth) by token.
   */
  imageId?: number;
}

/**
 * Radar returns of one sample, reduced to what the network and the frustum association use.
 * Point i occupies xyz[3i..3i+2], vel[2i..2i+1] and pillar[4i..4i+3].
 */
export interface RadarPoints {
  count: number;
  /** Position in the camera frame (x right, y down, z forward), metres. */
  xyz: Float32Array;
  /** Compensated velocity in the camera frame [vx, vz], m/s. */
  vel: Float32Array;
  /** The point's pillar (pillar_dims) projected to the output map: [x1, y1, x2, y2] pixels. */
  pillar: Float32Array;
}

/** Rigid transforms of a sample: camera -> ego and ego -> global (rotation as w,x,y,z). */
export interface SamplePose {
  camToEgo: { translation: [number, number, number]; rotation: [number, number, number, number] };
  egoToGlobal: { translation: [number, number, number]; rotation: [number, number, number, number] };
}

/** Sizes every sample of a dataset shares. */
export interface Geometry {
  inputH: number;
  inputW: number;
  outputH: number;
  outputW: number;
  downRatio: number;
  numClasses: number;
  maxObjs: number;
}

export interface Dataset {
  readonly name: string;
  readonly split: string;
  readonly size: number;
  readonly geometry: Geometry;
  readonly classNames: readonly string[];
  /**
   * Deterministic: the same index (and epoch) always gives the same sample. `epoch` (default 0)
   * seeds the training augmentations, so each epoch sees other crops and flips.
   */
  get(index: number, epoch?: number): Sample;
  /**
   * Plain data (structured-cloneable) from which a worker thread rebuilds this dataset
   * (openDatasetSpec in ./open); absent for datasets that only live in memory.
   */
  readonly spec?: { kind: string };
}

/** Raised for a dataset that cannot be used (missing files, unknown name); exit code 1. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}
