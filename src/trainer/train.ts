/**
 * `centerfusion train <task> [options]`: the control flow of CenterFusion's src/main.py on
 * TensorFlow.js. In order: options (CenterFusion's parser and derived values), seed, dataset
 * factory, logger (opt.txt, log.txt), model, optimizer, load_model/resume, validation loader,
 * --eval, then epochs start_epoch+1..num_epochs with train, save, validate, save points and
 * learning-rate drops. Everything that happens is also a run event (stdout and events.jsonl);
 * human-readable markers go to stderr. docs/trainer.md lists the differences from CenterFusion.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventWriter, newRunId, type EventBody } from '../shared/protocol';
import type { CheckpointKind, RunStatus } from '../shared/protocol';
import {
  OPTION_GROUPS,
  OPTION_SPECS,
  OptionError,
  checkOptions,
  folderNameProblem,
  parseArgv,
  resolveOptions,
  type OptionProblem,
  type RawOptions,
  type ResolvedOptions,
} from '../shared/options';
import { pyFloatRepr } from '../shared/eval';
import type { CommandIO, StopSignal } from './commands/types';
import { BACKEND, initTf, tf, tfVersion } from './tf';
import { deriveSeed, Rng } from './prng';
import { createDataset, datasetInfo, DatasetError, type Dataset } from './data';
import { SYNTHETIC_TRAIN_SIZE } from './data/synthetic';
import { archProblem, createNetwork, downRatioProblem, stridedLayers, type Network, type NetworkSpec } from './model';
import { SUPPORTED_HEADS } from './losses';
import { createOptimizer, OptimizerError, type Optimizer } from './optimizer';
import { CHECKPOINT_EXT, CheckpointError, readCheckpoint, writeCheckpoint } from './checkpoint';
import { formatStats, TextLogger } from './logger';
import { EventFileWriter } from './tfevents';
import type { MetricsSummary } from '../shared/eval';
import { formatOptTxt, givenDests, pyRepr } from './pyrepr';
import { acquireExpLock, ExpLockError, RunFiles, type ExpLock, type RunRecord } from './run-files';
import { StopRequested, Trainer, type EpochResult, type IterReport } from './trainer';
import { progressBar, progressSuffix } from './progress';
import { runDatasetEval, type EvalSample } from './evaluate';
import { PRODUCT, STUDIO_VERSION } from './version';
import { planReplicas, type ReplicaPlan } from './parallel/replicas';

export const TRAIN_USAGE = 'usage: centerfusion train <task> [--root-dir DIR] [--run-id ID] [CenterFusion options]';

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** Iteration events are emitted at most this often (the last iteration of a phase always). */
const ITER_EVENT_INTERVAL_MS = 100;

function trainHelp(): string {
  const lines = [
    TRAIN_USAGE,
    '',
    "Trains CenterFusion's model with the built-in TensorFlow.js trainer (a port of CenterFusion's",
    'src/main.py). Run events go to stdout as JSON lines and to',
    '<root>/exp/<task>/<exp_id>/runs/<run id>/events.jsonl; progress and messages go to stderr.',
    '',
    'Studio options (anywhere on the line):',
    "  --root-dir DIR   CenterFusion's root: exp/ and data/ live under it (default: the current directory)",
    '  --run-id ID      id of this launch (default: a new time-based id)',
    '',
    'Examples:',
    '  centerfusion train ddd --dataset synthetic --exp_id demo --num_epochs 3 --val_intervals 1',
    '  centerfusion train ddd --dataset synthetic --exp_id demo --num_epochs 4 --resume',
    '',
    'Exit codes: 0 completed, 1 failed, 2 bad options, 130/143 stopped by SIGINT/SIGTERM.',
    '',
    "CenterFusion options (its names and defaults; see docs/options.md):",
  ];
  for (const group of OPTION_GROUPS) {
    const specs = OPTION_SPECS.filter((s) => s.group === group && !s.positional);
    if (specs.length === 0) continue;
    lines.push(`  [${group}]`);
    for (const s of specs) {
      const value = s.type === 'flag' ? '' : ` ${s.type.toUpperCase()}`;
      const def = s.type === 'flag' ? '' : ` (default: ${s.default === '' ? "''" : String(s.default)})`;
      lines.push(`    ${s.flag}${value}${def}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface StudioArgs {
  help: boolean;
  rootDir: string;
  runId: string;
  /** The CenterFusion part of the command line. */
  rest: string[];
}

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Takes --root-dir/--run-id (hyphenated: CenterFusion's names use underscores) out of argv. */
export function splitStudioArgs(argv: readonly string[], cwd: string): StudioArgs {
  let rootDir: string | undefined;
  let runId: string | undefined;
  let help = false;
  const rest: string[] = [];
  let passThrough = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (passThrough) {
      rest.push(token);
      continue;
    }
    if (token === '--') {
      passThrough = true;
      rest.push(token);
      continue;
    }
    if (token === '-h' || token === '--help') {
      help = true;
      continue;
    }
    const m = /^--(root-dir|run-id)(?:=(.*))?$/s.exec(token);
    if (!m) {
      rest.push(token);
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${m[1]}: expected a value`);
      i++;
    }
    if (m[1] === 'root-dir') {
      if (value === '') throw new UsageError('--root-dir: expected a directory, got an empty string');
      rootDir = value;
    } else {
      const problem = folderNameProblem(value) ?? (/^[A-Za-z0-9._-]+$/.test(value) ? undefined : `may only contain letters, digits, '.', '_' and '-', got ${JSON.stringify(value)}`);
      if (problem) throw new UsageError(`--run-id: ${problem}`);
      runId = value;
    }
  }
  return { help, rootDir: path.resolve(cwd, rootDir ?? '.'), runId: runId ?? newRunId(), rest };
}

function formatProblems(problems: readonly OptionProblem[]): string {
  return problems.map((p) => `  ${p.option}: ${p.message}`).join('\n');
}

/** Problems of checkOptions that the built-in trainer handles itself instead of refusing. */
function handledLater(p: OptionProblem): boolean {
  // optim: reported as an error event after the run starts, as CenterFusion fails in get_optimizer.
  // val_intervals == num_epochs: the built-in trainer validates instead of crashing (a deviation).
  return p.option === 'optim' || (p.option === 'val_intervals' && /equal to num_epochs/.test(p.message));
}

/** What only the built-in trainer cannot do, checked before a run starts. */
function builtinProblems(opts: ResolvedOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  for (const head of Object.keys(opts.heads)) {
    if (!SUPPORTED_HEADS.has(head)) {
      problems.push({ option: 'task', severity: 'error', message: `the ${head} head (task ${opts.task}) is not supported by the built-in trainer yet; supported: ${[...SUPPORTED_HEADS].join(', ')}` });
    }
  }
  const arch = archProblem(String(opts.arch));
  if (arch) problems.push({ option: 'arch', severity: 'error', message: arch });
  if (!Object.prototype.hasOwnProperty.call(opts.heads, 'hm')) {
    problems.push({ option: 'hm_weight', severity: 'error', message: 'the built-in trainer needs the hm head (hm_weight must not be 0)' });
  }
  const down = opts.down_ratio as number;
  try {
    stridedLayers(down);
    const archDown = downRatioProblem(String(opts.arch), down);
    if (archDown) problems.push({ option: 'down_ratio', severity: 'error', message: archDown });
    for (const [dest, size] of [['input_h', opts.input_h], ['input_w', opts.input_w]] as const) {
      if (size % down !== 0) problems.push({ option: dest, severity: 'error', message: `${size} must be a multiple of down_ratio ${down} for the built-in network` });
    }
  } catch (err) {
    problems.push({ option: 'down_ratio', severity: 'error', message: (err as Error).message });
  }
  if (opts.batch_size < 1) problems.push({ option: 'batch_size', severity: 'error', message: `must be at least 1, got ${opts.batch_size}` });
  return problems;
}

/** Training iterations per epoch as known before the data is built (null when unknown). */
function plannedIters(opts: ResolvedOptions): number | null {
  const numIters = opts.num_iters as number;
  if (numIters > 0) return numIters;
  if (opts.dataset === 'synthetic') return Math.floor(Math.max(SYNTHETIC_TRAIN_SIZE, opts.batch_size) / Math.max(1, opts.batch_size));
  return null;
}

function peekCheckpointEpoch(file: string): number | undefined {
  try {
    return readCheckpoint(file).header.epoch;
  } catch {
    return undefined;
  }
}

function statsWithoutTime(stats: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) if (k !== 'time') out[k] = v;
  return out;
}

/** The Python-style float text CenterFusion prints (`Drop LR to 1.25e-05`). */
function pyFloat(x: number): string {
  return pyFloatRepr(x);
}

interface RunContext {
  io: CommandIO;
  opts: ResolvedOptions;
  cfArgv: string[];
  fullArgv: string[];
  files: RunFiles;
  record: RunRecord;
  emit: (body: EventBody) => void;
  stopSignal: () => StopSignal | null;
  say: (text: string) => void;
  /** Data-parallel replicas of the training step (parallel/replicas.ts). */
  replicas: ReplicaPlan;
}

/** Loads weights like CenterFusion's load_model; returns the start epoch (0 unless --resume). */
function loadModel(ctx: RunContext, model: Network, optimizer: Optimizer): number {
  const { opts } = ctx;
  const file = opts.load_model;
  const ckpt = readCheckpoint(file);
  ctx.say(`loaded ${file}, epoch ${ckpt.header.epoch}\n`);
  const notes: string[] = [];
  for (const def of model.defs) {
    const values = ckpt.weights.get(def.name);
    const entry = ckpt.header.weights.find((w) => w.name === def.name);
    if (values === undefined || entry === undefined) {
      notes.push(`No param ${def.name}.`);
      continue;
    }
    if (entry.shape.length !== def.shape.length || entry.shape.some((d, i) => d !== def.shape[i])) {
      notes.push(`Skip loading parameter ${def.name}, required shape${pyRepr(def.shape)}, loaded shape${pyRepr(entry.shape)}.`);
      continue;
    }
    const variable = model.state.get(def.name);
    if (variable) tf.tidy(() => variable.assign(tf.tensor(values, def.shape, 'float32')));
  }
  for (const name of ckpt.weights.keys()) {
    if (!model.state.has(name)) notes.push(`Drop parameter ${name}.`);
  }
  for (const n of notes) ctx.say(`${n}\n`);
  if (notes.length > 0) {
    ctx.emit({ type: 'log', level: 'warning', message: `${file}: ${notes.length} parameter(s) not loaded: ${notes.slice(0, 5).join(' ')}${notes.length > 5 ? ' ...' : ''}` });
  }
  let startEpoch = 0;
  if (opts.resume) {
    // CenterFusion only sets the epoch and the learning rate; going beyond it, the optimizer's
    // state (Adam's moments and step count, SGD's momentum) is restored when the file has it.
    startEpoch = ckpt.header.epoch;
    let lr = opts.lr as number;
    for (const step of opts.lr_step) if (startEpoch >= step) lr *= 0.1;
    optimizer.lr = lr;
    ctx.say(`Resumed optimizer with start lr ${pyFloat(lr)}\n`);
    const stored = ckpt.optimizerState;
    if (stored === undefined) {
      const why = `${file} holds no optimizer state (checkpoint version ${ckpt.header.version}); the optimizer starts from zero state`;
      ctx.say(`${why}\n`);
      ctx.emit({ type: 'log', level: 'warning', message: why });
    } else if (stored.name !== optimizer.name) {
      const why = `${file} holds ${stored.name} state but this run uses ${optimizer.name}; the optimizer starts from zero state`;
      ctx.say(`${why}\n`);
      ctx.emit({ type: 'log', level: 'warning', message: why });
    } else {
      const slots = [...stored.slots].map(([name, v]) => ({ name, shape: v.shape, values: v.values }));
      const skipped = optimizer.setState({ step: stored.step, slots }, model.params);
      for (const n of skipped) ctx.say(`${n}\n`);
      ctx.say(`Restored ${optimizer.name} state (step ${stored.step}, ${slots.length - skipped.length} tensors)\n`);
      if (skipped.length > 0) ctx.emit({ type: 'log', level: 'warning', message: `${file}: ${skipped.length} optimizer state tensor(s) not restored` });
    }
  }
  ctx.emit({ type: 'log', level: 'info', message: `loaded ${file}, epoch ${ckpt.header.epoch}${opts.resume ? `; resuming at epoch ${startEpoch + 1} with lr ${pyFloat(optimizer.lr)}` : ''}` });
  return startEpoch;
}

/** The training program once the run exists (CenterFusion's main(opt)). */
async function trainMain(ctx: RunContext): Promise<void> {
  const { opts, io } = ctx;
  await initTf();
  const seed = opts.seed as number;
  ctx.say(`input h w: ${opts.input_h} ${opts.input_w}\n`);
  ctx.say(`heads ${pyRepr(opts.heads)}\n`);
  ctx.say(`weights ${pyRepr(opts.weights)}\n`);
  ctx.say(`head conv ${pyRepr(opts.head_conv)}\n`);

  const optTxt = formatOptTxt({
    commit: PRODUCT,
    tfjsVersion: tfVersion(),
    backend: BACKEND,
    cmd: ['centerfusion', 'train', ...ctx.fullArgv],
    opts,
    given: givenDests(ctx.cfArgv),
  });
  const logger = new TextLogger(opts.save_dir, optTxt);

  ctx.say('Creating model...\n');
  const spec: NetworkSpec = {
    arch: opts.arch as string,
    heads: opts.heads,
    headConv: opts.head_conv,
    downRatio: opts.down_ratio as number,
    priorBias: opts.prior_bias as number,
    secondaryHeads: opts.pointcloud ? opts.secondary_heads : [],
    headKernel: opts.head_kernel as number,
  };
  const model = createNetwork(spec, new Rng(deriveSeed(seed, 3)));
  const paramCount = model.variables().reduce((n, v) => n + v.size, 0);
  ctx.emit({
    type: 'log',
    level: 'info',
    message: `model ${model.name} (arch ${String(opts.arch)}): ${paramCount} trainable parameters` +
      (opts.arch === 'dla_34' ? '; plain convolutions where CenterFusion uses deformable ones' : ''),
  });
  const gpus = opts.gpus;
  if (gpus[0] >= 0) {
    ctx.emit({ type: 'log', level: 'info', message: `gpus ${opts.gpus_str} requested; the built-in trainer runs on the tfjs ${BACKEND} backend` });
  }
  if (!opts.eval) {
    ctx.say(`replicas: ${ctx.replicas.reason}\n`);
    ctx.emit({ type: 'log', level: 'info', message: `replicas ${ctx.replicas.count}, chunk sizes ${JSON.stringify(ctx.replicas.chunks)}: ${ctx.replicas.reason}` });
  }

  let optimizer: Optimizer;
  try {
    optimizer = createOptimizer(opts.optim as string, opts.lr as number);
  } catch (err) {
    model.dispose();
    throw err;
  }
  if (optimizer.name === 'sgd') ctx.say('Using SGD\n');
  // CenterFusion's Logger opens a tensorboardX SummaryWriter in the log folder.
  const tb = new EventFileWriter(logger.logDir);
  let trainerRef: Trainer | undefined;

  try {
    let startEpoch = 0;
    if (opts.load_model !== '') startEpoch = loadModel(ctx, model, optimizer);

    const trainer = new Trainer(model, optimizer, {
      heads: opts.heads,
      weights: opts.weights,
      batchSize: opts.batch_size,
      shuffle: Boolean(opts.shuffle_train),
      numIters: opts.num_iters as number,
      numWorkers: opts.num_workers as number,
      seed,
      downRatio: opts.down_ratio as number,
      K: opts.K as number,
      sigmoidDepSec: Boolean(opts.sigmoid_dep_sec),
      replicas: { count: ctx.replicas.count, chunks: ctx.replicas.chunks, backend: BACKEND },
      ...(opts.pointcloud
        ? {
            pointcloud: {
              hmToBoxRatio: opts.hm_to_box_ratio as number,
              frustumExpansionRatio: (opts.frustumExpansionRatio as number | undefined) ?? 0,
              maxPcDist: opts.max_pc_dist as number,
              normalizeDepth: Boolean(opts.normalize_depth),
            },
          }
        : {}),
    });
    trainerRef = trainer;

    const label = `${opts.task}/${opts.exp_id}`;
    const printIter = opts.print_iter as number;
    const makeHooks = () => {
      let lastEmit = -Infinity;
      let drewBar = false;
      return {
        hooks: {
          stopSignal: ctx.stopSignal,
          onIter: (r: IterReport) => {
            const t = performance.now();
            if (r.iter === r.num_iters - 1 || t - lastEmit >= ITER_EVENT_INTERVAL_MS) {
              lastEmit = t;
              ctx.emit({
                type: 'iter',
                phase: r.phase,
                epoch: r.epoch,
                iter: r.iter,
                num_iters: r.num_iters,
                losses: r.losses,
                elapsed_s: r.elapsed_s,
                eta_s: r.eta_s,
                data_s: r.data_s,
                net_s: r.net_s,
              });
            }
            if (printIter > 0) {
              if (r.iter % printIter === 0) io.stderr(`${label}| ${progressSuffix(r, false)}\n`);
            } else if (io.stderrIsTTY) {
              io.stderr(`\r${progressBar(label, r)}`);
              drewBar = true;
            }
          },
        },
        finish: () => {
          if (drewBar) io.stderr('\n');
        },
      };
    };
    const runPhase = async (phase: 'train' | 'val', epoch: number | null, dataset: Dataset, collect: boolean): Promise<EpochResult> => {
      const h = makeHooks();
      try {
        return await trainer.runEpoch(phase, epoch, dataset, h.hooks, collect);
      } finally {
        h.finish();
      }
    };

    const evaluate = (detections: EvalSample[] | undefined, dataset: Dataset, epoch: number | null): MetricsSummary | undefined => {
      if (!detections) return undefined;
      const outcome = runDatasetEval({
        samples: detections,
        classNames: dataset.classNames,
        saveDir: opts.save_dir,
        valSplit: String(opts.val_split),
        copyDir: path.join(ctx.files.dir, 'eval', epoch === null ? 'eval' : `epoch_${epoch}`),
        useRadar: Boolean(opts.pointcloud),
      });
      io.stderr(outcome.printout);
      ctx.emit({ type: 'eval', epoch, metrics: outcome.metrics, summary_path: outcome.summaryPath });
      return outcome.summary;
    };
    /** main.py's scalar_summary calls after the nuScenes evaluation (AP·100, errors as they are). */
    const logEvalScalars = (summary: MetricsSummary, epoch: number): void => {
      tb.scalar('AP/overall', summary.mean_ap * 100, epoch);
      for (const [cls, ap] of Object.entries(summary.mean_dist_aps)) tb.scalar(`AP/${cls}`, ap * 100, epoch);
      for (const name of ['trans_err', 'scale_err', 'orient_err', 'vel_err', 'attr_err'] as const) {
        tb.scalar(`Scores/${name}`, summary.tp_errors[name], epoch);
      }
      tb.scalar('Scores/NDS', summary.nd_score, epoch);
    };

    const saveModel = (file: string, epoch: number, kind: CheckpointKind): void => {
      const weights = [...model.state].map(([name, v]) => ({ name, shape: [...v.shape], values: v.dataSync() as Float32Array }));
      const size = writeCheckpoint(file, {
        epoch,
        network: model.name,
        arch: String(opts.arch),
        heads: opts.heads,
        head_conv: opts.head_conv,
        down_ratio: opts.down_ratio as number,
        input_h: opts.input_h,
        input_w: opts.input_w,
        num_classes: opts.num_classes,
        optimizer: { name: optimizer.name, lr: optimizer.lr },
        created: new Date().toISOString(),
        producer: PRODUCT,
        tfjs_version: tfVersion(),
      }, weights, optimizer.getState());
      ctx.emit({ type: 'checkpoint', epoch, path: file, kind, size_bytes: size });
    };
    const ckpt = (name: string): string => path.join(opts.save_dir, `model_${name}${CHECKPOINT_EXT}`);

    // CenterFusion builds the validation loader only when val_intervals < num_epochs (or --eval) and
    // then crashes at the last epoch when they are equal; here it is also built in that case.
    const numEpochs = opts.num_epochs as number;
    const valIntervals = opts.val_intervals as number;
    let valSet: Dataset | undefined;
    if (valIntervals < numEpochs || opts.eval || (valIntervals > 0 && valIntervals <= numEpochs)) {
      ctx.say('Setting up validation data...\n');
      valSet = createDataset(opts, 'val');
    }

    if (opts.eval) {
      if (!valSet) throw new Error('internal: no validation data in eval mode');
      const result = await runPhase('val', null, valSet, true);
      ctx.emit({ type: 'log', level: 'info', message: `val: ${formatStats(result.stats).trim()}` });
      evaluate(result.detections, valSet, null);
      return;
    }

    ctx.say('Setting up train data...\n');
    const trainSet = createDataset(opts, 'train');
    ctx.say('Starting training...\n');
    for (let epoch = startEpoch + 1; epoch <= numEpochs; epoch++) {
      const signal = ctx.stopSignal();
      if (signal !== null) throw new StopRequested(signal);
      const mark = opts.save_all ? String(epoch) : 'last';
      ctx.emit({ type: 'epoch_start', epoch, lr: optimizer.lr });
      tb.scalar('LR', optimizer.lr, epoch);
      const train = await runPhase('train', epoch, trainSet, false);
      for (const [k, v] of Object.entries(train.stats)) tb.scalar(`train_${k}`, v, epoch);
      logger.write(`epoch: ${epoch} |`);
      logger.write(formatStats(train.stats));
      let val: EpochResult | null = null;
      if (valIntervals > 0 && epoch % valIntervals === 0) {
        saveModel(ckpt(mark), epoch, opts.save_all ? 'epoch' : 'last');
        if (!valSet) throw new Error('internal: validation epoch without validation data');
        val = await runPhase('val', epoch, valSet, Boolean(opts.run_dataset_eval));
        if (opts.run_dataset_eval) {
          const summary = evaluate(val.detections, valSet, epoch);
          if (summary) logEvalScalars(summary, epoch);
        }
        for (const [k, v] of Object.entries(val.stats)) tb.scalar(`val_${k}`, v, epoch);
        logger.write(formatStats(val.stats));
      } else {
        saveModel(ckpt('last'), epoch, 'last');
      }
      logger.write('\n');
      if (opts.save_point.includes(epoch)) saveModel(ckpt(String(epoch)), epoch, 'save_point');
      const endBody: EventBody = {
        type: 'epoch_end',
        epoch,
        train: statsWithoutTime(train.stats),
        val: val ? statsWithoutTime(val.stats) : null,
        time_min: train.timeMin,
        ...(val ? { val_time_min: val.timeMin } : {}),
      };
      ctx.emit(endBody);
      const stepIndex = opts.lr_step.indexOf(epoch);
      if (stepIndex >= 0) {
        const lr = (opts.lr as number) * 0.1 ** (stepIndex + 1);
        ctx.say(`Drop LR to ${pyFloat(lr)}\n`);
        optimizer.lr = lr;
        ctx.emit({ type: 'lr_change', epoch, lr });
      }
      ctx.record.last_epoch = epoch;
      ctx.files.writeRecord(ctx.record);
      ctx.files.syncEvents();
      tb.flush();
    }
  } finally {
    await trainerRef?.close();
    tb.close();
    optimizer.dispose();
    model.dispose();
  }
}

/** The `train` command. */
export async function runTrainCommand(argv: string[], io: CommandIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  let studio: StudioArgs;
  try {
    studio = splitStudioArgs(argv, cwd);
  } catch (err) {
    io.stderr(`centerfusion train: ${(err as Error).message}\n${TRAIN_USAGE}\n`);
    return EXIT_USAGE;
  }
  if (studio.help) {
    io.stdout(trainHelp());
    return EXIT_OK;
  }

  // ---- options: CenterFusion's parser, then its derived values (opts.parse + dataset info/heads)
  let raw: RawOptions;
  let opts: ResolvedOptions;
  const warnings: OptionProblem[] = [];
  try {
    raw = parseArgv(studio.rest);
    const checked = checkOptions(raw);
    const fatal = checked.filter((p) => p.severity !== 'warning' && !handledLater(p));
    if (fatal.length > 0) throw new OptionError(fatal);
    for (const p of checked) {
      if (p.option === 'optim' && handledLater(p)) continue;
      if (handledLater(p)) {
        warnings.push({
          option: p.option,
          severity: 'warning',
          message: `equals num_epochs: CenterFusion would crash at the last epoch (it only builds the validation loader when val_intervals < num_epochs); the built-in trainer builds it and validates`,
        });
      } else if (p.severity === 'warning') {
        warnings.push(p);
      }
    }
    const info = datasetInfo(String(raw.dataset));
    opts = resolveOptions(raw, { rootDir: studio.rootDir, dataset: info, checkpointExt: CHECKPOINT_EXT });
    const problems = builtinProblems(opts);
    if (problems.length > 0) throw new OptionError(problems);
  } catch (err) {
    if (err instanceof OptionError) {
      io.stderr(`centerfusion train: invalid options:\n${formatProblems(err.problems)}\n${TRAIN_USAGE}\n(see centerfusion train --help)\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  for (const w of warnings) io.stderr(`warning: ${w.option}: ${w.message}\n`);

  // ---- the tfjs backend (the ladder in tf.ts; --gpus -1 forces the CPU), before run_start reports it
  try {
    await initTf({ gpus: opts.gpus });
  } catch (err) {
    io.stderr(`centerfusion train: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }

  // ---- data-parallel replicas (one per --gpus device on a CPU backend; CENTERFUSION_REPLICAS)
  let replicas: ReplicaPlan;
  try {
    replicas = planReplicas({ backend: BACKEND, gpus: opts.gpus, batchSize: opts.batch_size, chunkSizes: opts.chunk_sizes });
  } catch (err) {
    io.stderr(`centerfusion train: ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }

  // ---- the run: save_dir/runs/<run id>/ with events.jsonl and run.json
  let files: RunFiles;
  let lock: ExpLock | undefined;
  try {
    fs.mkdirSync(opts.save_dir, { recursive: true });
    // One training run per exp_id folder (docs/reliability.md); a stale lock is taken over.
    if (!opts.eval) lock = acquireExpLock(opts.save_dir, studio.runId);
    files = new RunFiles(opts.save_dir, studio.runId);
  } catch (err) {
    lock?.release();
    if (err instanceof ExpLockError) {
      io.stderr(`centerfusion train: refused: ${err.message}\n`);
      const refusal = new EventWriter(studio.runId, (line) => io.stdout(line));
      refusal.emit({ type: 'error', error_type: err.name, message: err.message });
      refusal.emit({ type: 'run_end', status: 'failed', exit_code: EXIT_FAILED });
      return EXIT_FAILED;
    }
    io.stderr(`centerfusion train: cannot create the run folder under ${opts.save_dir}: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }
  const mode = opts.eval ? 'eval' : 'train';
  const record: RunRecord = {
    id: studio.runId,
    task: opts.task,
    exp_id: opts.exp_id,
    mode,
    argv: [...argv],
    pid: process.pid,
    status: 'running',
    started: new Date().toISOString(),
    ended: null,
    exit_code: null,
    save_dir: opts.save_dir,
    backend: BACKEND,
    last_epoch: null,
    root_dir: studio.rootDir,
    events: files.eventsFile,
  };
  const writer = new EventWriter(studio.runId, (line) => {
    files.appendEvent(line);
    io.stdout(line);
  });

  let stop: StopSignal | null = null;
  const unsubscribe = io.onStopSignal?.((signal) => {
    if (stop === null) {
      stop = signal;
      io.stderr(`\n${signal}: stopping at the next iteration boundary...\n`);
    } else {
      io.stderr(`\n${signal}: a stop is already under way; the current iteration finishes first\n`);
    }
  });

  const ctx: RunContext = {
    io,
    opts,
    cfArgv: studio.rest,
    fullArgv: [...argv],
    files,
    record,
    emit: (body) => {
      writer.emit(body);
    },
    stopSignal: () => stop,
    say: (text) => io.stderr(text),
    replicas,
  };

  let status: RunStatus = 'completed';
  let exitCode = EXIT_OK;
  let signal: StopSignal | null = null;
  try {
    files.writeRecord(record);
    const loadEpoch = opts.resume && opts.load_model !== '' ? peekCheckpointEpoch(opts.load_model) : undefined;
    ctx.emit({
      type: 'run_start',
      task: opts.task,
      exp_id: opts.exp_id,
      mode,
      argv: [...argv],
      opts: JSON.parse(JSON.stringify(opts)) as Record<string, unknown>,
      save_dir: opts.save_dir,
      backend: BACKEND,
      pid: process.pid,
      num_epochs: opts.num_epochs as number,
      start_epoch: loadEpoch ?? 0,
      num_iters: plannedIters(opts),
      run_dir: files.dir,
      root_dir: studio.rootDir,
      version: STUDIO_VERSION,
    });
    for (const w of warnings) ctx.emit({ type: 'log', level: 'warning', message: `${w.option}: ${w.message}` });
    await trainMain(ctx);
  } catch (err) {
    if (err instanceof StopRequested) {
      status = 'stopped';
      signal = err.signal as StopSignal;
      exitCode = SIGNAL_EXIT[signal] ?? EXIT_FAILED;
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      status = 'failed';
      exitCode = e instanceof OptimizerError ? EXIT_USAGE : EXIT_FAILED;
      const known = e instanceof DatasetError || e instanceof CheckpointError || e instanceof OptimizerError;
      io.stderr(`${known ? 'error' : 'internal error'}: ${e.message}\n`);
      try {
        ctx.emit({ type: 'error', error_type: e.name || null, message: e.message, traceback: e.stack ?? String(e) });
      } catch (emitErr) {
        io.stderr(`(could not record the error event: ${(emitErr as Error).message})\n`);
      }
    }
  }

  // The stop handlers stay installed until the record is final, so that a late signal cannot
  // end the process half-way through the last writes (they are synchronous and atomic anyway).
  try {
    ctx.emit({ type: 'run_end', status, exit_code: exitCode, ...(signal ? { signal } : {}) });
  } catch (err) {
    io.stderr(`(could not record run_end: ${(err as Error).message})\n`);
  }
  record.status = status;
  record.ended = new Date().toISOString();
  record.exit_code = exitCode;
  if (signal) record.signal = signal;
  try {
    files.writeRecord(record);
  } catch (err) {
    io.stderr(`(could not update run.json: ${(err as Error).message})\n`);
  }
  files.close();
  lock?.release();
  unsubscribe?.();
  return exitCode;
}
