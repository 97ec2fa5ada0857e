// The benchmark runner (`npm run bench`): bundle, compile with tsc, run each benchmark in its own
// node process, and gather the results.
//   node scripts/bench.mjs                 every benchmark, in the order below
//   node scripts/bench.mjs ingest scale    only these (npm run bench -- ingest scale)
//   node scripts/bench.mjs --list          the benchmarks and whether their file exists
//   node scripts/bench.mjs --no-build      skip the bundle and tsc steps (already built)
//   node scripts/bench.mjs --readme        after running, rewrite README.md's benchmark table
//   node scripts/bench.mjs --readme-only   only rewrite the table from bench/results/latest.json
//   --out DIR                              compile to DIR instead of out/
//   -- ARGS                                pass ARGS to the benchmark (when exactly one is named)
//
// Each benchmark prints its figures with a baseline measured in the same run and the ratio, and
// writes bench/results/<name>.json (bench/lib.ts). A benchmark whose file does not exist yet is
// reported as skipped, not as a failure. bench/results/latest.json keeps the newest record of
// every benchmark (committed, so that the README table can be regenerated from it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as os from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'bench', 'results');
const latestFile = join(resultsDir, 'latest.json');

/**
 * Every benchmark, in run order: its file, the arguments it gets when run with others (alone it
 * gets none, i.e. its full defaults, or what follows `--`) and a time limit.
 * The limits keep `npm run bench` under 10 minutes on the project's 2-core machine.
 */
export const BENCHES = [
  { name: 'activation', what: 'activation time and bundle size', suiteArgs: [], limitS: 60 },
  { name: 'ingest', what: 'protocol events and CenterFusion text, event-loop stalls', suiteArgs: [], limitS: 200 },
  { name: 'scale', what: '1,000 runs x 100 epochs, Runs tree, dashboard points', suiteArgs: [], limitS: 120 },
  { name: 'eval', what: 'nuScenes evaluation on a val-sized input', suiteArgs: ['--no-file'], limitS: 150 },
  { name: 'dashboard', what: 'dashboard render in chromium', suiteArgs: [], limitS: 120 },
  { name: 'fuzz', what: 'seeded fuzzing of the protocol reader and the text adapter', suiteArgs: [], limitS: 90 },
  { name: 'train', what: 'trainer images/s against PyTorch', suiteArgs: [], limitS: 150 },
  { name: 'live', what: 'live path: trainer event to dashboard chart (code-server + chromium)', suiteArgs: [], limitS: 150 },
  // Last: its 20 trainers leave the load average high for a minute after they end.
  { name: 'load', what: '20 real trainers at once against the host (event-loop delay, memory)', suiteArgs: [], limitS: 120 },
];

/** The whole suite's time budget (issue #9: `npm run bench` in under 10 minutes), build included. */
const SUITE_BUDGET_S = 580;
/** Alone, a benchmark runs with its full defaults (eval parses a 1 GB file, train may do DLA-34): a safety net only. */
const ALONE_LIMIT_S = 3600;

function parseArgs(argv) {
  const o = { names: [], build: true, readme: false, readmeOnly: false, list: false, outDir: 'out', passthrough: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      o.passthrough = argv.slice(i + 1);
      break;
    } else if (a === '--no-build') o.build = false;
    else if (a === '--readme') o.readme = true;
    else if (a === '--readme-only') o.readmeOnly = true;
    else if (a === '--list') o.list = true;
    else if (a === '--out') o.outDir = argv[++i];
    else if (a.startsWith('-')) {
      console.error(`unknown option ${a}; see the top of scripts/bench.mjs`);
      process.exit(2);
    } else o.names.push(a);
  }
  for (const n of o.names) {
    if (!BENCHES.some((b) => b.name === n)) {
      console.error(`unknown benchmark "${n}"; known: ${BENCHES.map((b) => b.name).join(', ')}`);
      process.exit(2);
    }
  }
  if (o.passthrough.length > 0 && o.names.length !== 1) {
    console.error('arguments after -- need exactly one benchmark name');
    process.exit(2);
  }
  return o;
}

function writeJsonAtomic(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    load1: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

function step(title, cmd, args, { allowFail = false } = {}) {
  console.log(`\n== ${title}: ${[cmd, ...args].map((a) => relative(root, a) || a).join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    if (!allowFail) {
      console.error(`${title} failed (exit ${r.status ?? r.signal})`);
      process.exit(r.status || 1);
    }
    console.warn(`${title} reported errors (exit ${r.status ?? r.signal}); going on with what it emitted`);
  }
}

/** Runs one benchmark process with a time limit; resolves with its exit status. */
function runOne(file, args, limitS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', file, ...args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, BENCH_RESULTS_DIR: resultsDir },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, limitS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut: false, error: err.message });
    });
  });
}

function record(name, status, reason) {
  return { bench: name, status, reason, date: new Date().toISOString(), machine: machine(), durationS: 0, peakRssMiB: 0, figures: [], notes: [] };
}

function fmt(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function goalText(f) {
  const parts = [];
  if (f.goal) parts.push(`${f.goal.op} ${fmt(f.goal.value)} ${f.unit}: ${f.goal.met ? 'met' : '**not met**'}`);
  if (f.ratioGoal) parts.push(`ratio ${f.ratioGoal.op} ${f.ratioGoal.value}: ${f.ratioGoal.met ? 'met' : '**not met**'}`);
  return parts.join('; ');
}

/** The markdown table of a latest.json. */
export function markdownTable(latest) {
  const lines = [];
  const machines = new Set();
  const loads = [];
  lines.push('| benchmark | figure | value | baseline (same run) | ratio | goal |');
  lines.push('|---|---|---|---|---|---|');
  for (const b of BENCHES) {
    const r = latest.results?.[b.name];
    if (r === undefined) continue;
    if (r.status !== 'ok' || (r.figures ?? []).length === 0) {
      lines.push(`| ${b.name} | ${r.status}${r.reason ? `: ${String(r.reason).replace(/\|/g, '\\|').split('\n')[0]}` : ''} | | | | |`);
      continue;
    }
    machines.add(`${r.machine.cores} x ${r.machine.cpu}, ${r.machine.memGiB} GiB, node ${r.machine.node}`);
    loads.push(`${b.name} ${r.machine.load1}`);
    for (const f of r.figures) {
      const base = f.baseline ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.name})` : '–';
      const ratio = typeof f.ratio === 'number' ? f.ratio.toFixed(2) : '–';
      lines.push(`| ${b.name} | ${f.name.replace(/\|/g, '\\|')} | ${fmt(f.value)} ${f.unit} | ${base.replace(/\|/g, '\\|')} | ${ratio} | ${goalText(f) || '–'} |`);
    }
  }
  const date = latest.updated ? latest.updated.slice(0, 16).replace('T', ' ') + ' UTC' : 'unknown date';
  const where = `machine: ${[...machines].join('; ') || 'unknown'}; 1-minute load average when each started: ${loads.join(', ')}`;
  return [`Latest figures (${date}; ${where}):`, '', ...lines].join('\n');
}

const BEGIN = '<!-- bench:begin (generated by `node scripts/bench.mjs --readme-only` from bench/results/latest.json) -->';
const END = '<!-- bench:end -->';

/**
 * Merges into bench/results/latest.json: this invocation's records, and for the others any
 * bench/results/<name>.json newer than the summary's entry (a benchmark run on its own, e.g.
 * `node out/bench/train.js`). A skipped benchmark keeps its previous figures, if any.
 */
function writeLatest(results) {
  const previous = readJson(latestFile) ?? { results: {} };
  const latest = { updated: new Date().toISOString(), machine: machine(), results: { ...previous.results } };
  for (const b of BENCHES) {
    if (results[b.name] !== undefined) continue;
    const own = readJson(join(resultsDir, `${b.name}.json`));
    const known = latest.results[b.name];
    if (own?.bench === b.name && typeof own.date === 'string' && (known === undefined || own.date > known.date)) latest.results[b.name] = own;
  }
  for (const [name, rec] of Object.entries(results)) {
    if (rec.status !== 'skipped' || latest.results[name] === undefined || latest.results[name].status === 'skipped') latest.results[name] = rec;
  }
  writeJsonAtomic(latestFile, latest);
  return latest;
}

function updateReadme() {
  writeLatest({});
  const latest = readJson(latestFile);
  if (latest === undefined) {
    console.error(`no ${relative(root, latestFile)} yet: run the benchmarks first`);
    process.exit(1);
  }
  const file = join(root, 'README.md');
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf('<!-- bench:begin');
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    console.error('README.md has no <!-- bench:begin --> ... <!-- bench:end --> markers in its Benchmarks section');
    process.exit(1);
  }
  const next = `${text.slice(0, a)}${BEGIN}\n${markdownTable(latest)}\n${text.slice(b)}`;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, file);
  console.log('README.md: benchmark table updated');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const outDir = join(root, o.outDir);
  if (o.list) {
    for (const b of BENCHES) console.log(`${b.name.padEnd(11)} ${existsSync(join(root, 'bench', `${b.name}.ts`)) ? '      ' : '(none)'} ${b.what}`);
    return;
  }
  if (o.readmeOnly) return updateReadme();
  const selected = o.names.length > 0 ? BENCHES.filter((b) => o.names.includes(b.name)) : BENCHES;
  const t0 = Date.now();
  if (o.build) {
    step('bundle', process.execPath, ['scripts/build.mjs']);
    // tsc reports errors in files being edited elsewhere but still emits; go on with that.
    step('compile', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', outDir], { allowFail: true });
  }
  const results = {};
  for (const b of selected) {
    const src = join(root, 'bench', `${b.name}.ts`);
    const js = join(outDir, 'bench', `${b.name}.js`);
    if (!existsSync(src)) {
      console.log(`\n== ${b.name}: skipped (bench/${b.name}.ts does not exist yet)`);
      results[b.name] = record(b.name, 'skipped', `bench/${b.name}.ts does not exist yet`);
      continue;
    }
    if (!existsSync(js)) {
      console.log(`\n== ${b.name}: failed (not compiled: ${relative(root, js)} missing)`);
      results[b.name] = record(b.name, 'failed', `${relative(root, js)} was not emitted by tsc`);
      continue;
    }
    const args = o.passthrough.length > 0 ? o.passthrough : selected.length === 1 ? [] : b.suiteArgs;
    // In the suite, a benchmark gets its limit but no more than the budget left.
    const left = SUITE_BUDGET_S - (Date.now() - t0) / 1000;
    const limitS = selected.length === 1 ? ALONE_LIMIT_S : Math.floor(Math.min(b.limitS, left - 5));
    if (limitS < 10) {
      console.log(`\n== ${b.name}: skipped (the suite's ${SUITE_BUDGET_S} s budget is spent)`);
      results[b.name] = record(b.name, 'skipped', `the suite's ${SUITE_BUDGET_S} s time budget was spent before it`);
      continue;
    }
    console.log(`\n== ${b.name}: node ${relative(root, js)} ${args.join(' ')} (limit ${limitS} s)`);
    const resultFile = join(resultsDir, `${b.name}.json`);
    const before = existsSync(resultFile) ? statSync(resultFile).mtimeMs : 0;
    const started = Date.now();
    const r = await runOne(js, args, limitS);
    const fresh = existsSync(resultFile) && statSync(resultFile).mtimeMs > before ? readJson(resultFile) : undefined;
    let rec = fresh;
    if (r.timedOut) rec = { ...(fresh ?? record(b.name, 'failed')), status: 'failed', reason: `timed out after ${limitS} s` };
    else if (rec === undefined) {
      rec = record(b.name, r.code === 0 ? 'ok' : 'failed', r.code === 0 ? 'printed its figures but wrote no bench/results record' : `exit ${r.code ?? r.signal}${r.error ? `: ${r.error}` : ''}`);
    } else if (r.code !== 0 && rec.status === 'ok') rec = { ...rec, status: 'failed', reason: `exit ${r.code ?? r.signal}` };
    rec.durationS ||= Math.round((Date.now() - started) / 100) / 10;
    results[b.name] = rec;
  }

  writeLatest(results);

  console.log(`\n== summary (${((Date.now() - t0) / 1000).toFixed(0)} s), written to ${relative(root, latestFile)}`);
  let failed = 0;
  for (const [name, rec] of Object.entries(results)) {
    const goals = (rec.figures ?? []).flatMap((f) => [f.goal, f.ratioGoal].filter(Boolean));
    const met = goals.filter((g) => g.met).length;
    console.log(`  ${name.padEnd(11)} ${rec.status.padEnd(8)} ${rec.durationS ?? 0} s${goals.length > 0 ? `, goals met ${met}/${goals.length}` : ''}${rec.reason ? `  (${rec.reason.split('\n')[0]})` : ''}`);
    if (rec.status === 'failed') failed++;
  }
  if (o.readme) updateReadme();
  if (failed > 0) process.exitCode = 1;
}

await main();
