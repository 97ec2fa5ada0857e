// The datasets: the synthetic world written in CenterFusion's converted layout and read back,
// determinism, CenterNet targets, augmentations keeping image, boxes and radar consistent, the
// nuscenes reader's errors, and worker threads giving the same batches as the main thread
// (from tsc output and from an esbuild bundle).
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DATASET_INFO, parseArgv, resolveOptions, type ResolvedOptions } from '../../src/shared/options';
import { createDataset, DatasetError, loadOptionsOf } from '../../src/trainer/data';
import { ConvertedDataset, type LoadOptions } from '../../src/trainer/data/converted-dataset';
import { readConverted } from '../../src/trainer/data/converted';
import { createLoader } from '../../src/trainer/data/loader';
import { WORKER_MARK, type WorkerReply } from '../../src/trainer/data/worker';
import { Worker } from 'node:worker_threads';
import { decodePng, encodePng, PngError } from '../../src/trainer/data/png';
import { renderWorldSample } from '../../src/trainer/data/render';
import { ensureSyntheticSplit, imageFileName } from '../../src/trainer/data/synthetic-world';
import { generateWorldSample, STREAM_IDS } from '../../src/trainer/data/world';
import { boxToGlobal, cameraToGlobal } from '../../src/trainer/data/pose';
import type { Geometry, Sample } from '../../src/trainer/data/types';
import { deriveSeed, Rng } from '../../src/trainer/prng';

const REPO = path.resolve(__dirname, '..', '..', '..');
const tmpRoots: string[] = [];
function tmpRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-data-'));
  tmpRoots.push(dir);
  return dir;
}
after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

function resolve(args: string, root: string): ResolvedOptions {
  return resolveOptions(parseArgv(args.split(' ')), { rootDir: root, dataset: DATASET_INFO.synthetic });
}

const WORLD = { seed: 11, width: 112, height: 64, sweeps: 3, classNames: DATASET_INFO.synthetic.class_name };

describe('PNG', () => {
  it('round-trips RGB and decodes the other filters and colour types', () => {
    const rng = new Rng(4);
    const data = Uint8Array.from({ length: 7 * 5 * 3 }, () => rng.int(0, 255));
    const back = decodePng(encodePng({ width: 7, height: 5, data }));
    assert.equal(back.width, 7);
    assert.equal(back.height, 5);
    assert.deepEqual(back.data, data);
    const bad = encodePng({ width: 7, height: 5, data });
    bad[bad.length - 20] ^= 0xff;
    assert.throws(() => decodePng(bad), PngError);
    assert.throws(() => decodePng(Buffer.from('not a png')), /signature/);
  });
});

describe('synthetic world on disk', () => {
  const root = tmpRoot();
  const dataDir = path.join(root, 'data');
  const req = { name: 'mini_val', stream: 'val' as const, size: 5 };
  const first = ensureSyntheticSplit(dataDir, WORLD, req);

  it('writes annotations_<N>sweeps/<split>.json and PNGs that read back equal to the generated world', () => {
    assert.equal(first.generated, true);
    assert.ok(first.annotationPath.endsWith(path.join('annotations_3sweeps', 'mini_val.json')));
    const split = readConverted(first.annotationPath);
    assert.equal(split.images.length, 5);
    assert.deepEqual(split.categories.map((c) => c.name), [...DATASET_INFO.nuscenes.class_name]);
    for (let i = 0; i < 5; i++) {
      const world = generateWorldSample(WORLD.seed, 'val', i, WORLD.width, WORLD.height, WORLD.sweeps);
      const rec = split.images[i];
      assert.equal(rec.sampleToken, world.token);
      assert.equal(rec.fileName, imageFileName('val', i));
      assert.deepEqual(rec.poseTrans, world.egoTranslation);
      assert.equal(rec.intrinsic.fx, world.camera.fx);
      // Radar: all 18 rows, point for point.
      assert.equal(rec.radar!.count, world.radar.count);
      assert.deepEqual(rec.radar!.rows, world.radar.rows);
      // Objects: every annotation is one of the world's objects (hidden ones are dropped).
      const anns = split.annotations[i];
      assert.ok(anns.length >= 1 && anns.length <= world.objects.length);
      for (const a of anns) {
        const o = world.objects.find((x) => Math.abs(x.center[2] - a.depth) < 1e-12 && x.cls === a.cls - 1);
        assert.ok(o, `annotation at depth ${a.depth} matches a world object`);
        assert.deepEqual(a.dim, o.dim);
        assert.deepEqual(a.location, [o.center[0], o.center[1] + o.dim[0] / 2, o.center[2]]);
        assert.equal(a.rotY, o.rotY);
        assert.deepEqual(a.velocityCam, o.velocityCam);
        assert.equal(a.numPts, o.numLidarPts + o.numRadarPts);
      }
      // Pixels: the PNG holds exactly the rendered image.
      const png = decodePng(fs.readFileSync(path.join(first.dir, rec.fileName)));
      const pixels = renderWorldSample(world, new Rng(deriveSeed(WORLD.seed, STREAM_IDS.val, i, 0x72656e64)));
      assert.deepEqual(png.data, pixels);
    }
  });

  it('is reused when the parameters match and regenerated when they differ', () => {
    const mtime = fs.statSync(first.annotationPath).mtimeMs;
    const again = ensureSyntheticSplit(dataDir, WORLD, req);
    assert.equal(again.generated, false);
    assert.equal(fs.statSync(first.annotationPath).mtimeMs, mtime);
    const bigger = ensureSyntheticSplit(dataDir, WORLD, { ...req, size: 6 });
    assert.equal(bigger.generated, true);
    assert.equal(readConverted(bigger.annotationPath).images.length, 6);
    const other = ensureSyntheticSplit(dataDir, { ...WORLD, seed: 12 }, req);
    assert.notEqual(other.dir, first.dir);
    assert.equal(fs.readdirSync(path.dirname(first.annotationPath)).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary files left');
  });

  it('is a deterministic function of the seed (same seed, same samples; other seed, other samples)', () => {
    const a = createDataset(resolve('ddd --dataset synthetic --seed 5 --pointcloud', tmpRoot()), 'train');
    const b = createDataset(resolve('ddd --dataset synthetic --seed 5 --pointcloud', tmpRoot()), 'train');
    const c = createDataset(resolve('ddd --dataset synthetic --seed 6 --pointcloud', tmpRoot()), 'train');
    const sa = a.get(3, 2);
    assert.deepEqual(sa, b.get(3, 2));
    assert.notDeepEqual(sa.image, c.get(3, 2).image);
    assert.notDeepEqual(sa.image, a.get(3, 1).image, 'another epoch draws another augmentation');
    assert.ok(sa.radar && sa.pcHm && sa.pose);
  });

  it('says where it could not write the world instead of crashing', () => {
    const blocked = tmpRoot();
    fs.writeFileSync(path.join(blocked, 'data'), 'a file where the data folder should be');
    assert.throws(() => createDataset(resolve('ddd --dataset synthetic', blocked), 'train'), (e: unknown) => e instanceof DatasetError && e.message.includes(path.join(blocked, 'data', 'synthetic')));
  });

  it('gives poses that take camera boxes to the global frame', () => {
    const ds = createDataset(resolve('ddd --dataset synthetic --seed 5', root), 'val');
    const s = ds.get(0);
    const world = generateWorldSample(5, 'val', 0, 112, 64, 1);
    // The camera origin is 1.51 m above the ego origin.
    const cam = cameraToGlobal(s.pose!, [0, 0, 0]);
    assert.ok(Math.abs(cam[2] - 1.51095763913) < 1e-9);
    // Objects stand on the ground: their global centre is half their height above z = 0.
    for (const o of s.objects) {
      const g = boxToGlobal(s.pose!, o.center, o.dim, o.rotY, o.velocityCam);
      assert.ok(Math.abs(g.translation[2] - o.dim[0] / 2) < 1e-6);
      assert.ok(Math.abs(Math.hypot(...g.velocity) - Math.hypot(o.velocityCam[0], o.velocityCam[2])) < 1e-6);
    }
    assert.equal(s.token, world.token);
  });
});

describe('targets and augmentation', () => {
  const root = tmpRoot();
  const opts = resolve('ddd --dataset synthetic --seed 3 --pointcloud', root);

  it('builds CenterNet targets: peak 1 at each centre index, offsets, size, depth, dim', () => {
    const ds = createDataset(opts, 'val') as ConvertedDataset;
    const g = ds.geometry;
    let objects = 0;
    for (let i = 0; i < ds.size; i++) {
      const s = ds.get(i);
      const anns = ds.records.annotations[i];
      for (let k = 0; k < g.maxObjs; k++) {
        if (!s.mask[k]) continue;
        objects++;
        const a = anns[k];
        // Without augmentation the output map is the image scaled by 1/4.
        const b = a.bbox.map((v) => v / 4);
        const x1 = Math.min(Math.max(b[0], 0), g.outputW - 1);
        const x2 = Math.min(Math.max(b[2], 0), g.outputW - 1);
        const y1 = Math.min(Math.max(b[1], 0), g.outputH - 1);
        const y2 = Math.min(Math.max(b[3], 0), g.outputH - 1);
        const cx = (x1 + x2) / 2;
        const cy = (y1 + y2) / 2;
        assert.equal(s.ind[k], Math.floor(cy) * g.outputW + Math.floor(cx));
        assert.equal(s.cat[k], a.cls - 1);
        assert.equal(s.hm[s.ind[k] * g.numClasses + s.cat[k]], 1);
        const close = (got: number, want: number, what: string): void => assert.ok(Math.abs(got - want) < 1e-4, `${what}: ${got} vs ${want}`);
        close(s.reg.reg.target[2 * k], cx - Math.floor(cx), 'reg x');
        close(s.reg.reg.target[2 * k + 1], cy - Math.floor(cy), 'reg y');
        close(s.reg.wh.target[2 * k], x2 - x1, 'w');
        close(s.reg.wh.target[2 * k + 1], y2 - y1, 'h');
        close(s.reg.dep.target[k], a.depth, 'depth');
        close(s.reg.dim.target[3 * k + 2], a.dim[2], 'length');
        close(s.reg.amodel_offset.target[2 * k], a.amodelCenter[0] / 4 - Math.floor(cx), 'amodal x');
        assert.equal(s.rotbin[2 * k] + s.rotbin[2 * k + 1] >= 1, true);
      }
      assert.equal(s.image.length, g.inputH * g.inputW * 3);
    }
    assert.ok(objects > 5);
  });

  /** A dataset over the same files with chosen augmentation settings. */
  function variant(base: ConvertedDataset, load: Partial<LoadOptions>): ConvertedDataset {
    return new ConvertedDataset({ ...base.spec, load: { ...base.spec.load, ...load } }, base.records);
  }

  it('flip: the image is mirrored, 3D objects and radar mirrored, and flipping twice is the identity', () => {
    const train = createDataset(opts, 'train') as ConvertedDataset;
    const still = { augment: true, notRandCrop: true, shift: 0, scale: 0, noColorAug: true };
    const plain = variant(train, { ...still, flip: 0 }).get(1);
    const flipped = variant(train, { ...still, flip: 1 }).get(1);
    const { inputH, inputW } = train.geometry;
    const mirror = (img: Float32Array): Float32Array => {
      const out = new Float32Array(img.length);
      for (let y = 0; y < inputH; y++) for (let x = 0; x < inputW; x++) for (let c = 0; c < 3; c++) out[(y * inputW + x) * 3 + c] = img[(y * inputW + (inputW - 1 - x)) * 3 + c];
      return out;
    };
    assert.deepEqual(flipped.image, mirror(plain.image));
    assert.deepEqual(mirror(flipped.image), plain.image, 'flip twice = identity');
    assert.equal(flipped.objects.length, plain.objects.length);
    flipped.objects.forEach((o, i) => {
      assert.equal(o.center[0], -plain.objects[i].center[0]);
      assert.ok(Math.abs(o.velocityCam[0] + plain.objects[i].velocityCam[0]) < 1e-12);
      assert.ok(Math.abs(Math.cos(o.rotY) + Math.cos(plain.objects[i].rotY)) < 1e-9);
    });
    assert.equal(flipped.radar!.count, plain.radar!.count);
    for (let i = 0; i < plain.radar!.count; i++) assert.equal(flipped.radar!.xyz[3 * i], -plain.radar!.xyz[3 * i]);
    // The camera follows: projecting a mirrored object with the flipped calib lands on the mirrored pixel.
    const o = plain.objects[0];
    const u = plain.calib.f * (o.center[0] / o.center[2]) + plain.calib.cx;
    const uf = flipped.calib.f * (-o.center[0] / o.center[2]) + flipped.calib.cx;
    assert.ok(Math.abs(uf - (inputW - 1 - u)) < 1e-6);
  });

  it('crop, scale and flip keep radar points inside the boxes of the objects they hit', () => {
    // A hand-made image: one car 15 m ahead, one radar return on its near face.
    const dir = tmpRoot();
    const W = 160;
    const Hh = 90;
    fs.mkdirSync(path.join(dir, 'samples'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'samples', 'a.png'), encodePng({ width: W, height: Hh, data: new Uint8Array(W * Hh * 3).fill(90) }));
    const f = 100;
    const car = { x: 2, yBottom: 1.5, z: 15, h: 1.6, w: 1.9, l: 4.5 };
    const proj = (x: number, y: number, z: number): number[] => [(f * x) / z + W / 2, (f * y) / z + Hh / 2];
    const [bx1] = proj(car.x - car.w / 2, 0, car.z - car.l / 2);
    const [bx2] = proj(car.x + car.w / 2, 0, car.z - car.l / 2);
    const by1 = proj(0, car.yBottom - car.h, car.z - car.l / 2)[1];
    const by2 = proj(0, car.yBottom, car.z - car.l / 2)[1];
    const hitDepth = car.z - car.l / 2 + 0.2; // just behind the near face, inside the frustum
    const radarRow = (v: number, i: number): number[] => [car.x, 1.0, hitDepth, 0, 0, 5, 0, 0, 0.5, 2, 1, 3, 0, 0, 0, 1, 17, 17].map((x, r) => (r === i ? v : x));
    const doc = {
      images: [{
        id: 1, file_name: 'samples/a.png', width: W, height: Hh, sample_token: 'tok',
        calib: [[f, 0, W / 2, 0], [0, f, Hh / 2, 0], [0, 0, 1, 0]],
        camera_intrinsic: [[f, 0, W / 2], [0, f, Hh / 2], [0, 0, 1]],
        radar_pc: Array.from({ length: 18 }, (_, r) => [radarRow(0, -1)[r]]),
      }],
      annotations: [{
        id: 1, image_id: 1, category_id: 1, dim: [car.h, car.w, car.l], location: [car.x, car.yBottom, car.z], depth: car.z,
        rotation_y: -Math.PI / 2, alpha: -Math.PI / 2 - Math.atan2(car.x, car.z), amodel_center: proj(car.x, car.yBottom - car.h / 2, car.z),
        bbox: [bx1, by1, bx2 - bx1, by2 - by1], attributes: 6, velocity_cam: [0, 0, 3],
      }],
      categories: [{ id: 1, name: 'car' }],
    };
    fs.writeFileSync(path.join(dir, 'train.json'), JSON.stringify(doc));
    const geometry: Geometry = { inputH: 64, inputW: 112, outputH: 16, outputW: 28, downRatio: 4, numClasses: 10, maxObjs: 128 };
    const load: LoadOptions = { ...loadOptionsOf(opts, 'train'), notRandCrop: true, shift: 0.1, scale: 0.2, flip: 0.5 };
    const ds = new ConvertedDataset({ kind: 'converted', name: 'hand', split: 'train', annotationPath: path.join(dir, 'train.json'), imageDir: dir, geometry, classNames: [...DATASET_INFO.nuscenes.class_name], load });
    let flips = 0;
    let hits = 0;
    for (let epoch = 0; epoch < 12; epoch++) {
      const s = ds.get(0, epoch);
      if (ds.augmentation(0, epoch).flipped) flips++;
      if (!s.mask[0] || s.radar!.count === 0) continue;
      const ix = s.ind[0] % geometry.outputW;
      const iy = Math.floor(s.ind[0] / geometry.outputW);
      const [l, t, r, b] = Array.from(s.reg.ltrb.target.subarray(0, 4));
      const px = (s.radar!.pillar[0] + s.radar!.pillar[2]) / 2;
      const py = s.radar!.pillar[3];
      assert.ok(px >= ix + l - 1e-3 && px <= ix + r + 1e-3, `epoch ${epoch}: radar x ${px} in [${ix + l}, ${ix + r}]`);
      assert.ok(py >= iy + t - 1e-3 && py <= iy + b + 1e-3, `epoch ${epoch}: radar y ${py} in [${iy + t}, ${iy + b}]`);
      // The association finds it: the pc_hm holds its depth at the centre of the box.
      assert.equal(s.pcHm![(iy * geometry.outputW + ix) * 3], Math.fround(Math.fround(hitDepth) / load.maxPcDist));
      hits++;
    }
    assert.ok(hits >= 6, `${hits} augmented samples kept the point`);
    assert.ok(flips > 0 && flips < 12, 'both flipped and unflipped samples were drawn');
  });
});

describe('the nuscenes dataset', () => {
  it('names the missing annotation file, with the sweeps folder CenterFusion reads', () => {
    const root = tmpRoot();
    const expectMissing = (args: string, file: string): void => {
      const opts = resolveOptions(parseArgv(args.split(' ')), { rootDir: root, dataset: DATASET_INFO.nuscenes });
      assert.throws(() => createDataset(opts, 'train'), (e: unknown) => e instanceof DatasetError && e.message.includes(path.join(root, 'data', 'nuscenes', file)));
    };
    expectMissing('ddd --dataset nuscenes --radar_sweeps 3', path.join('annotations_3sweeps', 'train.json'));
    expectMissing('ddd --dataset nuscenes --train_split mini_train', path.join('annotations', 'mini_train.json'));
  });

  it('names a missing image, explains JPEG, and names bad fields', () => {
    const root = tmpRoot();
    const annDir = path.join(root, 'data', 'nuscenes', 'annotations');
    fs.mkdirSync(annDir, { recursive: true });
    const image = { id: 1, file_name: 'samples/CAM_FRONT/x.jpg', width: 16, height: 8, sample_token: 't', calib: [[10, 0, 8, 0], [0, 10, 4, 0], [0, 0, 1, 0]], camera_intrinsic: [[10, 0, 8], [0, 10, 4], [0, 0, 1]] };
    fs.writeFileSync(path.join(annDir, 'train.json'), JSON.stringify({ images: [image], annotations: [], categories: [] }));
    const opts = resolveOptions(parseArgv(['ddd', '--dataset', 'nuscenes']), { rootDir: root, dataset: DATASET_INFO.nuscenes });
    const ds = createDataset(opts, 'train');
    assert.throws(() => ds.get(0), /JPEG images cannot be read.*x\.png/);
    fs.writeFileSync(path.join(annDir, 'train.json'), JSON.stringify({ images: [{ ...image, file_name: 'samples/CAM_FRONT/x.png' }], annotations: [], categories: [] }));
    assert.throws(() => createDataset(opts, 'train').get(0), (e: unknown) => e instanceof DatasetError && e.message.includes(path.join(root, 'data', 'nuscenes', 'samples', 'CAM_FRONT', 'x.png')));
    fs.writeFileSync(path.join(annDir, 'train.json'), JSON.stringify({ images: [{ ...image, width: 'wide' }], annotations: [], categories: [] }));
    assert.throws(() => createDataset(opts, 'train'), /train\.json: images\[0\]: width must be a finite number/);
    // Python's json writes bare NaN for unknown velocities: accepted, and the object gets no velocity target.
    fs.writeFileSync(
      path.join(annDir, 'train.json'),
      JSON.stringify({ images: [image], annotations: [{ id: 1, image_id: 1, category_id: 1, dim: [1, 1, 1], location: [0, 1, 5], depth: 5, rotation_y: 0, alpha: 0, amodel_center: [8, 4], bbox: [6, 2, 4, 4], velocity_cam: ['NAN', 0, 0] }], categories: [] }).replace('"NAN"', 'NaN'),
    );
    const split = readConverted(path.join(annDir, 'train.json'));
    assert.equal(split.annotations[0][0].velocityCam, null);
  });
});

describe('the loader', () => {
  const root = tmpRoot();
  const opts = resolve('ddd --dataset synthetic --seed 9 --pointcloud --num_iters 3 --batch_size 4', root);

  async function collect(numWorkers: number): Promise<Sample[][]> {
    const ds = createDataset(opts, 'train');
    const loader = createLoader(ds, { batchSize: 4, shuffle: true, seed: 9, numWorkers, dropLast: true });
    const out: Sample[][] = [];
    try {
      for (const epoch of [1, 2]) for await (const b of loader.batches(epoch)) out.push(b);
    } finally {
      await loader.close();
    }
    return out;
  }

  it('num_workers 2 gives exactly the batches of num_workers 0', async () => {
    const inline = await collect(0);
    const threaded = await collect(2);
    assert.equal(inline.length, 16);
    assert.deepEqual(threaded, inline);
    // A shuffled plan: not the identity order, and different per epoch.
    const loader = createLoader(createDataset(opts, 'train'), { batchSize: 4, shuffle: true, seed: 9, numWorkers: 0, dropLast: false });
    assert.notDeepEqual(loader.plan(1), loader.plan(2));
    assert.deepEqual(loader.plan(1).flat().sort((a, b) => a - b), Array.from({ length: 32 }, (_, i) => i));
  });

  it('reports a dataset error from a worker as a DatasetError', async () => {
    const ds = createDataset(opts, 'val') as ConvertedDataset;
    const broken = new ConvertedDataset({ ...ds.spec, imageDir: path.join(root, 'nowhere') }, ds.records);
    const loader = createLoader(broken, { batchSize: 2, shuffle: false, seed: 0, numWorkers: 1, dropLast: false });
    try {
      await assert.rejects(async () => {
        for await (const b of loader.batches(0)) void b;
      }, (e: unknown) => e instanceof DatasetError && /image not found/.test(e.message));
    } finally {
      await loader.close();
    }
  });

  const CLI = path.join(REPO, 'dist', 'cli.js');
  it('dist/cli.js answers as a data worker (the CLI bundle is the worker entry)', { skip: !fs.existsSync(CLI) && 'dist/cli.js not built', timeout: 60_000 }, async () => {
    const ds = createDataset(opts, 'val') as ConvertedDataset;
    const worker = new Worker(`require(${JSON.stringify(CLI)});`, { eval: true, workerData: { [WORKER_MARK]: true, spec: ds.spec } });
    try {
      const reply = await new Promise<WorkerReply>((res, rej) => {
        worker.once('message', res);
        worker.once('error', rej);
        worker.postMessage({ id: 7, index: 1, epoch: 0 });
      });
      assert.equal(reply.id, 7);
      assert.ok('sample' in reply, JSON.stringify(reply));
      assert.deepEqual(reply.sample, ds.get(1));
    } finally {
      await worker.terminate();
    }
  });

  it('works from an esbuild bundle: the bundle file itself is the worker entry', { timeout: 120_000 }, () => {
    const dir = tmpRoot();
    const entry = path.join(dir, 'entry.ts');
    const src = (p: string): string => JSON.stringify(path.join(REPO, 'src', p).split(path.sep).join('/'));
    fs.writeFileSync(
      entry,
      [
        `import { createDataset } from ${src('trainer/data/index.ts')};`,
        `import { createLoader } from ${src('trainer/data/loader.ts')};`,
        `import { parseArgv, resolveOptions, DATASET_INFO } from ${src('shared/options/index.ts')};`,
        'if (require.main === module) {',
        '  const opts = resolveOptions(parseArgv(process.argv.slice(3)), { rootDir: process.argv[2], dataset: DATASET_INFO.synthetic });',
        '  (async () => {',
        '    const sums: number[] = [];',
        '    for (const numWorkers of [0, 2]) {',
        "      const loader = createLoader(createDataset(opts, 'train'), { batchSize: 4, shuffle: true, seed: 1, numWorkers, dropLast: true });",
        '      let s = 0;',
        '      for await (const b of loader.batches(1)) for (const x of b) s += x.image.reduce((a, v) => a + v, 0) + x.pcHm!.reduce((a, v) => a + v, 0);',
        '      await loader.close();',
        '      sums.push(s);',
        '    }',
        '    process.stdout.write(JSON.stringify(sums));',
        '  })();',
        '}',
      ].join('\n'),
    );
    const bundle = path.join(dir, 'bundle.js');
    const build = spawnSync(process.execPath, ['-e', `require('esbuild').buildSync({ entryPoints: [${JSON.stringify(entry)}], outfile: ${JSON.stringify(bundle)}, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' })`], { cwd: REPO, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const run = spawnSync(process.execPath, [bundle, path.join(dir, 'root'), 'ddd', '--dataset', 'synthetic', '--pointcloud'], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(run.status, 0, run.stderr);
    const [inline, threaded] = JSON.parse(run.stdout) as number[];
    assert.ok(Number.isFinite(inline) && inline !== 0);
    assert.equal(threaded, inline);
  });
});
