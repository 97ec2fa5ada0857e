/**
 * `centerfusion eval-detections`: the nuScenes detection evaluation of a submission file against
 * a ground-truth file. Writes metrics_summary.json and metrics_details.json (as the devkit does,
 * each file replaced atomically) and prints the devkit's summary.
 *
 *   centerfusion eval-detections --result_path <submission.json> --gt_path <gt.json>
 *                                --output_dir <dir> [--config_path <config.json>] [--verbose]
 *
 * Exit codes: 0 done, 1 the inputs were rejected or a file could not be read or written,
 * 2 bad command line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DETECTION_CVPR_2019,
  EvalInputError,
  JsonSyntaxError,
  checkConfig,
  evaluateDetections,
  formatSummaryPrintout,
  parseJsonWithNaN,
  serializeMetricsDetails,
  serializeMetricsSummary,
  validateGroundTruth,
  validateSubmission,
} from '../../shared/eval';
import type { DetectionConfig, GroundTruthFile, Submission } from '../../shared/eval';
import { writeFileAtomic } from '../fsutil';
import { parseOrExit, UsageError, type CliCommand, type CommandIO } from './types';

const USAGE = `usage: centerfusion eval-detections --result_path <submission.json> --gt_path <gt.json> --output_dir <dir>
                                    [--config_path <config.json>] [--verbose]

Evaluates a nuScenes detection submission ({"meta", "results"}) against a ground-truth file
({"sample_tokens", "ego_pose_translation", "gt_boxes"}) with the official metric
(detection_cvpr_2019 unless --config_path is given), writes metrics_summary.json and
metrics_details.json to --output_dir and prints mAP, the TP errors, NDS and a per-class table.
`;

interface Args {
  resultPath: string;
  gtPath: string;
  outputDir: string;
  configPath?: string;
  verbose: boolean;
}


/** A problem with one input file, reported with its role and path. */
class FileError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  const values: Record<string, string> = {};
  let verbose = false;
  const valued = new Set(['result_path', 'gt_path', 'output_dir', 'config_path']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return 'help';
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    if (name === 'verbose') {
      // Also accepts the devkit's "--verbose 0|1".
      const next = inline ?? (argv[i + 1] === '0' || argv[i + 1] === '1' ? argv[++i] : undefined);
      verbose = next === undefined ? true : next !== '0' && next !== 'false';
      continue;
    }
    if (!valued.has(name)) throw new UsageError(`unknown option --${name}`);
    const v = inline ?? argv[++i];
    if (v === undefined || v === '') throw new UsageError(`--${name} needs a value`);
    values[name] = v;
  }
  const missing = ['result_path', 'gt_path', 'output_dir'].filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  return {
    resultPath: values.result_path,
    gtPath: values.gt_path,
    outputDir: values.output_dir,
    configPath: values.config_path,
    verbose,
  };
}

function readJson(file: string, role: string): unknown {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new FileError(`${role} ${file}: no such file`);
    if (err.code === 'EISDIR') throw new FileError(`${role} ${file}: is a directory`);
    if (err.code === 'ERR_FS_FILE_TOO_LARGE') throw new FileError(`${role} ${file}: larger than 2 GiB, which cannot be read`);
    throw new FileError(`${role} ${file}: cannot be read (${err.message})`);
  }
  try {
    return parseJsonWithNaN(bytes);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new FileError(`${role} ${file}: not valid JSON: ${e.message}`);
    throw e;
  }
}

function readConfig(file: string): DetectionConfig {
  const value = readJson(file, 'config');
  try {
    checkConfig(value as DetectionConfig);
  } catch (e) {
    throw new FileError(`config ${file}: ${(e as Error).message}`);
  }
  return value as DetectionConfig;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const args = parseOrExit('eval-detections', USAGE, argv, io, parseArgs);
  if (typeof args === 'number') return args;
  const cwd = io.cwd ?? process.cwd();
  args.resultPath = path.resolve(cwd, args.resultPath);
  args.gtPath = path.resolve(cwd, args.gtPath);
  args.outputDir = path.resolve(cwd, args.outputDir);
  if (args.configPath !== undefined) args.configPath = path.resolve(cwd, args.configPath);
  const verbose = args.verbose;
  const say = (s: string): void => {
    if (verbose) io.stdout(`${s}\n`);
  };
  try {
    const cfg = args.configPath ? readConfig(args.configPath) : (DETECTION_CVPR_2019 as DetectionConfig);
    say('Initializing nuScenes detection evaluation');
    let submission: Submission;
    let gt: GroundTruthFile;
    try {
      submission = validateSubmission(readJson(args.resultPath, 'result_path'), {
        maxBoxesPerSample: cfg.max_boxes_per_sample,
      });
    } catch (e) {
      if (e instanceof EvalInputError) throw new FileError(`result_path ${args.resultPath}: ${e.message}`);
      throw e;
    }
    say(`Loaded results from ${args.resultPath}. Found detections for ${Object.keys(submission.results).length} samples.`);
    try {
      gt = validateGroundTruth(readJson(args.gtPath, 'gt_path'));
    } catch (e) {
      if (e instanceof EvalInputError) throw new FileError(`gt_path ${args.gtPath}: ${e.message}`);
      throw e;
    }
    say(`Loaded ground truth annotations for ${gt.sample_tokens.length} samples.`);
    const { summary, details, stats } = evaluateDetections(gt, submission, { config: cfg });
    for (const [label, c] of [
      ['predictions', stats.predictions],
      ['ground truth annotations', stats.groundTruth],
    ] as const) {
      say(`Filtering ${label}`);
      say(`=> Original number of boxes: ${c.total}`);
      say(`=> After distance based filtering: ${c.afterDistance}`);
      say(`=> After LIDAR and RADAR points based filtering: ${c.afterPoints}`);
      say(`=> After bike rack filtering: ${c.afterPoints} (not applied: it needs the map annotations)`);
    }
    say('Accumulating metric data...');
    say('Calculating metrics...');
    say(`Saving metrics to: ${args.outputDir}`);
    try {
      fs.mkdirSync(args.outputDir, { recursive: true });
      writeFileAtomic(path.join(args.outputDir, 'metrics_summary.json'), serializeMetricsSummary(summary));
      writeFileAtomic(path.join(args.outputDir, 'metrics_details.json'), serializeMetricsDetails(details));
    } catch (e) {
      throw new FileError(`output_dir ${args.outputDir}: cannot write the metrics (${(e as Error).message})`);
    }
    io.stdout(formatSummaryPrintout(summary));
    return 0;
  } catch (e) {
    if (e instanceof FileError || e instanceof EvalInputError) {
      io.stderr(`eval-detections: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

export const evalDetectionsCommand: CliCommand = {
  name: 'eval-detections',
  summary: 'nuScenes detection metric (mAP, TP errors, NDS) of a submission against ground truth',
  run,
};

export default evalDetectionsCommand;
