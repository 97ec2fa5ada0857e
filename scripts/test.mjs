// The one test command (`npm test`): build the bundles, type-check and compile the tests, run
// the unit/integration tests with node's test runner, then the real-VS-Code end-to-end tests.
//   node scripts/test.mjs            everything
//   node scripts/test.mjs --unit     build + unit/integration tests only
//   node scripts/test.mjs --e2e      build + end-to-end tests only
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unit = !args.includes('--e2e');
const e2e = !args.includes('--unit');

function step(title, cmd, cmdArgs, env = {}) {
  console.log(`\n== ${title}: ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const node = process.execPath;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
step('bundle', node, ['scripts/build.mjs']);
step('type-check and compile', node, [tsc, '-p', 'tsconfig.json']);
if (existsSync(join(root, 'webview', 'tsconfig.json'))) step('type-check webviews', node, [tsc, '-p', 'webview/tsconfig.json']);
if (unit) step('unit and integration tests', node, ['--test', '--test-concurrency=2', 'out/test/unit']);
if (e2e) {
  step('end-to-end setup (Debian chromium, code-server)', node, ['test/e2e/setup.mjs']);
  step('end-to-end tests in code-server', node, ['--test', '--test-concurrency=1', 'out/test/e2e']);
}
