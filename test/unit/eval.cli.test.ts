/** `centerfusion eval-detections`: files written, printout, and the errors' exit codes. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { evalDetectionsCommand } from '../../src/trainer/commands/eval-detections';
import { DETECTION_NAMES, parseMetricsSummary, pyJsonDumps, toPyJson } from '../../src/shared/eval';
import { gtBox, makeGt, makeSub, predBox } from '../fixtures/eval/builders';

interface Ran {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], cwd?: string): Promise<Ran> {
  let out = '';
  let err = '';
  const code = await evalDetectionsCommand.run(argv, {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    cwd,
  });
  return { code, out, err };
}

describe('eval-detections command', () => {
  let dir = '';
  let gtPath = '';
  let subPath = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-eval-'));
    const gt = makeGt({
      s1: DETECTION_NAMES.map((c, i) => gtBox('s1', c, 3 * i, 5)),
      s2: [gtBox('s2', 'car', 0, 0, { velocity: null })],
    });
    const sub = makeSub({
      s1: DETECTION_NAMES.map((c, i) => predBox('s1', c, 3 * i, 5, 0.5 + i / 100)),
      s2: [predBox('s2', 'car', 0.25, 0, 0.3, { velocity: [NaN, NaN] })],
    });
    gtPath = path.join(dir, 'gt.json');
    subPath = path.join(dir, 'results_nusc.json');
    // Written the way Python writes them: bare NaN in the submission, null in the GT.
    fs.writeFileSync(gtPath, JSON.stringify(gt));
    fs.writeFileSync(subPath, pyJsonDumps(toPyJson(sub)));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes both files and prints the summary', async () => {
    const out = path.join(dir, 'out', 'nested');
    const r = await run(['--result_path', subPath, '--gt_path', gtPath, `--output_dir=${out}`]);
    assert.equal(r.err, '');
    assert.equal(r.code, 0);
    assert.match(r.out, /^mAP: 1\.0000\nmATE: 0\.0\d{3}\n/);
    assert.match(r.out, /\nPer-class results:\nObject Class\tAP\tATE\tASE\tAOE\tAVE\tAAE\ncar\t/);
    assert.deepEqual(fs.readdirSync(out).sort(), ['metrics_details.json', 'metrics_summary.json']);
    const summary = parseMetricsSummary(fs.readFileSync(path.join(out, 'metrics_summary.json')));
    assert.equal(summary.meta.use_radar, true);
    assert.ok(Number.isNaN(summary.label_tp_errors.barrier.vel_err));
    assert.match(fs.readFileSync(path.join(out, 'metrics_summary.json'), 'utf8'), /"vel_err": NaN,/);
  });

  it("writes files that Python's json module loads with the devkit's values", async (t) => {
    // Debian's python3 is on every machine of this project; a machine without it skips, loudly.
    const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      t.skip('python3 is not installed');
      return;
    }
    const out = path.join(dir, 'for-python');
    assert.equal((await run(['--result_path', subPath, '--gt_path', gtPath, '--output_dir', out])).code, 0);
    const script = [
      'import json, math, sys',
      's = json.load(open(sys.argv[1]))',
      'd = json.load(open(sys.argv[2]))',
      'assert list(s)[:6] == ["label_aps", "mean_dist_aps", "mean_ap", "label_tp_errors", "tp_errors", "tp_scores"], list(s)',
      'assert math.isnan(s["label_tp_errors"]["barrier"]["vel_err"])',
      'assert len(d) == 40 and all(len(v["recall"]) == 101 for v in d.values())',
      'print(json.dumps({"mean_ap": s["mean_ap"], "nd_score": s["nd_score"]}))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, path.join(out, 'metrics_summary.json'), path.join(out, 'metrics_details.json')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const fromPython = JSON.parse(r.stdout) as { mean_ap: number; nd_score: number };
    const ours = parseMetricsSummary(fs.readFileSync(path.join(out, 'metrics_summary.json')));
    assert.equal(fromPython.mean_ap, ours.mean_ap);
    assert.equal(fromPython.nd_score, ours.nd_score);
  });

  it('prints the devkit-style progress with --verbose', async () => {
    const r = await run(['--result_path', subPath, '--gt_path', gtPath, '--output_dir', path.join(dir, 'v'), '--verbose']);
    assert.equal(r.code, 0);
    assert.match(r.out, /Loaded results from .*results_nusc\.json\. Found detections for 2 samples\./);
    assert.match(r.out, /=> After distance based filtering: 11\n/);
    assert.match(r.out, /Saving metrics to: /);
  });

  it('rejects more than 500 boxes in a sample', async () => {
    const many = makeSub({ s1: Array.from({ length: 501 }, () => predBox('s1', 'car', 0, 0, 0.5)), s2: [] });
    const p = path.join(dir, 'many.json');
    fs.writeFileSync(p, JSON.stringify(many));
    const r = await run(['--result_path', p, '--gt_path', gtPath, '--output_dir', path.join(dir, 'x')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /results\["s1"\]: 501 boxes; at most 500 boxes per sample are allowed/);
    assert.equal(fs.existsSync(path.join(dir, 'x')), false);
  });

  it('rejects predictions that cover other samples', async () => {
    const p = path.join(dir, 'other.json');
    fs.writeFileSync(p, JSON.stringify(makeSub({ s1: [], s3: [] })));
    const r = await run(['--result_path', p, '--gt_path', gtPath, '--output_dir', path.join(dir, 'x')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /different samples: 1 sample\(s\) of the ground truth have no entry in results \("s2"\); 1 sample\(s\) in results are not in the ground truth \("s3"\)/);
  });

  it('names the malformed field, the unknown name and the broken JSON', async () => {
    const bad = makeSub({ s1: [predBox('s1', 'car', 0, 0, 0.5), predBox('s1', 'lorry', 0, 0, 0.5)], s2: [] });
    (bad.results.s1[0] as unknown as { size: unknown }).size = [1, 2];
    const p = path.join(dir, 'bad.json');
    fs.writeFileSync(p, JSON.stringify(bad));
    let r = await run(['--result_path', p, '--gt_path', gtPath, '--output_dir', path.join(dir, 'x')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /results\["s1"\]\[0\]\.size: expected 3 numbers, got \[1, 2\]/);
    assert.match(r.err, /results\["s1"\]\[1\]\.detection_name: unknown class "lorry"/);
    fs.writeFileSync(p, '{"meta": {},\n "results": {"s1": [}}');
    r = await run(['--result_path', p, '--gt_path', gtPath, '--output_dir', path.join(dir, 'x')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /result_path .*bad\.json: not valid JSON: .*line 2 column/);
    r = await run(['--result_path', path.join(dir, 'missing.json'), '--gt_path', gtPath, '--output_dir', path.join(dir, 'x')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /missing\.json: no such file/);
  });

  it('exits 2 on a bad command line and 0 on --help', async () => {
    let r = await run(['--result_path', subPath]);
    assert.equal(r.code, 2);
    assert.match(r.err, /missing --gt_path, --output_dir/);
    r = await run(['--result_path', subPath, '--gt_path', gtPath, '--output_dir', dir, '--eval_set', 'val']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --eval_set/);
    r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: centerfusion eval-detections/);
  });

  it('replaces existing metrics without leaving temporary files', async () => {
    const out = path.join(dir, 'again');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'metrics_summary.json'), 'old');
    const r = await run(['--result_path', subPath, '--gt_path', gtPath, '--output_dir', out]);
    assert.equal(r.code, 0);
    assert.deepEqual(fs.readdirSync(out).sort(), ['metrics_details.json', 'metrics_summary.json']);
    assert.notEqual(fs.readFileSync(path.join(out, 'metrics_summary.json'), 'utf8'), 'old');
  });

  it('resolves relative paths against the caller\'s working directory', async () => {
    const r = await run(['--result_path', 'results_nusc.json', '--gt_path', 'gt.json', '--output_dir', 'rel'], dir);
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.existsSync(path.join(dir, 'rel', 'metrics_summary.json')));
  });

  it('uses a configuration file when given', async () => {
    const cfgPath = path.join(dir, 'cfg.json');
    const cfg = {
      class_range: Object.fromEntries(DETECTION_NAMES.map((c) => [c, 10])),
      dist_fcn: 'center_distance',
      dist_ths: [0.5, 1.0, 2.0, 4.0],
      dist_th_tp: 2.0,
      min_recall: 0.1,
      min_precision: 0.1,
      max_boxes_per_sample: 500,
      mean_ap_weight: 5,
    };
    fs.writeFileSync(cfgPath, JSON.stringify(cfg));
    const out = path.join(dir, 'cfg-out');
    const r = await run(['--result_path', subPath, '--gt_path', gtPath, '--output_dir', out, '--config_path', cfgPath]);
    assert.equal(r.code, 0, r.err);
    const summary = parseMetricsSummary(fs.readFileSync(path.join(out, 'metrics_summary.json')));
    assert.equal(summary.cfg.class_range.car, 10);
    // With a 10 m range only car, truck and bus (at (3i, 5), i <= 2, within 10 m) remain in s1.
    assert.equal(summary.mean_dist_aps.pedestrian, 0);
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, dist_th_tp: 3 }));
    const bad = await run(['--result_path', subPath, '--gt_path', gtPath, '--output_dir', out, '--config_path', cfgPath]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /config .*dist_th_tp: must be one of dist_ths/);
  });
});
