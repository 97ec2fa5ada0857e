/**
 * Activation time and bundle size of the extension host bundle (dist/extension.js).
 *
 *   npm run bench -- activation        (node out/bench/activation.js [--repeats N]; needs `npm run build`)
 *
 * Activation: each repeat is a fresh node process (a cold require, as in VS Code's extension
 * host) that loads the node built-ins VS Code's extension host already holds (HOST_BUILTINS,
 * untimed), installs a stand-in `vscode` module (bench/vscodeStub.ts, via
 * Module._resolveFilename), then times require('dist/extension.js') and activate(context) with
 * no workspace folder open. The same is measured cold (no built-ins preloaded) for reference. Baseline, in the same processes: a cold require of an empty module
 * plus the stand-in vscode module alone. Goal: require + activate <= 50 ms (median).
 *
 * Size: dist/extension.js in bytes (goal <= 1 MB, and no tfjs inside); baseline: the same entry
 * bundled minified by esbuild in this run (what `node scripts/build.mjs --minify` would ship).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Bench, median, runMain } from './lib';

const ROOT = process.cwd();
const BUNDLE = path.join(ROOT, 'dist', 'extension.js');

/**
 * Node built-in modules that VS Code's extension host has loaded before any extension activates
 * (it uses them itself: files, processes, IPC sockets, crypto). Loading them costs about 30 ms
 * in a bare node process, a cost an extension does not pay inside VS Code, so the warm
 * measurement loads them first (untimed) and the cold one does not.
 */
const HOST_BUILTINS = ['fs', 'fs/promises', 'path', 'os', 'child_process', 'crypto', 'net', 'stream', 'events', 'util', 'url', 'string_decoder'];

interface ChildTimes {
  emptyMs: number;
  stubMs: number;
  requireMs: number;
  activateMs: number;
  /** CPU time (user + system) of require + activate: steadier than wall time on a shared machine. */
  cpuMs: number;
  /** CPU time of the baseline (empty module + stand-in). */
  baseCpuMs: number;
  subscriptions: number;
}

/** One measurement in this (fresh) process; prints a JSON line. */
function child(emptyFile: string, warm: boolean): void {
  if (warm) for (const m of HOST_BUILTINS) require(m);
  const base0 = process.cpuUsage();
  let t = performance.now();
  require(emptyFile);
  const emptyMs = performance.now() - t;
  t = performance.now();
  // Required here, inside the timed region: the stand-in module's own cost is the baseline.
  const { installVscodeStub } = require('./vscodeStub') as typeof import('./vscodeStub');
  installVscodeStub();
  require('vscode');
  const stubMs = performance.now() - t;
  const base = process.cpuUsage(base0);
  const baseCpuMs = (base.user + base.system) / 1000;
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const ext = require(BUNDLE) as { activate(context: unknown): unknown };
  const requireMs = performance.now() - t;
  const { Uri } = require('vscode') as typeof import('./vscodeStub');
  const memento = { get: <T>(_k: string, d?: T) => d, update: async () => undefined, keys: () => [] };
  const context = {
    subscriptions: [] as { dispose(): unknown }[],
    extensionPath: ROOT,
    extensionUri: Uri.file(ROOT),
    globalState: memento,
    workspaceState: memento,
    storageUri: undefined,
    globalStorageUri: Uri.file(path.join(os.tmpdir(), 'cf-bench-global')),
    logUri: Uri.file(os.tmpdir()),
    extensionMode: 1,
    asAbsolutePath: (p: string) => path.join(ROOT, p),
  };
  t = performance.now();
  ext.activate(context);
  const activateMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const out: ChildTimes = { emptyMs, stubMs, requireMs, activateMs, cpuMs, baseCpuMs, subscriptions: context.subscriptions.length };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  for (const d of context.subscriptions) d.dispose();
  setTimeout(() => process.exit(0), 50); // let the deferred work after activation run, then stop
}

function measure(empty: string, repeats: number, warm: boolean): ChildTimes[] {
  const runs: ChildTimes[] = [];
  for (let i = 0; i < repeats + 1; i++) {
    const args = [__filename, '--child', empty, ...(warm ? ['--warm'] : [])];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`activation child failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const times = JSON.parse(line) as ChildTimes;
    if (i > 0) runs.push(times); // the first warms the file cache
  }
  return runs;
}

function activation(bench: Bench, repeats: number): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`node scripts/build.mjs\` first`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-bench-activation-'));
  try {
    const empty = path.join(dir, 'empty.js');
    writeFileSync(empty, '');
    const cold = measure(empty, repeats, false);
    const runs = measure(empty, repeats, true);
    const total = median(runs.map((r) => r.requireMs + r.activateMs));
    const base = median(runs.map((r) => r.emptyMs + r.stubMs));
    bench.figure({
      name: `activation: require(dist/extension.js) + activate(), fresh process with the extension host's node built-ins loaded, median of ${repeats}`,
      value: total,
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'require of an empty module + the vscode stand-in', value: base },
      goal: { op: '<=', value: 50 },
      note: `require ${median(runs.map((r) => r.requireMs)).toFixed(1)} ms, activate ${median(runs.map((r) => r.activateMs)).toFixed(1)} ms, CPU time ${median(runs.map((r) => r.cpuMs)).toFixed(1)} ms, ${runs[0].subscriptions} disposables registered`,
    });
    bench.figure({
      name: `activation CPU time (user + system; steadier than wall time on a shared machine), same processes`,
      value: median(runs.map((r) => r.cpuMs)),
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'CPU time of the empty module + the vscode stand-in', value: median(runs.map((r) => r.baseCpuMs)) },
      goal: { op: '<=', value: 50 },
    });
    bench.figure({
      name: `activation in a bare node process (built-ins loaded by the bundle too), median of ${repeats}`,
      value: median(cold.map((r) => r.requireMs + r.activateMs)),
      unit: 'ms',
      better: 'lower',
      baseline: { name: 'require of an empty module + the vscode stand-in', value: median(cold.map((r) => r.emptyMs + r.stubMs)) },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function size(bench: Bench): Promise<void> {
  const bytes = statSync(BUNDLE).size;
  const text = readFileSync(BUNDLE, 'utf8');
  const tfjs = /@tensorflow|tfjs-core/.test(text);
  let minified = NaN;
  try {
    // esbuild is a dev dependency (the project's bundler); same options as scripts/build.mjs plus minify.
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    const out = await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/extension/extension.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    minified = out.outputFiles[0].contents.length;
  } catch (err) {
    bench.note(`minified baseline not built: ${err instanceof Error ? err.message : String(err)}`);
  }
  bench.figure({
    name: 'bundle size: dist/extension.js',
    value: bytes / 1e6,
    unit: 'MB',
    better: 'lower',
    baseline: Number.isFinite(minified) ? { name: 'same entry minified by esbuild', value: minified / 1e6 } : undefined,
    goal: { op: '<=', value: 1 },
    note: tfjs ? 'CONTAINS tfjs' : 'no tfjs inside',
  });
  if (tfjs) throw new Error('dist/extension.js contains tfjs');
}

if (require.main === module) {
  if (process.argv[2] === '--child') child(process.argv[3], process.argv[4] === '--warm');
  else {
    runMain('activation', async (bench) => {
      const i = process.argv.indexOf('--repeats');
      const repeats = i >= 0 ? Number(process.argv[i + 1]) : 9;
      if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats needs a positive integer');
      activation(bench, repeats);
      await size(bench);
    });
  }
}
