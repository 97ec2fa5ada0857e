// The .vsix holds only what runs: `vsce package --no-dependencies` (what `npm run package` does)
// into a temp folder, then its file list (read from the zip's central directory) is checked
// against .vscodeignore's intent. Needs the bundles in dist/ (npm test builds them first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..', '..'); // out/test/unit -> repo

/** Entry names of a zip file, from its central directory (no unzip tool needed). */
function zipEntries(file: string): string[] {
  const buf = readFileSync(file);
  let eocd = -1; // end-of-central-directory record, in the last 64 KiB + 22 bytes
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file} is not a zip file`);
  const names: string[] = [];
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = buf.readUInt16LE(eocd + 10); n > 0; n--) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'bad zip central directory entry');
    const nameLen = buf.readUInt16LE(p + 28);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return names;
}

function vscePackage(out: string): Promise<string> {
  const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  return new Promise((res, rej) => {
    // stdin closed: vsce asks y/N questions (e.g. a missing LICENSE) and must not hang on them.
    const child = spawn(process.execPath, [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res(output) : rej(new Error(`vsce package failed (${code}):\n${output}`))));
  });
}

/** What may be in the package: vsix metadata, the manifest, bundles, media, docs, license. */
const allowed: RegExp[] = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/package\.json$/,
  /^extension\/dist\/(extension|cli)\.js$/,
  /^extension\/dist\/config\.schema\.json$/, // contributes.jsonValidation for config files
  /^extension\/dist\/webview\/[^/]+\.(js|css)$/,
  /^extension\/dist\/[^/]+\.wasm$/, // tfjs wasm backend binaries, if the build copies them
  /^extension\/media\/.+/,
  /^extension\/(readme|changelog)\.md$/i,
  /^extension\/license(\.txt|\.md)?$/i,
];
const required = [
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/cli.js',
  'extension/dist/config.schema.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
];
/** Named explicitly so a failure says what leaked. */
const forbidden: [string, RegExp][] = [
  ['sources', /^extension\/(src|webview)\//],
  ['tests', /^extension\/test\//],
  ['compiled tests', /^extension\/out\//],
  ['node_modules', /(^|\/)node_modules\//],
  ['benchmarks', /^extension\/bench\//],
  ['scripts', /^extension\/scripts\//],
  ['the demo workspace', /^extension\/demo-workspace\//],
  ['caches', /(^|\/)\.cache\//],
  ['source maps', /\.map$/],
  ['TypeScript config', /(^|\/)tsconfig[^/]*\.json$/],
  ['packages', /\.vsix$/],
  ['dot files', /^extension\/(.*\/)?\.[^/]+$/],
];

test('the .vsix contains only what runs', { timeout: 120_000 }, async () => {
  for (const f of ['dist/extension.js', 'dist/cli.js']) {
    assert.ok(existsSync(join(repoRoot, f)), `${f} missing: run node scripts/build.mjs first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cfs-vsix-'));
  try {
    const vsix = join(dir, 'ext.vsix');
    await vscePackage(vsix);
    const entries = zipEntries(vsix).filter((e) => !e.endsWith('/'));

    for (const r of required) assert.ok(entries.includes(r), `${r} missing from the .vsix; it holds:\n${entries.join('\n')}`);
    for (const [what, re] of forbidden) {
      const hits = entries.filter((e) => re.test(e));
      assert.deepEqual(hits, [], `the .vsix contains ${what}`);
    }
    const unexpected = entries.filter((e) => !allowed.some((re) => re.test(e)));
    assert.deepEqual(unexpected, [], 'files in the .vsix that do not run (update .vscodeignore or this list)');

    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { main: string };
    assert.ok(entries.includes(`extension/${manifest.main.replace(/^\.\//, '')}`), `main (${manifest.main}) is not in the .vsix`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
