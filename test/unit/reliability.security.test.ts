// Security: options and paths that try to escape, shell metacharacters, NUL bytes and absurd
// lengths are rejected or neutralised before any spawn; no command is built as a string; nothing
// is spawned in an untrusted workspace; webview messages are schema-checked; every webview page
// has a strict CSP. docs/reliability.md lists what each test guards.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkOptions, defaultRawOptions, parseArgv, toArgv, type OptionValue, type RawOptions } from '../../src/shared/options';
import { MAX_OPTION_TEXT, unsafeTextProblem } from '../../src/shared/options/check';
import { guardedSpawn, isWorkspaceTrusted, MAX_SPAWN_ARG, setTrustSource, spawnProblem, SpawnRefused } from '../../src/extension/trust';
import { TrainerProcesses } from '../../src/extension/process/trainerProcess';
import { RunStore } from '../../src/extension/runs/runStore';
import { planPythonLaunch } from '../../src/extension/python/pythonLaunch';
import { checkCompareToHost, checkDashboardState, checkDashboardToHost, checkHostToDashboard } from '../../src/shared/webview/dashboard';
import { isFormToHost } from '../../src/shared/webview/optionsForm';
import { isReportToHost } from '../../src/shared/webview/metricsReport';
import { buildWebviewHtml, cspProblems, messageHtml } from '../../src/extension/webview/csp';
import { REPO } from './reliability.helpers';

afterEach(() => setTrustSource(undefined));

function errorsFor(overrides: Record<string, OptionValue>): Map<string, string> {
  const problems = checkOptions({ ...defaultRawOptions('ddd'), ...overrides } as RawOptions);
  return new Map(problems.filter((p) => p.severity !== 'warning').map((p) => [p.option, p.message]));
}

test('exp_id that escapes exp/<task>/ is an error: ../, /, \\, a leading -, NUL, absurd length', () => {
  for (const bad of ['..', '../x', '../../etc', 'a/b', '/abs', 'a\\b', '-rf', '--help', 'x\u0000y', 'x'.repeat(5000), 'a\nb', '']) {
    assert.ok(errorsFor({ exp_id: bad }).has('exp_id'), `exp_id ${JSON.stringify(bad.slice(0, 40))} accepted`);
  }
  assert.equal(errorsFor({ exp_id: 'centerfusion_v2.1' }).has('exp_id'), false);
});

test('option text with NUL, control characters, a leading -- or absurd length is an error on every string option', () => {
  assert.match(unsafeTextProblem('a\u0000b') ?? '', /NUL/);
  assert.match(unsafeTextProblem('a\nb') ?? '', /control characters/);
  assert.match(unsafeTextProblem('x'.repeat(MAX_OPTION_TEXT + 1)) ?? '', /too long/);
  assert.match(unsafeTextProblem('--resume') ?? '', /must not start with '--'/);
  assert.equal(unsafeTextProblem('-1'), undefined, 'gpus -1 (CPU) stays valid');
  assert.equal(unsafeTextProblem('../models/centernet_baseline_e170.pth'), undefined, 'relative paths stay valid');
  for (const [dest, value] of [['load_model', '--resume'], ['load_model', 'm\u0000.pth'], ['arch', 'dla_34\r\n'], ['data_dir', 'd'.repeat(MAX_OPTION_TEXT + 1)], ['gpus', '--gpus']] as const) {
    assert.ok(errorsFor({ [dest]: value }).has(dest), `${dest}=${JSON.stringify(value.slice(0, 30))} accepted`);
  }
});

test('shell metacharacters are neutralised: values reach the process byte for byte, as one argument each', async () => {
  const hostile = ['$(touch pwned)', '`id`', 'a; rm -rf /', 'x | cat', '"\'\\', '*', '~', '&& echo', '>out', '-1'];
  // toArgv keeps a value that looks like an option attached (--flag=value), parseArgv reads it back.
  const raw = { ...defaultRawOptions('ddd'), exp_id: 'ok', load_model: '-weird.pth', arch: 'dla_34' } as RawOptions;
  const argv = toArgv(raw);
  assert.ok(argv.includes('--load_model=-weird.pth'), argv.join(' '));
  assert.equal(parseArgv(argv).load_model, '-weird.pth');

  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-sec-'));
  try {
    const child = guardedSpawn(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...hostile], { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    assert.deepEqual(JSON.parse(out), hostile);
    assert.deepEqual(fs.readdirSync(cwd), [], 'nothing was run by a shell');
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

test('the spawn guard refuses NUL bytes, absurd lengths and shells, as an error event with no process', async () => {
  assert.match(spawnProblem('node', ['a\u0000b']) ?? '', /NUL/);
  assert.match(spawnProblem('node', ['x'.repeat(MAX_SPAWN_ARG + 1)]) ?? '', /too long/);
  assert.match(spawnProblem('node', [], { shell: true }) ?? '', /shell/);
  assert.match(spawnProblem('node', [], { env: { 'A=B': 'x' } }) ?? '', /environment/);
  assert.equal(spawnProblem('node', ['--flag', 'ok']), undefined);
  const child = guardedSpawn(process.execPath, ['-e', '1', 'a\u0000b'], {});
  assert.equal(child.pid, undefined);
  const err = await new Promise<Error>((resolve) => child.once('error', resolve));
  assert.ok(err instanceof SpawnRefused);
  assert.match(err.message, /argument 3 contains a NUL byte/);
});

test('untrusted workspace: nothing is spawned, the run fails with the reason, the Python interpreter setting is ignored', async () => {
  assert.equal(isWorkspaceTrusted(), true, 'outside VS Code there is no workspace trust');
  setTrustSource(() => false);
  assert.equal(isWorkspaceTrusted(), false);
  setTrustSource(() => {
    throw new Error('broken');
  });
  assert.equal(isWorkspaceTrusted(), false, 'a broken trust source does not open the gate');
  setTrustSource(() => false);

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-untrusted-'));
  try {
    const marker = path.join(root, 'ran');
    const cli = path.join(root, 'cli.js');
    fs.writeFileSync(cli, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`);
    const store = new RunStore();
    const log: string[] = [];
    const processes = new TrainerProcesses(store, (l) => log.push(l), 100);
    const proc = processes.start({ cliPath: cli, root, runId: 'untrusted-run', args: ['ddd', '--exp_id', 'x'], label: 'x', meta: { task: 'ddd', exp_id: 'x' } });
    const exit = await proc.exited;
    assert.equal(proc.pid, undefined);
    assert.equal(exit.status, 'failed');
    assert.equal(fs.existsSync(marker), false, 'the trainer never ran');
    assert.ok(log.some((l) => /untrusted workspace/.test(l)), log.join('\n'));
    assert.equal(store.get('untrusted-run')?.status, 'failed');
    processes.dispose();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }

  // The commands check trust before they pick or read anything, and the interpreter setting's
  // workspace value goes through the same gate (static checks: these modules import vscode).
  const src = (rel: string): string => fs.readFileSync(path.join(REPO, rel), 'utf8');
  const commands = src('src/extension/commands.ts');
  const train = commands.slice(commands.indexOf('async function train('));
  assert.ok(/^[\s\S]{0,200}isTrusted/.test(train.slice(train.indexOf('{'))), 'Train checks workspace trust first');
  assert.match(src('src/extension/evaluate/evaluateCommand.ts'), /isTrusted/);
  assert.match(src('src/extension/python/interpreter.ts'), /if \(isWorkspaceTrusted\(\)\) return \{ value: workspace\.trim\(\) \}/);
  const manifest = JSON.parse(src('package.json')) as { capabilities: { untrustedWorkspaces: { supported: unknown; description: string } } };
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.match(manifest.capabilities.untrustedWorkspaces.description, /does not start training/);
});

test('a Python config with an escaping exp_id or a -- value is refused before any launch plan', () => {
  const trainer = { type: 'python', root: '/cf' };
  for (const options of [{ exp_id: '../../x' }, { exp_id: 'a/b' }, { load_model: '--resume' }, { exp_id: 'x\u0000' }]) {
    const r = planPythonLaunch({ folder: '/ws', task: 'ddd', trainer, options });
    assert.equal(r.ok, false, JSON.stringify(options));
  }
});

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

test('no command is built as a string: no shell: true, no exec/execSync, spawn only through the guard', () => {
  const files = [...sourceFiles(path.join(REPO, 'src')), ...sourceFiles(path.join(REPO, 'webview'))];
  assert.ok(files.length > 50);
  const offences: string[] = [];
  for (const file of files) {
    const rel = path.relative(REPO, file);
    const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    if (/shell\s*:\s*(?!false\b)[^,}\s]/.test(text)) offences.push(`${rel}: a shell option`);
    if (/\b(exec|execSync)\s*\(/.test(text.replace(/\.exec\(/g, ''))) offences.push(`${rel}: exec()/execSync()`);
    if (/\bexecFile(Sync)?\b|\bspawnSync\b|\bfork\s*\(/.test(text)) offences.push(`${rel}: execFile/spawnSync/fork`);
    if (/(?:from\s+|require\()\s*['"](?:node:)?child_process['"]/.test(text) && rel !== path.join('src', 'extension', 'trust.ts')) {
      const named = /import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+['"](?:node:)?child_process['"]/.exec(text);
      const onlyTypes = named !== null && /import\s+type\s/.test(named[0]);
      if (!onlyTypes) offences.push(`${rel}: imports child_process (use guardedSpawn from src/extension/trust.ts)`);
    }
  }
  assert.deepEqual(offences, []);
});

test('webview messages: hostile messages from a page are rejected or reduced to their known fields', () => {
  const hostile: unknown[] = [null, 42, 'ready', [], { type: 'eval', code: 'x' }, { type: 'checkpointAction', action: 'delete', path: '/x' },
    { type: 'checkpointAction', action: 'reveal', path: '' }, { type: 'checkpointAction', action: 'reveal', path: 'p'.repeat(5000) },
    { type: 'checkpointAction', action: 'reveal', path: 7 }, { type: '__proto__' }];
  for (const m of hostile) assert.equal(checkDashboardToHost(m).ok, false, JSON.stringify(m)?.slice(0, 80));
  // Known fields only: a page cannot name another run, and a path is only a string to look up
  // among the run's own checkpoints (dashboardPanel.receive ignores any other path).
  const r = checkDashboardToHost({ type: 'checkpointAction', action: 'reveal', path: '../../../etc/passwd', runId: 'someone-else', extra: { x: 1 } });
  assert.ok(r.ok);
  assert.deepEqual(Object.keys(r.value).sort(), ['action', 'path', 'type']);
  assert.deepEqual(checkDashboardToHost({ type: 'ready', runId: 'other' }), { ok: true, value: { type: 'ready' } });
  assert.equal(checkCompareToHost({ type: 'compare', runIds: ['x'] }).ok, false);
  for (const m of [{ type: 'save' }, { type: 'save', task: 'ddd', fields: { exp_id: 3 } }, { type: 'train', task: 7, fields: {} }, { type: 'delete', task: 'ddd', fields: {} }]) {
    assert.equal(isFormToHost(m), false, JSON.stringify(m));
  }
  for (const m of [{ type: 'openFile', path: '/etc/passwd' }, { type: 'ready2' }, 5, null, 'ready']) {
    assert.equal(isReportToHost(m), false, JSON.stringify(m));
  }
  // Host -> page: a malformed snapshot is refused by the page's check too.
  assert.equal(checkHostToDashboard({ type: 'snapshot', header: { runId: '' }, epochs: [], iters: [], checkpoints: [], actions: [] }).ok, false);
  // Saved page state naming an arbitrary run id is just a key the host looks up in its store.
  assert.equal(checkDashboardState({ runId: 42 }), undefined);
  assert.equal(checkDashboardState({ runId: '../x', smoothing: 5 })?.smoothing, 0);
});

test('strict CSP on every webview page: default-src none, script nonce, no remote origins', () => {
  // VS Code's real values: the webview's CSP source and resource URIs under it.
  const local = { cspSource: 'https://*.vscode-cdn.net', resourcePrefix: 'https://file+.vscode-resource.vscode-cdn.net/' };
  const page = buildWebviewHtml({
    cspSource: local.cspSource,
    nonce: 'AAAAAAAAAAAAAAAAAAAAAA==',
    scriptUri: `${local.resourcePrefix}ext/dist/webview/dashboard.js`,
    styleUris: [`${local.resourcePrefix}ext/media/dashboard.css`],
    title: '</title><script>alert(1)</script>',
    state: { x: '</script><script>alert(1)</script>' },
  });
  assert.deepEqual(cspProblems(page, local), []);
  assert.deepEqual(cspProblems(messageHtml('could not be restored <script>')), []);
  // The check itself catches what it must.
  assert.match(cspProblems(page.replace("default-src 'none'", 'default-src *'), local).join(), /default-src/);
  assert.match(cspProblems(page.replace(/<script nonce="[^"]*"/, '<script'), local).join(), /script without the page's nonce/);
  assert.match(cspProblems(`${page}<img src="https://evil.example/x.png">`, local).join(), /remote content/);
  assert.match(cspProblems(`${page}<link href="//evil.example/x.css">`, local).join(), /remote content/);
  assert.match(cspProblems(page.replace("script-src 'nonce-", "script-src 'unsafe-inline' 'nonce-"), local).join(), /unsafe-inline/);
  assert.match(cspProblems(page.replace("img-src https://*.vscode-cdn.net", 'img-src https://evil.example'), local).join(), /img-src allows https:\/\/evil/);
  assert.deepEqual(cspProblems('<html><body>hi</body></html>'), ['no Content-Security-Policy meta element']);

  // Every place the host sets webview.html goes through webviewHtml or messageHtml.
  const offences: string[] = [];
  for (const file of sourceFiles(path.join(REPO, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\.html\s*=\s*([^;]+);/g)) {
      if (!/^(webviewHtml|messageHtml)\(/.test(m[1].trim())) offences.push(`${path.relative(REPO, file)}: ${m[0].slice(0, 100)}`);
    }
  }
  assert.deepEqual(offences, []);
  // And the shell uses csp.ts's builder (html.ts holds no HTML of its own).
  const html = fs.readFileSync(path.join(REPO, 'src', 'extension', 'webview', 'html.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  assert.match(html, /return buildWebviewHtml\(/);
  assert.doesNotMatch(html, /<script|Content-Security-Policy"/);
});
