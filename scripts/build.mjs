// Bundles the three programs with esbuild:
//   dist/extension.js  the VS Code extension host entry (vscode is provided by VS Code)
//   dist/cli.js        the `centerfusion` command line / trainer child process
//   dist/webview/<name>.js  one browser bundle per folder under webview/ that has a main.ts
// Usage: node scripts/build.mjs [--watch] [--minify]
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, mkdirSync, chmodSync, writeFileSync, copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify') || process.env.CI === 'true';

const common = { bundle: true, sourcemap: true, minify, logLevel: 'warning', absWorkingDir: root, legalComments: 'none' };

/** Native tfjs accelerators are optional dependencies; they are loaded at run time if present. */
const optionalNative = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

/**
 * `import * as vscode from 'vscode'` (an external CommonJS module) makes esbuild wrap the API
 * object in its __toESM helper once per importing file: a fresh object with a getter for every
 * API property, about 18 of them at load, and a getter call on every `vscode.x` access after. A
 * namespace import of the API means the API object itself, so the bundle takes it as it is. The
 * text is replaced by one of the same length (padded), so the source map stays exact.
 * (Activation CPU time: bench/activation.ts.)
 */
const vscodeAsIs = {
  name: 'vscode-as-is',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      const file = join(root, build.initialOptions.outfile);
      const text = readFileSync(file, 'utf8');
      // The interop helper's name: __toESM, or its minified name (the one wrapping require("vscode")).
      const names = new Set([...text.matchAll(/([A-Za-z_$][\w$]*)\(require\("vscode"\)\)/g)].map((m) => m[1]));
      const [name] = names;
      if (names.size !== 1 || !(name === '__toESM' || new RegExp(`[,\\s;]${name.replace(/\$/g, '\\$')}=\\([\\w$]+,[\\w$]+,[\\w$]+\\)=>`).test(text))) {
        if (names.size > 0) console.warn(`build: vscode-as-is: interop helper not recognised (${[...names].join(', ')}); bundle left as it is`);
        return;
      }
      const from = `${name}(require("vscode"))`;
      const to = 'require("vscode")'.padEnd(from.length, ' ');
      writeFileSync(`${file}.tmp`, text.split(from).join(to));
      renameSync(`${file}.tmp`, file);
    });
  },
};

const targets = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [vscodeAsIs],
  },
  {
    ...common,
    entryPoints: ['src/trainer/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: optionalNative,
    banner: { js: '#!/usr/bin/env node' },
  },
];

const webviewDir = join(root, 'webview');
if (existsSync(webviewDir)) {
  for (const name of readdirSync(webviewDir)) {
    if (existsSync(join(webviewDir, name, 'main.ts'))) {
      targets.push({
        ...common,
        entryPoints: [`webview/${name}/main.ts`],
        outfile: `dist/webview/${name}.js`,
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
      });
    }
  }
}

/**
 * dist/config.schema.json: the JSON Schema of .centerfusion/configs/*.json, generated from the
 * option catalog so that the editor's IntelliSense and validation never drift from the options.
 */
async function writeConfigSchema() {
  const out = await esbuild.build({
    ...common,
    sourcemap: false,
    minify: false,
    entryPoints: ['src/shared/options/index.ts'],
    platform: 'node',
    format: 'cjs',
    write: false,
  });
  const mod = { exports: {} };
  new Function('module', 'exports', out.outputFiles[0].text)(mod, mod.exports);
  const schema = mod.exports.configJsonSchema();
  writeFileSync(join(root, 'dist/config.schema.json'), JSON.stringify(schema, null, 2) + '\n');
}

/**
 * The wasm backend's binaries beside dist/cli.js, where the trainer looks first
 * (src/trainer/backend/wasm.ts) and where the .vsix ships them (.vscodeignore: dist/*.wasm).
 * Only the plain and SIMD builds: tfjs never picks the threaded one under Node.
 */
function copyWasmBinaries() {
  const from = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) copyFileSync(join(from, f), join(root, 'dist', f));
}

mkdirSync(join(root, 'dist'), { recursive: true });
copyWasmBinaries();
if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
  console.log('esbuild: watching');
} else {
  const t0 = Date.now();
  await Promise.all(targets.map((t) => esbuild.build(t)));
  chmodSync(join(root, 'dist/cli.js'), 0o755);
  await writeConfigSchema();
  console.log(`esbuild: ${targets.length} bundles in ${Date.now() - t0} ms`);
}
