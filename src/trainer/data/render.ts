/**
 * Renders a world sample to an 8-bit RGB image: sky above the horizon; below it the ground plane
 * (asphalt road with dashed lane markings, kerb-side pavement, grass) computed per pixel from the
 * camera; a soft shadow under each object; each object a cuboid whose faces that look at the
 * camera are filled with the class colour under a fixed sun (so every visible face has its own
 * shade, the top brightest), darker wheels at the bottom of vehicles and cycles; a depth buffer
 * per pixel gives the correct occlusion (objects are also drawn far to near). Small images are
 * rendered at twice the size and averaged down; Gaussian pixel noise and a per-image brightness
 * are added last.
 */
import type { Rng } from '../prng';
import { CLASS_COLOURS } from './synthetic';
import { CAMERA_HEIGHT, footprint, type WorldSample } from './world';

const SUN = (() => {
  const v = [-0.35, -1, -0.45];
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
})();

type V3 = [number, number, number];

interface Face {
  corners: V3[];
  normal: V3;
}

function cuboidFaces(o: WorldSample['objects'][number]): Face[] {
  const [h, w, l] = o.dim;
  const c = Math.cos(o.rotY);
  const s = Math.sin(o.rotY);
  const [cx, cy, cz] = o.center;
  const at = (dx: number, dy: number, dz: number): V3 => [cx + c * dx + s * dz, cy + dy, cz - s * dx + c * dz];
  const dir = (dx: number, dy: number, dz: number): V3 => [c * dx + s * dz, dy, -s * dx + c * dz];
  const L = l / 2;
  const H = h / 2;
  const Wd = w / 2;
  return [
    { corners: [at(L, -H, -Wd), at(L, -H, Wd), at(L, H, Wd), at(L, H, -Wd)], normal: dir(1, 0, 0) },
    { corners: [at(-L, -H, -Wd), at(-L, -H, Wd), at(-L, H, Wd), at(-L, H, -Wd)], normal: dir(-1, 0, 0) },
    { corners: [at(-L, -H, Wd), at(L, -H, Wd), at(L, H, Wd), at(-L, H, Wd)], normal: dir(0, 0, 1) },
    { corners: [at(-L, -H, -Wd), at(L, -H, -Wd), at(L, H, -Wd), at(-L, H, -Wd)], normal: dir(0, 0, -1) },
    { corners: [at(-L, -H, -Wd), at(L, -H, -Wd), at(L, -H, Wd), at(-L, -H, Wd)], normal: [0, -1, 0] },
  ];
}

interface Raster {
  w: number;
  h: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  rgb: Float32Array;
  depth: Float32Array;
}

/** Calls `fn(x, y)` for every pixel centre inside the convex polygon of projected points. */
function fillPolygon(r: Raster, pts: Array<[number, number]>, fn: (x: number, y: number) => void): void {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const xs = Math.max(0, Math.floor(x0));
  const xe = Math.min(r.w - 1, Math.ceil(x1));
  const ys = Math.max(0, Math.floor(y0));
  const ye = Math.min(r.h - 1, Math.ceil(y1));
  // Orientation of the polygon, so the edge test works for either winding.
  let area = 0;
  for (let i = 0; i < pts.length; i++) {
    const [ax, ay] = pts[i];
    const [bx, by] = pts[(i + 1) % pts.length];
    area += ax * by - bx * ay;
  }
  const sign = area >= 0 ? 1 : -1;
  for (let y = ys; y <= ye; y++) {
    const py = y + 0.5;
    for (let x = xs; x <= xe; x++) {
      const px = x + 0.5;
      let inside = true;
      for (let i = 0; i < pts.length && inside; i++) {
        const [ax, ay] = pts[i];
        const [bx, by] = pts[(i + 1) % pts.length];
        if (sign * ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) < 0) inside = false;
      }
      if (inside) fn(x, y);
    }
  }
}

function project(r: Raster, p: V3): [number, number] {
  return [(r.fx * p[0]) / p[2] + r.cx, (r.fy * p[1]) / p[2] + r.cy];
}

function drawBackground(r: Raster, phase: number): void {
  for (let y = 0; y < r.h; y++) {
    const v = y + 0.5 - r.cy;
    for (let x = 0; x < r.w; x++) {
      const at = (y * r.w + x) * 3;
      if (v <= 0) {
        const t = Math.min(1, -v / Math.max(r.cy, 1));
        r.rgb[at] = 0.75 - 0.3 * t;
        r.rgb[at + 1] = 0.82 - 0.22 * t;
        r.rgb[at + 2] = 0.92 - 0.05 * t;
        r.depth[y * r.w + x] = Infinity;
        continue;
      }
      const z = (r.fy * CAMERA_HEIGHT) / v;
      const gx = ((x + 0.5 - r.cx) * z) / r.fx;
      const ax = Math.abs(gx);
      let rgb: V3;
      if (ax < 7) {
        const dashed = Math.floor((z + phase) / 3) % 2 === 0;
        const onLine = (Math.abs(ax - 1.75) < 0.08 && dashed) || Math.abs(ax - 5.25) < 0.1 || Math.abs(ax - 6.9) < 0.1;
        rgb = onLine ? [0.85, 0.85, 0.8] : [0.33, 0.33, 0.35];
      } else if (ax < 9.5) {
        rgb = [0.58, 0.56, 0.52];
      } else {
        rgb = [0.3, 0.45, 0.22];
      }
      // A little haze towards the horizon.
      const haze = Math.min(0.6, z / 150);
      r.rgb[at] = rgb[0] * (1 - haze) + 0.75 * haze;
      r.rgb[at + 1] = rgb[1] * (1 - haze) + 0.8 * haze;
      r.rgb[at + 2] = rgb[2] * (1 - haze) + 0.88 * haze;
      r.depth[y * r.w + x] = z;
    }
  }
}

/** Renders `sample` into a [height, width, 3] uint8 image. */
export function renderWorldSample(sample: WorldSample, rng: Rng): Uint8Array {
  const cam = sample.camera;
  const ss = cam.width <= 400 ? 2 : 1;
  const r: Raster = {
    w: cam.width * ss,
    h: cam.height * ss,
    fx: cam.fx * ss,
    fy: cam.fy * ss,
    cx: cam.cx * ss,
    cy: cam.cy * ss,
    rgb: new Float32Array(cam.width * ss * cam.height * ss * 3),
    depth: new Float32Array(cam.width * ss * cam.height * ss),
  };
  drawBackground(r, rng.uniform(0, 6));

  // Shadows on the road (they never hide anything, so no depth test against objects).
  for (const o of sample.objects) {
    const fp = footprint(o).map(([x, z]) => project(r, [x, CAMERA_HEIGHT, z]));
    fillPolygon(r, fp, (x, y) => {
      const at = (y * r.w + x) * 3;
      for (let c = 0; c < 3; c++) r.rgb[at + c] *= 0.55;
    });
  }

  const order = sample.objects.map((_, i) => i).sort((a, b) => sample.objects[b].center[2] - sample.objects[a].center[2]);
  for (const i of order) {
    const o = sample.objects[i];
    const jitter = rng.uniform(0.85, 1.1);
    const base = CLASS_COLOURS[o.cls % CLASS_COLOURS.length].map((c) => Math.min(1, c * jitter)) as V3;
    const wheels = o.cls <= 4 || o.cls === 6 || o.cls === 7;
    const bottom = o.center[1] + o.dim[0] / 2;
    for (const face of cuboidFaces(o)) {
      const p0 = face.corners[0];
      const n = face.normal;
      // Back faces look away from the camera (at the origin).
      const facing = n[0] * p0[0] + n[1] * p0[1] + n[2] * p0[2];
      if (facing >= 0) continue;
      const shade = 0.35 + 0.65 * Math.max(0, -(n[0] * SUN[0] + n[1] * SUN[1] + n[2] * SUN[2]));
      const poly = face.corners.map((c) => project(r, c));
      fillPolygon(r, poly, (x, y) => {
        const dx = (x + 0.5 - r.cx) / r.fx;
        const dy = (y + 0.5 - r.cy) / r.fy;
        const denom = n[0] * dx + n[1] * dy + n[2];
        if (denom === 0) return;
        const t = facing / denom; // depth of the face at this pixel (the ray has z = 1)
        const at = y * r.w + x;
        if (!(t > 0) || t >= r.depth[at]) return;
        r.depth[at] = t;
        const dark = wheels && t * dy > bottom - Math.min(0.4, 0.25 * o.dim[0]) ? 0.35 : 1;
        for (let c = 0; c < 3; c++) r.rgb[at * 3 + c] = base[c] * shade * dark;
      });
    }
  }

  const gain = rng.uniform(0.85, 1.15);
  const out = new Uint8Array(cam.width * cam.height * 3);
  for (let y = 0; y < cam.height; y++) {
    for (let x = 0; x < cam.width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let sy = 0; sy < ss; sy++) for (let sx = 0; sx < ss; sx++) sum += r.rgb[((y * ss + sy) * r.w + x * ss + sx) * 3 + c];
        const v = (sum / (ss * ss)) * gain * 255 + rng.normal() * 4;
        out[(y * cam.width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}
