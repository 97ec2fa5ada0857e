/**
 * The lifecycle every end-to-end scenario in a workspace shares: a sandbox with the demo
 * workspace (plus what `prepare` copies in), the extension installed (linked, or packaged as a
 * .vsix), code-server and chromium started, the workbench loaded; on failure a screenshot, the
 * logs and the scenario's own folders in test/e2e/.work/<name>-*; at the end nothing of the
 * sandbox left running. Also: finding a webview by what it shows, waiting for a condition, Quick
 * Open of a workspace file, screenshots for docs/images.
 */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import type * as E2E from '../../scripts/e2e-lib.mjs';
import { Steps } from './workbench';

export const repoRoot = resolve(__dirname, '..', '..', '..'); // out-*/test/e2e -> repo
export const workDir = join(repoRoot, 'test', 'e2e', '.work');
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export interface Scenario {
  readonly lib: typeof E2E;
  readonly sandbox: E2E.Sandbox;
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Installs the extension, starts code-server and chromium, opens the workspace. */
  open(): Promise<Page>;
}

export interface ScenarioOptions {
  /** Fills the sandbox's workspace before anything starts. */
  prepare?: (workspace: string) => void;
  /** How the extension is installed: linked into the extensions folder (default) or as a .vsix. */
  install?: 'link' | 'vsix';
  /** Bundles (under dist/) the scenario needs. */
  needs?: string[];
  /** Workspace folders (relative) copied into the failure folder, e.g. 'exp'. */
  keepOnFailure?: string[];
  /** Called with the page before the workspace loads (e.g. to collect page errors). */
  onPage?: (page: Page) => void;
  /** Called first in after() (e.g. to end a process the test started itself). */
  cleanup?: () => void | Promise<void>;
}

/** Registers before/after for a scenario called `name` (failure artifacts test/e2e/.work/<name>-failure*). */
export function scenario(name: string, options: ScenarioOptions | ((workspace: string) => void) = {}): () => Scenario {
  const o: ScenarioOptions = typeof options === 'function' ? { prepare: options } : options;
  let lib: typeof E2E | undefined;
  let sandbox: E2E.Sandbox | undefined;
  let server: E2E.CodeServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const steps = new Steps();

  before(async () => {
    lib = (await importEsm(pathToFileURL(join(repoRoot, 'scripts', 'e2e-lib.mjs')).href)) as typeof E2E;
    for (const f of ['extension.js', ...(o.needs ?? [])]) assert.ok(existsSync(join(repoRoot, 'dist', f)), `dist/${f} missing: run node scripts/build.mjs`);
    await lib.ensureCodeServer();
    assert.ok(existsSync(lib.CHROMIUM_PATH), `${lib.CHROMIUM_PATH} missing: run node test/e2e/setup.mjs`);
    rmSync(join(workDir, `${name}-failure.png`), { force: true });
    rmSync(join(workDir, `${name}-failure`), { recursive: true, force: true });
    sandbox = lib.makeSandbox({ prefix: `cfs-e2e-${name}-` });
    o.prepare?.(sandbox.workspace);
  });

  after(async () => {
    await o.cleanup?.();
    if (steps.failed) {
      mkdirSync(workDir, { recursive: true });
      if (page) await page.screenshot({ path: join(workDir, `${name}-failure.png`) }).catch(() => undefined);
      if (sandbox) {
        const dest = join(workDir, `${name}-failure`);
        mkdirSync(dest, { recursive: true });
        if (existsSync(sandbox.logFile)) cpSync(sandbox.logFile, join(dest, 'code-server.log'));
        const logs = join(sandbox.userData, 'logs');
        if (existsSync(logs)) cpSync(logs, join(dest, 'vscode-logs'), { recursive: true });
        for (const rel of o.keepOnFailure ?? []) {
          const from = join(sandbox.workspace, rel);
          if (existsSync(from)) cpSync(from, join(dest, rel), { recursive: true });
        }
      }
    }
    const problems: string[] = [];
    if (context) await context.close().catch((e: unknown) => problems.push(`closing the browser: ${String(e)}`));
    if (server) await server.stop().catch((e: unknown) => problems.push(`stopping code-server: ${String(e)}`));
    if (sandbox && lib) {
      let left = lib.processesWith(sandbox.root);
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = lib.processesWith(sandbox.root);
      }
      for (const p of left) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      // After a failed step a trainer may still run (it outlives VS Code on purpose): ended above,
      // not reported again.
      if (left.length > 0 && !steps.failed) problems.push(`processes left behind: ${left.map((p) => `${p.pid} ${p.cmdline.slice(0, 120)}`).join('; ')}`);
      if (process.env.CFS_KEEP_SANDBOX === '1') console.log(`# sandbox kept: ${sandbox.root}`);
      else lib.removeSandbox(sandbox);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  return () => {
    if (lib === undefined || sandbox === undefined) throw new Error('scenario used before its before() ran');
    const l = lib;
    const sb = sandbox;
    const step = steps.step.bind(steps);
    return {
      lib: l,
      sandbox: sb,
      step,
      open: async () => {
        await step('install the extension', () => l.installExtension(sb.extensions, { mode: o.install ?? 'link', workDir: sb.root, env: sb.env }));
        server = await step('start code-server', () =>
          l.startCodeServer({ userDataDir: sb.userData, extensionsDir: sb.extensions, env: sb.env, logFile: sb.logFile, configFile: sb.config }),
        );
        return step('workbench loaded', async () => {
          context = await l.launchChromium(sb);
          const pg = context.pages()[0] ?? (await context.newPage());
          page = pg;
          o.onPage?.(pg);
          await pg.goto(server!.folderUrl(sb.workspace), { waitUntil: 'domcontentloaded', timeout: 60_000 });
          await pg.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
          return pg;
        });
      },
    };
  };
}

/** Waits until `check` holds. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The content frame of the visible webview (of this extension) whose page shows `selector`. */
export async function webviewWith(p: Page, extensionId: string, selector: string, timeoutMs = 30_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = p.locator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`);
    const n = await frames.count();
    for (let i = 0; i < n; i++) {
      const inner = p.frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"] >> nth=${i}`).frameLocator('iframe#active-frame');
      if ((await inner.locator(selector).count().catch(() => 0)) > 0) return inner;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Opens a workspace file through Quick Open in the title bar (keys would go to a focused webview). */
export async function quickOpen(p: Page, relativePath: string, rowText: string): Promise<void> {
  const input = p.locator('.quick-input-widget input');
  await p.locator('.command-center .command-center-center').first().click();
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  const hit = p.locator('.quick-input-widget .monaco-list-row', { hasText: rowText }).first();
  await until(`${relativePath} in Quick Open`, async () => {
    if ((await input.inputValue()) !== relativePath) await input.fill(relativePath);
    return hit.isVisible();
  }, 60_000);
  await hit.click();
}

/** Saves a screenshot for the README when CFS_SCREENSHOTS=1 (into docs/images/), else into .work/. */
export async function screenshot(p: Page, name: string): Promise<void> {
  const dir = process.env.CFS_SCREENSHOTS === '1' ? join(repoRoot, 'docs', 'images') : workDir;
  mkdirSync(dir, { recursive: true });
  await p.screenshot({ path: join(dir, `${name}.png`) });
}
