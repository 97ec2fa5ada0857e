// Shared helpers for running CenterFusion Studio inside a real VS Code (code-server, the
// browser build of VS Code with a real Node extension host), used by:
//   test/e2e/setup.mjs   installs what the end-to-end tests need (cached)
//   test/e2e/*.test.ts   the end-to-end tests (they import this file with a dynamic import)
//   scripts/start.mjs    `npm start`: the demo in VS Code
// Nothing here may depend on files outside the repository at run time.
//
// Why code-server: desktop VS Code test runners download VS Code from Microsoft's update
// servers; code-server comes from the npm registry, and Debian's chromium drives it.
import { spawn } from 'node:child_process';
import {
  existsSync, mkdirSync, rmSync, writeFileSync, readFileSync, readdirSync, cpSync, mkdtempSync,
  symlinkSync, lstatSync, statSync, openSync, closeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, delimiter, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** code-server 4.100.3 = VS Code 1.100.3: the newest code-server that runs on Node 20. */
export const CODE_SERVER_VERSION = '4.100.3';
/** What code-server 4.100.3's @vscode/ripgrep downloads in its postinstall (we supply it). */
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_BINARY_VERSION = 'v13.0.0-10';
export const CHROMIUM_PATH = process.env.CFS_CHROMIUM || '/usr/bin/chromium';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
export const EXTENSION_ID = `${pkg.publisher}.${pkg.name}`;
export const EXTENSION_VERSION = pkg.version;

const log = (...a) => console.log('[e2e]', ...a);
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** Cache root: $CFS_CACHE_DIR or <repo>/.cache (gitignored). */
export function cacheRoot() {
  return resolve(process.env.CFS_CACHE_DIR || join(repoRoot, '.cache'));
}
/** Folder code-server is installed into, keyed by its version. */
export function codeServerDir() {
  return join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
}
/** code-server's Node entry point. */
export function codeServerEntry() {
  return join(codeServerDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}
const markerPath = () => join(codeServerDir(), '.cfs-install-complete.json');

// ---------------------------------------------------------------------------------------------
// Small process helpers (always argument arrays, never shell strings)

/** Process groups started by run({ group: true }) that are still running. */
const activeGroups = new Set();

/**
 * Runs a command to completion, output streamed (or collected with `quiet`); throws on a
 * non-zero exit. `group`: in its own process group, so interruptGroups() can end its whole tree.
 */
export function run(cmd, args, opts = {}) {
  const { quiet, group, ...spawnOpts } = opts;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
      detached: !!group,
      ...spawnOpts,
    });
    if (group && child.pid) activeGroups.add(child.pid);
    child.on('exit', () => activeGroups.delete(child.pid));
    let out = '';
    child.stdout?.on('data', (d) => { out += d; });
    child.stderr?.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal})${out ? `\n${out.slice(-4000)}` : ''}`));
    });
  });
}

/** Ends every process group run() started (on Ctrl-C during an install). */
function interruptGroups(signal) {
  for (const pgid of activeGroups) {
    try { process.kill(-pgid, signal); } catch { /* gone */ }
  }
}

/** The path of an executable on PATH, or undefined. */
export function which(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile() && (statSync(p).mode & 0o111)) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

// ---------------------------------------------------------------------------------------------
// System packages (Debian): installed only when something is missing

/**
 * Installs the Debian packages that are missing. `chromium`: the browser the tests drive;
 * `build`: what installing code-server needs: compilers and headers for its native modules
 * (node-pty, argon2, kerberos) and ripgrep (its @vscode/ripgrep gets Debian's rg, no download).
 */
export async function ensureSystemPackages({ chromium = true, build = true } = {}) {
  const missing = [];
  if (chromium && !existsSync(CHROMIUM_PATH)) missing.push('chromium');
  if (build && !existsSync('/usr/bin/rg') && !which('rg')) missing.push('ripgrep');
  if (build) {
    if (!which('make') || !which('g++') || !which('cc')) missing.push('build-essential');
    if (!which('pkg-config')) missing.push('pkg-config');
    if (!existsSync('/usr/include/krb5.h') && !existsSync('/usr/include/krb5/krb5.h')) missing.push('libkrb5-dev');
    if (!which('python3')) missing.push('python3'); // node-gyp
  }
  if (missing.length === 0) return [];
  const t0 = Date.now();
  if (!isRoot()) {
    throw new Error(
      `Missing system packages: ${missing.join(' ')}.\n` +
      `Install them first (as root): apt-get update && apt-get install -y ${missing.join(' ')}`,
    );
  }
  if (!which('apt-get')) throw new Error(`Missing system packages (${missing.join(' ')}) and no apt-get to install them`);
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lockWait = ['-o', 'DPkg::Lock::Timeout=300']; // another apt-get may be running
  await run('apt-get', [...lockWait, 'update'], { env });
  await run('apt-get', [...lockWait, 'install', '-y', '--no-install-recommends', ...missing], { env });
  if (chromium && !existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing`);
  if (build && !which('rg')) throw new Error('apt-get installed ripgrep but rg is still not on PATH');
  log(`system packages installed in ${secs(t0)}`);
  return missing;
}

// ---------------------------------------------------------------------------------------------
// code-server install (cached, keyed by version; a marker written last makes it restartable)

function readMarker() {
  try {
    return JSON.parse(readFileSync(markerPath(), 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when a complete install for this version and this Node ABI is in the cache. */
export function codeServerInstalled() {
  const m = readMarker();
  return !!m && m.version === CODE_SERVER_VERSION && m.nodeModules === process.versions.modules && existsSync(codeServerEntry());
}

/** An exclusive lock (a folder) so two setups never install into the same folder at once. */
async function withLock(lockDir, fn) {
  mkdirSync(dirname(lockDir), { recursive: true });
  for (let waited = 0; ; waited++) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try { pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8')); } catch { /* being written */ }
      let alive = false;
      if (pid) { try { process.kill(pid, 0); alive = true; } catch { alive = false; } }
      let ageMs = 0;
      try { ageMs = Date.now() - statSync(lockDir).mtimeMs; } catch { continue; /* just released */ }
      // Stale: its owner is gone (or died before writing its pid).
      if ((pid && !alive) || (!pid && ageMs > 60_000)) { rmSync(lockDir, { recursive: true, force: true }); continue; }
      if (waited % 30 === 0) log(`waiting for another install (${lockDir}, pid ${pid || '?'})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Node's header folder for native builds (no header download): this Node's prefix, or /usr. */
function nodeDir() {
  for (const prefix of [dirname(dirname(process.execPath)), '/usr']) {
    if (existsSync(join(prefix, 'include', 'node', 'node.h'))) return prefix;
  }
  return undefined; // node-gyp will download the headers (needs internet)
}

function ripgrepTarget() {
  switch (process.arch) {
    case 'x64': return 'x86_64-unknown-linux-musl';
    case 'arm64': return 'aarch64-unknown-linux-musl';
    case 'arm': return 'arm-unknown-linux-gnueabihf';
    default: throw new Error(`no ripgrep target known for ${process.arch}`);
  }
}

/**
 * Installs code-server into codeServerDir() unless a complete install is already there.
 * Returns { dir, entry, installed: boolean, seconds }.
 */
export async function ensureCodeServer() {
  const t0 = Date.now();
  const dir = codeServerDir();
  if (codeServerInstalled()) return { dir, entry: codeServerEntry(), installed: false, seconds: 0 };
  return withLock(`${dir}.lock`, async () => {
    if (codeServerInstalled()) return { dir, entry: codeServerEntry(), installed: false, seconds: 0 };
    await ensureSystemPackages({ chromium: false, build: true });
    if (existsSync(dir)) {
      log(`removing incomplete install in ${dir}`);
      rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(dir, { recursive: true });
    // Its own package.json, so the install is not a dependency of the extension. allowScripts
    // (npm 11's install-script policy) approves the two top-level packages with install scripts:
    // code-server (its postinstall runs `npm install` in lib/vscode, which builds node-pty,
    // kerberos, spdlog, ... against Node's headers; npm 11.19 only warns about those nested
    // ones) and argon2. The check after the install fails loudly if scripts were skipped.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({
      name: 'cfs-code-server-cache',
      private: true,
      description: `code-server ${CODE_SERVER_VERSION} for CenterFusion Studio's end-to-end tests and npm start`,
      allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, argon2: true },
    }, null, 2));

    // A private TMPDIR holding the ripgrep "download" @vscode/ripgrep's postinstall looks for.
    const tmp = mkdtempSync(join(tmpdir(), 'cfs-cs-install-'));
    let version = '';
    try {
      const rgCache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
      mkdirSync(rgCache);
      const rg = existsSync('/usr/bin/rg') ? '/usr/bin/rg' : which('rg');
      if (!rg) throw new Error('ripgrep (rg) is needed to install code-server offline');
      const rgStage = join(tmp, 'rg-stage');
      mkdirSync(rgStage);
      cpSync(rg, join(rgStage, 'rg'));
      await run('tar', ['-czf', join(rgCache, `ripgrep-${RIPGREP_BINARY_VERSION}-${ripgrepTarget()}.tar.gz`), '-C', rgStage, 'rg']);

      const major = Number(process.versions.node.split('.')[0]);
      const env = {
        ...process.env,
        TMPDIR: tmp,
        npm_config_unsafe_perm: 'true', // its postinstall refuses to run as root otherwise
        npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      };
      const headers = nodeDir();
      if (headers) env.npm_config_nodedir = headers; // build native modules against local headers
      else log('WARNING: no Node headers (include/node/node.h) found; node-gyp will try to download them');
      if (major !== 20) {
        // code-server 4.100.x requires Node 20; try anyway but say so.
        log(`WARNING: Node ${process.versions.node}; code-server ${CODE_SERVER_VERSION} expects Node 20`);
        env.FORCE_NODE_VERSION = String(major);
      }
      const npm = which('npm');
      if (!npm) throw new Error('npm is not on PATH');
      log(`npm install code-server@${CODE_SERVER_VERSION} into ${dir} (a few minutes the first time)`);
      // In its own process group: on Ctrl-C/SIGTERM the whole npm tree (postinstall, node-gyp)
      // is ended, then the finally blocks remove the private TMPDIR and the lock; no marker is
      // written, so the next run starts over.
      const onSignal = (signal) => {
        log(`${signal}: stopping the install`);
        interruptGroups('SIGTERM');
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await run(npm, ['install', '--no-save', '--no-package-lock', '--loglevel=warn', `code-server@${CODE_SERVER_VERSION}`], { cwd: dir, env, group: true });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }

      // Even `--version` writes a config file and logs under the home folder: keep them in tmp.
      const home = join(tmp, 'home');
      mkdirSync(home);
      const versionEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), TMPDIR: tmp };
      version = (await run(process.execPath, [codeServerEntry(), '--version'], { quiet: true, cwd: dir, env: versionEnv })).trim();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }

    const entry = codeServerEntry();
    // e.g. "[time] info  Wrote default config file ...\n4.100.3 <commit> with Code 1.100.3"
    version = version.split('\n').map((l) => l.trim()).find((l) => l.startsWith(CODE_SERVER_VERSION)) ?? version;
    if (!version.startsWith(CODE_SERVER_VERSION)) throw new Error(`code-server --version printed: ${version}`);
    // Native modules must have been built, or the terminal and the server fail later.
    const ptyBuilt = findFiles(join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', 'node-pty'), 'pty.node');
    if (ptyBuilt.length === 0) throw new Error('code-server installed but node-pty was not built (install scripts blocked?)');
    const bundledRg = join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
    await run(bundledRg, ['--version'], { quiet: true }); // the search in VS Code uses it
    writeFileSync(markerPath(), JSON.stringify({
      version: CODE_SERVER_VERSION, reported: version, node: process.versions.node,
      nodeModules: process.versions.modules, installedAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000,
    }, null, 2));
    log(`code-server ${version.split(/\s+/)[0]} installed in ${secs(t0)}`);
    return { dir, entry, installed: true, seconds: (Date.now() - t0) / 1000 };
  });
}

function findFiles(dir, name, depth = 6) {
  const found = [];
  if (depth < 0 || !existsSync(dir)) return found;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...findFiles(p, name, depth - 1));
    else if (e.name === name) found.push(p);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Extension packaging

/** Runs `vsce package --no-dependencies` into outFile. Returns outFile. */
export async function packageVsix(outFile) {
  const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  mkdirSync(dirname(outFile), { recursive: true });
  await run(process.execPath, [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', outFile], { cwd: repoRoot, quiet: true });
  return outFile;
}

/**
 * Installs the extension into extensionsDir.
 *  mode 'vsix'    package with vsce, then `code-server --install-extension` (what users get)
 *  mode 'link'    symlink the repo as <publisher>.<name>-<version> (dev loop: rebuild + reload)
 */
export async function installExtension(extensionsDir, { mode = 'vsix', workDir, env } = {}) {
  const t0 = Date.now();
  mkdirSync(extensionsDir, { recursive: true });
  if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing: run `node scripts/build.mjs` first');
  }
  if (mode === 'link') {
    const target = join(extensionsDir, `${EXTENSION_ID}-${EXTENSION_VERSION}`);
    for (const e of readdirSync(extensionsDir)) {
      // an older version's link or copy would load a second, stale copy of the extension
      if (e.startsWith(`${EXTENSION_ID}-`) && join(extensionsDir, e) !== target) rmSync(join(extensionsDir, e), { recursive: true, force: true });
    }
    let present = false;
    try { present = lstatSync(target).isSymbolicLink(); } catch { /* absent */ }
    if (!present) {
      rmSync(target, { recursive: true, force: true });
      symlinkSync(repoRoot, target, 'dir');
    }
    return { mode, path: target, seconds: (Date.now() - t0) / 1000 };
  }
  const dir = workDir || mkdtempSync(join(tmpdir(), 'cfs-vsix-'));
  const vsix = await packageVsix(join(dir, `${EXTENSION_ID}-${EXTENSION_VERSION}.vsix`));
  const config = join(dir, 'install-extension.yaml'); // else code-server writes ~/.config/code-server/
  writeFileSync(config, 'auth: none\n');
  const out = await run(process.execPath, [
    codeServerEntry(), '--config', config, '--extensions-dir', extensionsDir,
    '--user-data-dir', join(dirname(extensionsDir), 'user-data'), '--install-extension', vsix, '--force',
  ], { quiet: true, env: env || process.env });
  if (!/successfully installed/i.test(out)) throw new Error(`install-extension said:\n${out}`);
  return { mode, path: join(extensionsDir, `${EXTENSION_ID}-${EXTENSION_VERSION}`), vsix, seconds: (Date.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Per-run sandbox

export const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'window.restoreWindows': 'none',
  'git.openRepositoryInParentFolders': 'never',
  'git.autofetch': false,
  'npm.fetchOnlinePackageInfo': false,
  'chat.commandCenter.enabled': false,
  'editor.accessibilitySupport': 'off',
};

/** A demo config used when demo/.centerfusion/configs/demo.json does not exist (yet). */
export const FALLBACK_DEMO_CONFIG = {
  name: 'demo', task: 'ddd', trainer: 'builtin',
  options: { dataset: 'synthetic', exp_id: 'demo', num_epochs: 3, val_intervals: 1, batch_size: 4, gpus: '-1' },
};

/**
 * Makes a fresh folder for one run: home/, tmp/, xdg/{config,data,cache}, user-data/ (with
 * settings), extensions/, workspace/ (a copy of demo/), browser/ (chromium's profile).
 * Short paths under the system temp dir: VS Code puts unix sockets in TMPDIR (108-byte limit).
 */
export function makeSandbox({ prefix = 'cfs-e2e-', settings = {}, workspaceFrom = join(repoRoot, 'demo') } = {}) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const p = {
    root,
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
    xdgConfig: join(root, 'xdg', 'config'),
    xdgData: join(root, 'xdg', 'data'),
    xdgCache: join(root, 'xdg', 'cache'),
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    workspace: join(root, 'workspace'),
    browserProfile: join(root, 'browser'),
    logFile: join(root, 'code-server.log'),
    config: join(root, 'code-server.yaml'),
  };
  for (const d of [p.home, p.tmp, p.xdgConfig, p.xdgData, p.xdgCache, join(p.userData, 'User'), p.extensions, p.browserProfile]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(join(p.userData, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
  writeFileSync(p.config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  if (existsSync(workspaceFrom)) cpSync(workspaceFrom, p.workspace, { recursive: true });
  else mkdirSync(p.workspace, { recursive: true });
  const demoConfig = join(p.workspace, '.centerfusion', 'configs', 'demo.json');
  p.usedFallbackConfig = false;
  if (!existsSync(demoConfig)) {
    mkdirSync(dirname(demoConfig), { recursive: true });
    writeFileSync(demoConfig, JSON.stringify(FALLBACK_DEMO_CONFIG, null, 2) + '\n');
    p.usedFallbackConfig = true;
  }
  /** Environment for every process of this run: nothing lands in the real home or /tmp. */
  p.env = {
    ...process.env,
    HOME: p.home,
    TMPDIR: p.tmp,
    XDG_CONFIG_HOME: p.xdgConfig,
    XDG_DATA_HOME: p.xdgData,
    XDG_CACHE_HOME: p.xdgCache,
    XDG_RUNTIME_DIR: p.tmp,
    CFS_SANDBOX: root, // lets leftover-process checks find every descendant
  };
  delete p.env.NODE_OPTIONS; // the test runner's options must not leak into VS Code's processes
  delete p.env.NODE_TEST_CONTEXT; // or node processes inside would act as test-runner children
  delete p.env.VSCODE_IPC_HOOK_CLI;
  return p;
}

/** Removes a sandbox folder. */
export function removeSandbox(sandbox) {
  rmSync(sandbox.root, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A free TCP port on 127.0.0.1: `preferred` if it is free, else the next free one (or any). */
export async function freePort(preferred) {
  const tryPort = (port) => new Promise((res) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => res(undefined));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const got = srv.address().port;
      srv.close(() => res(got));
    });
  });
  if (preferred) {
    for (let p = preferred; p < preferred + 100 && p < 65536; p++) {
      const got = await tryPort(p);
      if (got) return got;
    }
  }
  return tryPort(0);
}

/** Processes (pid, cmdline) whose environment or command line contains `marker`. */
export function processesWith(marker) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let cmdline = '';
    let environ = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch { /* gone, or not ours to read */ }
    if (cmdline.includes(marker) || environ.includes(marker)) {
      let state = '';
      try { state = /^State:\s*(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? ''; } catch { /* gone */ }
      if (state === 'Z' || state === 'X') continue; // exited, waiting for its parent to reap it
      found.push({ pid, cmdline });
    }
  }
  return found;
}

/**
 * Memory (bytes) of the processes whose environment or command line contains `marker`: the sum
 * of their proportional set sizes (shared pages split between sharers, so chromium's and Node's
 * many processes are not counted several times), or of their RSS where PSS is not readable.
 */
export function memoryOf(marker) {
  let pss = 0;
  let rss = 0;
  for (const { pid } of processesWith(marker)) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pss += Number(/^Pss:\s*(\d+)/m.exec(rollup)?.[1] || 0) * 1024;
      rss += Number(/^Rss:\s*(\d+)/m.exec(rollup)?.[1] || 0) * 1024;
    } catch {
      try {
        const kb = Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] || 0);
        pss += kb * 1024;
        rss += kb * 1024;
      } catch { /* gone */ }
    }
  }
  return { pss, rss };
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Members of a process group (excluding zombies). */
function groupMembers(pgid) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(name));
    } catch { /* gone */ }
  }
  return pids;
}

/** Kills a whole process group: SIGTERM, wait up to graceMs, then SIGKILL; returns what was left. */
export async function killGroup(pgid, { graceMs = 5000 } = {}) {
  const waitGone = async (ms) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (groupMembers(pgid).length === 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return groupMembers(pgid).length === 0;
  };
  if (!groupAlive(pgid)) return { signal: null, left: [] };
  try { process.kill(-pgid, 'SIGTERM'); } catch { /* already gone */ }
  if (await waitGone(graceMs)) return { signal: 'SIGTERM', left: [] };
  try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  await waitGone(2000);
  return { signal: 'SIGKILL', left: groupMembers(pgid) };
}

/**
 * Starts code-server in its own process group and waits for /healthz.
 * Returns { url, port, pid, folderUrl, stop(), logs() }.
 */
export async function startCodeServer({
  userDataDir, extensionsDir, workspace, env = process.env, port, host = '127.0.0.1',
  logFile, configFile, timeoutMs = 60_000, extraArgs = [],
}) {
  const entry = codeServerEntry();
  if (!existsSync(entry)) throw new Error(`code-server is not installed (${entry}); run node test/e2e/setup.mjs`);
  const chosen = port ?? (await freePort());
  const args = [
    entry,
    '--bind-addr', `${host}:${chosen}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(configFile ? ['--config', configFile] : []),
    ...extraArgs,
  ];
  if (workspace) args.push(workspace);
  let out = 'ignore';
  let fd;
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    fd = openSync(logFile, 'a');
    out = fd;
  }
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env });
  if (fd !== undefined) closeSync(fd);
  const pgid = child.pid;
  let exited = null;
  const done = new Promise((res) => child.on('exit', (code, signal) => { exited = { code, signal }; res(exited); }));
  const url = `http://${host}:${chosen}`;
  const stop = async () => {
    const r = await killGroup(pgid);
    if (r.left.length) throw new Error(`code-server group ${pgid} left processes behind: ${r.left.join(', ')}`);
    return r;
  };
  const readLog = () => (logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`code-server exited early (${exited.code ?? exited.signal})\n${readLog().slice(-4000)}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() - t0 > timeoutMs) {
      await stop().catch(() => {});
      throw new Error(`code-server did not answer /healthz within ${timeoutMs} ms\n${readLog().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Slashes left readable, as code-server itself writes them.
  const folderUrl = (folder) => `${url}/?folder=${encodeURIComponent(folder).replace(/%2F/g, '/')}`;
  return { url, port: chosen, pid: pgid, folderUrl, stop, logs: readLog, startedInMs: Date.now() - t0, exited: () => exited, done };
}

/** Chromium flags that work for VS Code in a headless Debian chromium. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--password-store=basic',
];

/**
 * Launches Debian's chromium through playwright-core with a fresh profile inside the sandbox.
 * Returns a persistent context (one browser process tree; context.close() ends it).
 */
export async function launchChromium(sandbox, { headless = true, viewport = { width: 1400, height: 900 } } = {}) {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: run node test/e2e/setup.mjs`);
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(sandbox.browserProfile, {
    executablePath: CHROMIUM_PATH,
    headless,
    args: CHROMIUM_ARGS,
    env: sandbox.env,
    viewport,
    timeout: 60_000,
  });
  return context;
}
