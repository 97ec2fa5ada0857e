/**
 * Run-event protocol, version 1: the contract between the trainer, the CenterFusion text-log
 * adapter and the extension host. One JSON object per line. Required fields are never renamed;
 * producers may add fields (see docs/protocol.md).
 */

export const PROTOCOL_VERSION = 1 as const;

/** A metric or loss value; NaN and infinities travel as null. */
export type Num = number | null;

/** Loss name (CenterFusion's names: tot, hm, wh, ...) -> value. */
export type Stats = Record<string, Num>;

export type Mode = 'train' | 'eval';
export type Phase = 'train' | 'val' | 'test';
export type CheckpointKind = 'last' | 'epoch' | 'save_point';
export type RunStatus = 'completed' | 'failed' | 'stopped' | 'killed';
export type LogLevel = 'info' | 'warning';

export interface EventBase {
  v: typeof PROTOCOL_VERSION;
  type: string;
  /** Run id, unique per launch. */
  run: string;
  /** ISO-8601 with milliseconds. */
  t: string;
  /** Producers may add fields. */
  [extra: string]: unknown;
}

export interface RunStartEvent extends EventBase {
  type: 'run_start';
  task: string;
  exp_id: string;
  mode: Mode;
  argv: string[];
  opts: Record<string, unknown>;
  save_dir: string;
  backend: string;
}

export interface OptionsEvent extends EventBase {
  type: 'options';
  opts: Record<string, unknown>;
  argv?: string[];
  commit?: string;
  torch_version?: string;
}

export interface EpochStartEvent extends EventBase {
  type: 'epoch_start';
  epoch: number;
  lr: number;
}

export interface IterEvent extends EventBase {
  type: 'iter';
  phase: Phase;
  epoch: number | null;
  iter: number;
  num_iters: number;
  losses: Stats;
  elapsed_s?: number;
  eta_s?: number;
  data_s?: number;
  net_s?: number;
  timings?: Record<string, [number, number]>;
}

export interface EpochEndEvent extends EventBase {
  type: 'epoch_end';
  epoch: number;
  train: Stats;
  val: Stats | null;
  time_min: number;
  val_time_min?: number;
}

export interface LrChangeEvent extends EventBase {
  type: 'lr_change';
  epoch: number;
  lr: number;
}

export interface CheckpointEvent extends EventBase {
  type: 'checkpoint';
  epoch: number;
  path: string;
  kind: CheckpointKind;
}

export interface ClassMetrics {
  AP: Num;
  ATE: Num;
  ASE: Num;
  AOE: Num;
  AVE: Num;
  AAE: Num;
}

export interface EvalMetrics {
  mAP: Num;
  mATE: Num;
  mASE: Num;
  mAOE: Num;
  mAVE: Num;
  mAAE: Num;
  NDS: Num;
  per_class: Record<string, ClassMetrics>;
}

export interface EvalEvent extends EventBase {
  type: 'eval';
  epoch: number | null;
  metrics: EvalMetrics;
  summary_path?: string;
}

export interface LogEvent extends EventBase {
  type: 'log';
  level: LogLevel;
  message: string;
}

export interface ErrorEvent extends EventBase {
  type: 'error';
  error_type: string | null;
  message: string;
  traceback?: string;
}

export interface RunEndEvent extends EventBase {
  type: 'run_end';
  status: RunStatus;
  exit_code?: number | null;
  signal?: string | null;
}

/** An event of a type this version does not know: kept, ignored by consumers. */
export interface UnknownEvent extends EventBase {
  type: string;
}

export type KnownEvent =
  | RunStartEvent
  | OptionsEvent
  | EpochStartEvent
  | IterEvent
  | EpochEndEvent
  | LrChangeEvent
  | CheckpointEvent
  | EvalEvent
  | LogEvent
  | ErrorEvent
  | RunEndEvent;

export type RunEvent = KnownEvent;

export type EventType = KnownEvent['type'];

export const EVENT_TYPES: readonly EventType[] = [
  'run_start',
  'options',
  'epoch_start',
  'iter',
  'epoch_end',
  'lr_change',
  'checkpoint',
  'eval',
  'log',
  'error',
  'run_end',
];

/**
 * An event without the fields the writer adds (`v`, `run`, `t`), for each member of the union.
 * The key remapping keeps each type's own fields and the extra-field index signature; the
 * built-in Omit would not (on a type with an index signature, `keyof` is just `string`, so Omit
 * would leave only the index signature and accept any body).
 */
export type EventBody<E extends KnownEvent = KnownEvent> = E extends KnownEvent
  ? { [K in keyof E as K extends 'v' | 'run' | 't' ? never : K]: E[K] }
  : never;

/** The ten nuScenes detection classes, in the devkit's order. */
export const NUSCENES_CLASSES = [
  'car',
  'truck',
  'bus',
  'trailer',
  'construction_vehicle',
  'pedestrian',
  'motorcycle',
  'bicycle',
  'traffic_cone',
  'barrier',
] as const;
export type NuScenesClass = (typeof NUSCENES_CLASSES)[number];
