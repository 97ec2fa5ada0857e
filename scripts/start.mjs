// `npm start`: build, refresh the demo workspace, and open it in VS Code with the extension.
//  - With desktop VS Code's `code` on PATH: `code --extensionDevelopmentPath=<repo> demo-workspace`.
//  - Otherwise: VS Code in the browser (code-server 4.100.3, installed once into .cache/, no
//    internet needed after that) on http://127.0.0.1:$PORT (default 8080, or the next free port),
//    with the extension linked in, until Ctrl-C.
// Usage: node scripts/start.mjs [--server] [--no-build]
//   --server     use code-server even when `code` exists (also CFS_START_SERVER=1)
//   --no-build   skip `node scripts/build.mjs`
// Env: PORT, CFS_CACHE_DIR (cache root), CFS_DEMO_WORKSPACE (default <repo>/demo-workspace),
//      CFS_START_PROFILE (code-server user data + extensions, default <cache>/start).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  repoRoot, which, ensureCodeServer, installExtension, startCodeServer, freePort, cacheRoot,
  DEFAULT_SETTINGS, FALLBACK_DEMO_CONFIG,
} from './e2e-lib.mjs';

const args = process.argv.slice(2);
const useServer = args.includes('--server') || process.env.CFS_START_SERVER === '1';
const workspace = resolve(process.env.CFS_DEMO_WORKSPACE || join(repoRoot, 'demo-workspace'));

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

// 1. Build the bundles.
if (!args.includes('--no-build')) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) fail(`build failed (exit ${r.status ?? r.signal})`);
}
if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) fail('dist/extension.js is missing after the build');

// 2. The demo workspace: a copy of demo/ (configs are refreshed; runs already in it are kept).
mkdirSync(workspace, { recursive: true });
const demo = join(repoRoot, 'demo');
if (existsSync(demo)) cpSync(demo, workspace, { recursive: true, force: true });
const demoConfig = join(workspace, '.centerfusion', 'configs', 'demo.json');
if (!existsSync(demoConfig)) {
  mkdirSync(join(workspace, '.centerfusion', 'configs'), { recursive: true });
  writeFileSync(demoConfig, JSON.stringify(FALLBACK_DEMO_CONFIG, null, 2) + '\n');
}

// 3a. Desktop VS Code.
const code = useServer ? undefined : which('code');
if (code) {
  console.log(`Opening ${workspace} in VS Code with CenterFusion Studio from ${repoRoot}`);
  const child = spawn(code, [`--extensionDevelopmentPath=${repoRoot}`, workspace], { stdio: 'inherit' });
  child.on('error', (e) => fail(`could not run ${code}: ${e.message}`));
  child.on('exit', (status) => process.exit(status ?? 0));
} else {
  // 3b. VS Code in the browser.
  await ensureCodeServer().catch((e) => fail(e instanceof Error ? e.message : String(e)));
  const profile = resolve(process.env.CFS_START_PROFILE || join(cacheRoot(), 'start'));
  const userData = join(profile, 'user-data');
  const extensions = join(profile, 'extensions');
  const settings = join(userData, 'User', 'settings.json');
  if (!existsSync(settings)) {
    mkdirSync(join(userData, 'User'), { recursive: true });
    writeFileSync(settings, JSON.stringify(DEFAULT_SETTINGS, null, 2));
  }
  const configFile = join(profile, 'code-server.yaml'); // else it writes ~/.config/code-server/config.yaml
  if (!existsSync(configFile)) writeFileSync(configFile, 'auth: none\ncert: false\n');
  // A link to the repository: after a rebuild, "Developer: Reload Window" picks up the changes.
  await installExtension(extensions, { mode: 'link' });
  const requested = Number(process.env.PORT || 8080);
  const port = await freePort(requested);
  if (port !== requested) console.log(`Port ${requested} is busy; using ${port}.`);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const logFile = join(profile, 'code-server.log');
  let server;
  try {
    server = await startCodeServer({ userDataDir: userData, extensionsDir: extensions, workspace, port, env, logFile, configFile });
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  console.log(`\nCenterFusion Studio is running in VS Code at ${server.folderUrl(workspace)}\n`);
  console.log(`(code-server ${server.url}, log ${logFile}; press Ctrl-C to stop)`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping code-server...`);
    try {
      await server.stop();
      console.log('stopped.');
      process.exit(0);
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => void stop(s));
  server.done.then(async (how) => {
    if (stopping) return;
    await server.stop().catch(() => undefined); // its children, if any
    fail(`code-server exited (${how.code ?? how.signal}); see ${logFile}`);
  });
}
