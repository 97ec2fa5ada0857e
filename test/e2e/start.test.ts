// `npm start` without desktop VS Code: scripts/start.mjs installs/uses code-server, serves the
// demo workspace with the extension, prints the URL, and on Ctrl-C (SIGINT) stops everything.
// Runs in a sandbox (HOME, TMPDIR, profile, demo workspace), with the bundles already built.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as E2E from '../../scripts/e2e-lib.mjs';

const repoRoot = resolve(__dirname, '..', '..', '..'); // out/test/e2e -> repo
// tsc compiles this file to CommonJS (import() would become require()); the library is ESM.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let lib: typeof E2E | undefined;
let sandbox: E2E.Sandbox | undefined;
let child: ChildProcess | undefined;

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (!lib || !sandbox) return;
  const marker = sandbox.root;
  let left = lib.processesWith(marker);
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = lib.processesWith(marker);
  }
  for (const p of left) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  lib.removeSandbox(sandbox);
  assert.deepEqual(left.map((p) => `${p.pid} ${p.cmdline.slice(0, 160)}`), [], 'processes left behind by npm start');
});

test('npm start serves the demo workspace in code-server and stops cleanly on Ctrl-C', { timeout: 180_000 }, async () => {
  lib = (await importEsm(pathToFileURL(join(repoRoot, 'scripts', 'e2e-lib.mjs')).href)) as typeof E2E;
  assert.ok(existsSync(join(repoRoot, 'dist', 'extension.js')), 'dist/extension.js missing: run node scripts/build.mjs');
  sandbox = lib.makeSandbox({ prefix: 'cfs-start-' });
  const port = await lib.freePort();
  const proc = spawn(process.execPath, [join(repoRoot, 'scripts', 'start.mjs'), '--server', '--no-build'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...sandbox.env,
      PORT: String(port),
      CFS_DEMO_WORKSPACE: join(sandbox.root, 'demo-workspace'),
      CFS_START_PROFILE: join(sandbox.root, 'start-profile'),
    },
  });
  child = proc;
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));

  const t0 = Date.now();
  let url: string | undefined;
  while (!url) {
    url = /CenterFusion Studio is running in VS Code at (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(output)?.[1];
    if (url) break;
    assert.ok(proc.exitCode === null, `start.mjs exited early (${proc.exitCode}):\n${output}`);
    assert.ok(Date.now() - t0 < 120_000, `no URL printed within 120 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`# URL printed after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${url}`);
  assert.equal(new URL(url).port, String(port), 'uses the port from $PORT');
  assert.equal(new URL(url).searchParams.get('folder'), join(sandbox.root, 'demo-workspace'));
  assert.ok(existsSync(join(sandbox.root, 'demo-workspace', '.centerfusion', 'configs', 'demo.json')), 'demo workspace has the demo config');
  assert.ok(existsSync(join(sandbox.root, 'start-profile', 'extensions', `${lib.EXTENSION_ID}-${lib.EXTENSION_VERSION}`)), 'extension linked');

  const res = await fetch(url, { redirect: 'manual' });
  assert.ok([200, 302].includes(res.status), `GET ${url} -> ${res.status}`);
  const body = await res.text();
  if (res.status === 200) assert.match(body, /workbench/i, 'the page is the VS Code workbench');

  proc.kill('SIGINT'); // what Ctrl-C sends
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, `start.mjs after SIGINT: ${code}\n${output}`);
  assert.match(output, /stopped\./);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the server is gone');
});
