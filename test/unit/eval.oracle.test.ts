/**
 * Randomised cases checked against an independent reference: test/fixtures/eval/oracle.py,
 * written separately from the algorithm description with numpy's own linspace / interp / mean /
 * nanmean and Python's json.dump. The fixtures hold its inputs and its output text; this test
 * never runs Python.
 *
 * The inputs cover the range and point filters, ties in score (random-ties), unknown GT
 * velocities (null), NaN predicted velocities (bare NaN tokens in the case file), empty GT
 * attributes, non-unit tilted quaternions, wrong classes and background false positives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

import {
  evaluateDetections,
  parseJsonWithNaN,
  serializeMetricsDetails,
  serializeMetricsSummary,
  validateGroundTruth,
  validateSubmission,
} from '../../src/shared/eval';
import type { MetricsDetails } from '../../src/shared/eval';
import { fixturePath } from '../fixtures/eval/builders';

/** Relative tolerance: the reference's BLAS-based yaw differs from ours in the last bits only. */
const TOL = 1e-12;

/** Numbers in a JSON text (bare NaN included), in order. */
function numbers(text: string): number[] {
  const out: number[] = [];
  const re = /(?<=[:[,\s])(-?(?:NaN|Infinity|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))(?=[,\n\s\]}])/g;
  for (const m of text.matchAll(re)) out.push(m[1] === 'NaN' ? NaN : Number(m[1]));
  return out;
}

/** The text with every number replaced by '#': the layout, keys and order. */
function skeleton(text: string): string {
  return text.replace(/(?<=[:[,\s])(-?(?:NaN|Infinity|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))(?=[,\n\s\]}])/g, '#');
}

function compareTexts(actual: string, expected: string, what: string): number {
  assert.equal(skeleton(actual), skeleton(expected), `${what}: layout, keys and order`);
  const a = numbers(actual);
  const e = numbers(expected);
  assert.equal(a.length, e.length, `${what}: count of numbers`);
  let identical = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], e[i])) {
      identical++;
      continue;
    }
    assert.ok(
      Math.abs(a[i] - e[i]) <= TOL * Math.max(1, Math.abs(e[i])),
      `${what}: number #${i} is ${a[i]}, reference ${e[i]}`,
    );
  }
  return identical / a.length;
}

for (const name of ['random-a', 'random-ties', 'random-b']) {
  describe(`eval vs reference: ${name}`, () => {
    const caseDoc = parseJsonWithNaN(fs.readFileSync(fixturePath(__dirname, `${name}.case.json`))) as {
      gt: unknown;
      submission: unknown;
    };
    const expected = JSON.parse(fs.readFileSync(fixturePath(__dirname, `${name}.expected.json`), 'utf8')) as {
      summary_text: string;
      details_text: string;
    };
    const gt = validateGroundTruth(caseDoc.gt);
    const sub = validateSubmission(caseDoc.submission);
    const result = evaluateDetections(gt, sub);
    result.summary.eval_time = 0;

    it('agrees on metrics_summary.json', () => {
      const share = compareTexts(serializeMetricsSummary(result.summary), expected.summary_text, 'summary');
      // Almost every number is bit-identical; only orientation errors may differ in the last bits.
      assert.ok(share > 0.9, `bit-identical share ${share}`);
    });

    it('agrees on the curves of metrics_details.json', () => {
      const keep: MetricsDetails = {};
      for (const k of ['car:0.5', 'car:1.0', 'car:2.0', 'car:4.0', 'pedestrian:2.0', 'barrier:2.0', 'traffic_cone:2.0']) {
        keep[k] = result.details[k];
      }
      compareTexts(serializeMetricsDetails(keep), expected.details_text, 'details');
    });

    it('scores above zero (the case exercises matching)', () => {
      assert.ok(result.summary.mean_ap > 0.1);
    });
  });
}
