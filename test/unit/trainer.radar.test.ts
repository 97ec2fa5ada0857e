// Frustum association of radar pillars to boxes (CenterFusion's 'pillars' pc_hm), on
// constructed cases, and the radar point processing (image filter, output transform, pillars).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildPcHm, frustumThreshold, rasterizePillars, roundHalfEven, type FrustumBox } from '../../src/trainer/radar/frustum';
import { processRadar } from '../../src/trainer/radar/pointcloud';
import { flipTransform, compose, cropTransform } from '../../src/trainer/data/affine';
import type { RadarPoints } from '../../src/trainer/data/types';

const H = 20;
const W = 30;
const OPTS = { hmToBoxRatio: 0.3, frustumExpansionRatio: 0, maxPcDist: 60, normalizeDepth: true };

interface Pt {
  z: number;
  vx: number;
  vz: number;
  /** Pillar [x1, y1, x2, y2] in output pixels. */
  pillar: [number, number, number, number];
}

function radar(points: Pt[]): RadarPoints {
  return {
    count: points.length,
    xyz: Float32Array.from(points.flatMap((p) => [0, 1, p.z])),
    vel: Float32Array.from(points.flatMap((p) => [p.vx, p.vz])),
    pillar: Float32Array.from(points.flatMap((p) => p.pillar)),
  };
}

const at = (map: Float32Array, y: number, x: number, c: number): number => map[(y * W + x) * 3 + c];

// A car-sized box (w 2 m, l 4 m, facing right: frustum half-depth 1 m) 20 m ahead.
const BOX: FrustumBox = { bbox: [5, 5, 15, 15], depth: 20, dim: [1.5, 2, 4], rotY: 0 };

describe('frustum association (buildPcHm)', () => {
  it('the frustum half-depth is half the box extent along the camera axis', () => {
    assert.equal(frustumThreshold([1.5, 2, 4], 0), 1);
    assert.ok(Math.abs(frustumThreshold([1.5, 2, 4], Math.PI / 2) - 2) < 1e-12);
    assert.ok(Math.abs(frustumThreshold([1.5, 2, 4], Math.PI / 2, 0.5) - 3) < 1e-12);
  });

  it('picks a point inside the box and the frustum and paints its depth and velocity around the centre', () => {
    const hm = buildPcHm([BOX], radar([{ z: 19.5, vx: 1.5, vz: -2, pillar: [9, 8, 11, 12] }]), H, W, OPTS);
    // Centre (10, 10); region: columns trunc(8.5)..trunc(11.5)+1 = 8..12, rows 8..11.
    assert.equal(at(hm, 10, 10, 0), Math.fround(Math.fround(19.5) / 60));
    assert.equal(at(hm, 10, 10, 1), 1.5);
    assert.equal(at(hm, 10, 10, 2), -2);
    for (const [y, x] of [[8, 8], [11, 12], [8, 12]]) assert.notEqual(at(hm, y, x, 0), 0, `(${y}, ${x}) in the region`);
    for (const [y, x] of [[7, 10], [12, 10], [10, 7], [10, 13], [0, 0]]) assert.equal(at(hm, y, x, 0), 0, `(${y}, ${x}) outside the region`);
  });

  it('ignores a point inside the box but outside the depth frustum', () => {
    const far = buildPcHm([BOX], radar([{ z: 21.2, vx: 1, vz: 1, pillar: [9, 8, 11, 12] }]), H, W, OPTS);
    assert.ok(far.every((v) => v === 0));
    // The same point is taken once the frustum is widened enough (expansion ratio 0.5: ±1.5 m).
    const wide = buildPcHm([BOX], radar([{ z: 21.2, vx: 1, vz: 1, pillar: [9, 8, 11, 12] }]), H, W, { ...OPTS, frustumExpansionRatio: 0.5 });
    assert.equal(at(wide, 10, 10, 0), Math.fround(Math.fround(21.2) / 60));
  });

  it('takes the nearest of several points in box and frustum', () => {
    const hm = buildPcHm(
      [BOX],
      radar([
        { z: 20.5, vx: 5, vz: 5, pillar: [6, 6, 8, 9] },
        { z: 19.2, vx: -3, vz: 4, pillar: [12, 10, 14, 14] },
        { z: 16, vx: 9, vz: 9, pillar: [9, 9, 11, 11] }, // nearer, but outside the frustum
      ]),
      H,
      W,
      OPTS,
    );
    assert.equal(at(hm, 10, 10, 0), Math.fround(Math.fround(19.2) / 60));
    assert.equal(at(hm, 10, 10, 1), -3);
    assert.equal(at(hm, 10, 10, 2), 4);
  });

  it('leaves a box without radar points in it at zero', () => {
    const hm = buildPcHm([BOX], radar([{ z: 20, vx: 1, vz: 1, pillar: [22, 5, 25, 10] }]), H, W, OPTS);
    assert.ok(hm.every((v) => v === 0));
    assert.ok(buildPcHm([BOX], radar([]), H, W, OPTS).every((v) => v === 0));
  });

  it('overlapping boxes: the nearest object wins, whatever the order of the boxes', () => {
    const near: FrustumBox = { bbox: [8, 6, 18, 16], depth: 10, dim: [1.5, 2, 4], rotY: 0 };
    const pts = radar([
      { z: 19.8, vx: 1, vz: 1, pillar: [5, 5, 7, 8] }, // only in BOX
      { z: 9.7, vx: 2, vz: 2, pillar: [16, 12, 18, 15] }, // only in `near`
    ]);
    const a = buildPcHm([BOX, near], pts, H, W, OPTS);
    const b = buildPcHm([near, BOX], pts, H, W, OPTS);
    assert.deepEqual(a, b);
    // BOX's region is columns 8..12, rows 8..11; near's is columns 11..15, rows 9..12: they share
    // columns 11..12 of rows 9..11, which hold the near object's depth.
    assert.equal(at(a, 10, 11, 0), Math.fround(Math.fround(9.7) / 60));
    assert.equal(at(a, 10, 9, 0), Math.fround(Math.fround(19.8) / 60));
    assert.equal(at(a, 12, 14, 0), Math.fround(Math.fround(9.7) / 60));
  });

  it('keeps raw depths without normalize_depth and does not touch its inputs', () => {
    const pts = radar([{ z: 19.5, vx: 0, vz: 0, pillar: [9, 8, 11, 12] }]);
    const copy = { ...pts, xyz: pts.xyz.slice(), pillar: pts.pillar.slice() };
    const boxes = [{ ...BOX, bbox: [...BOX.bbox] as FrustumBox['bbox'] }];
    const hm = buildPcHm(boxes, pts, H, W, { ...OPTS, normalizeDepth: false });
    assert.equal(at(hm, 10, 10, 0), 19.5);
    assert.deepEqual(pts.xyz, copy.xyz);
    assert.deepEqual(pts.pillar, copy.pillar);
    assert.deepEqual(boxes[0], BOX);
  });

  it('paints pillars far to near (nearer points cover shared pixels), rounded as numpy rounds', () => {
    const map = rasterizePillars(radar([
      { z: 10, vx: 1, vz: 0, pillar: [2, 2, 6, 6] },
      { z: 30, vx: 2, vz: 0, pillar: [4, 4, 8, 8] },
    ]), H, W);
    assert.equal(at(map, 5, 5, 0), 10);
    assert.equal(at(map, 7, 7, 0), 30);
    assert.equal(at(map, 3, 3, 1), 1);
    assert.equal(at(map, 8, 8, 0), 0, 'the end row/column are excluded');
    // A pillar thinner than a pixel keeps the pixel under its point, so the box still finds it.
    const thin = radar([{ z: 19.5, vx: 0, vz: 0, pillar: [10.1, 9.2, 10.3, 12.4] }]);
    const thinMap = rasterizePillars(thin, H, W);
    assert.equal(thinMap.filter((v, i) => i % 3 === 0 && v !== 0).length, 3, 'rows 9..11 of column 10');
    assert.equal(at(thinMap, 11, 10, 0), 19.5);
    assert.notEqual(at(buildPcHm([BOX], thin, H, W, OPTS), 10, 10, 0), 0);
    assert.equal(roundHalfEven(2.5), 2);
    assert.equal(roundHalfEven(3.5), 4);
    assert.equal(roundHalfEven(-0.5), -0);
  });
});

describe('radar point processing', () => {
  // Full image 160 x 90, output 40 x 24 (down 4 after fitting the width), fx 100.
  const calib = [100, 0, 80, 0, 0, 100, 45, 0, 0, 0, 1, 0];
  const rowsOf = (pts: number[][]): Float32Array => {
    const n = pts.length;
    const rows = new Float32Array(18 * n);
    pts.forEach((p, i) => p.forEach((v, r) => (rows[r * n + i] = v)));
    return rows;
  };
  const point = (x: number, y: number, z: number, vx: number, vz: number): number[] => {
    const p = new Array<number>(18).fill(0);
    p[0] = x;
    p[1] = y;
    p[2] = z;
    p[8] = vx;
    p[9] = vz;
    return p;
  };
  const trans = cropTransform([80, 45], 160, 0, 40, 24);

  it('drops points beyond max_pc_dist, behind the camera or outside the image, and sorts by depth', () => {
    const rows = rowsOf([point(0, 1, 30, 0, 0), point(0, 1, 80, 0, 0), point(0, 1, -5, 0, 0), point(50, 1, 10, 0, 0), point(1, 1, 12, 0, 0)]);
    const r = processRadar(rows, 5, calib, 160, 90, trans, false, 40, 24, { maxPcDist: 60, pcZOffset: 0, maxPc: 1000, pillarDims: [1.5, 0.2, 0.2] });
    assert.equal(r.count, 2);
    assert.deepEqual(Array.from(r.xyz.filter((_, i) => i % 3 === 2)), [12, 30]);
    const capped = processRadar(rows, 5, calib, 160, 90, trans, false, 40, 24, { maxPcDist: 60, pcZOffset: 0, maxPc: 1, pillarDims: [1.5, 0.2, 0.2] });
    assert.equal(capped.count, 1);
  });

  it('stands each pillar on its point: bottom at the point, height of 1.5 m projected to the output', () => {
    const rows = rowsOf([point(0, 1, 10, 0, 0)]);
    const r = processRadar(rows, 1, calib, 160, 90, trans, false, 40, 24, { maxPcDist: 60, pcZOffset: 0, maxPc: 1000, pillarDims: [1.5, 0.2, 0.2] });
    // The point projects to (80, 55) in the image, (20, 14.5) in the output (scale 1/4).
    const [x1, y1, x2, y2] = Array.from(r.pillar);
    assert.ok(Math.abs((x1 + x2) / 2 - 20) < 1e-4);
    assert.ok(Math.abs(y2 - 14.5) < 1e-4, `bottom ${y2}`);
    // Height: the nearest corners (z 9.9) span 1.5 m * 100 / 9.9 image pixels, a quarter of it in the output.
    assert.ok(Math.abs(y2 - y1 - (1.5 * 100) / 9.9 / 4) < 1e-3, `height ${y2 - y1}`);
    // Width: 0.2 m at z 9.9.
    assert.ok(Math.abs(x2 - x1 - (0.2 * 100) / 9.9 / 4) < 1e-3, `width ${x2 - x1}`);
  });

  it('a flip mirrors points, velocities and pillars, and flipping twice gives the original', () => {
    const rows = rowsOf([point(2, 1, 10, 1.5, 3), point(-1, 1, 20, -0.5, 1)]);
    const o = { maxPcDist: 60, pcZOffset: 0, maxPc: 1000, pillarDims: [1.5, 0.2, 0.2] };
    const plain = processRadar(rows, 2, calib, 160, 90, trans, false, 40, 24, o);
    const flipped = processRadar(rows, 2, calib, 160, 90, compose(trans, flipTransform(160)), true, 40, 24, o);
    assert.equal(flipped.count, plain.count);
    for (let i = 0; i < plain.count; i++) {
      assert.equal(flipped.xyz[3 * i], -plain.xyz[3 * i]);
      assert.equal(flipped.vel[2 * i], -plain.vel[2 * i]);
      assert.equal(flipped.vel[2 * i + 1], plain.vel[2 * i + 1]);
      // x -> 159 - x in the image is x -> 39.75 - x in the output.
      assert.ok(Math.abs(flipped.pillar[4 * i] - (39.75 - plain.pillar[4 * i + 2])) < 1e-4);
      assert.ok(Math.abs(flipped.pillar[4 * i + 3] - plain.pillar[4 * i + 3]) < 1e-4);
    }
    const twice = compose(compose(trans, flipTransform(160)), flipTransform(160));
    assert.deepEqual(processRadar(rows, 2, calib, 160, 90, twice, false, 40, 24, o), plain);
  });
});
