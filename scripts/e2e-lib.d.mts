// Types for scripts/e2e-lib.mjs, so the TypeScript end-to-end tests can use it type-checked
// (`import type * as E2E from '../../scripts/e2e-lib.mjs'`, then load it with a real dynamic import).
import type { BrowserContext } from 'playwright-core';

export declare const repoRoot: string;
export declare const CODE_SERVER_VERSION: string;
export declare const CHROMIUM_PATH: string;
export declare const EXTENSION_ID: string;
export declare const EXTENSION_VERSION: string;
export declare const CHROMIUM_ARGS: string[];
export declare const DEFAULT_SETTINGS: Record<string, unknown>;
export declare const FALLBACK_DEMO_CONFIG: Record<string, unknown>;

export declare function cacheRoot(): string;
export declare function codeServerDir(): string;
export declare function codeServerEntry(): string;
export declare function codeServerInstalled(): boolean;
export declare function which(name: string): string | undefined;
export declare function run(cmd: string, args: string[], opts?: Record<string, unknown> & { quiet?: boolean; group?: boolean }): Promise<string>;

export declare function ensureSystemPackages(opts?: { chromium?: boolean; build?: boolean }): Promise<string[]>;
export declare function ensureCodeServer(): Promise<{ dir: string; entry: string; installed: boolean; seconds: number }>;

export declare function packageVsix(outFile: string): Promise<string>;
export declare function installExtension(
  extensionsDir: string,
  opts?: { mode?: 'vsix' | 'link'; workDir?: string; env?: NodeJS.ProcessEnv },
): Promise<{ mode: 'vsix' | 'link'; path: string; vsix?: string; seconds: number }>;

export interface Sandbox {
  root: string;
  home: string;
  tmp: string;
  xdgConfig: string;
  xdgData: string;
  xdgCache: string;
  userData: string;
  extensions: string;
  workspace: string;
  browserProfile: string;
  logFile: string;
  config: string;
  usedFallbackConfig: boolean;
  env: NodeJS.ProcessEnv;
}
export declare function makeSandbox(opts?: { prefix?: string; settings?: Record<string, unknown>; workspaceFrom?: string }): Sandbox;
export declare function removeSandbox(sandbox: Sandbox): void;

export declare function freePort(preferred?: number): Promise<number>;
export declare function processesWith(marker: string): { pid: number; cmdline: string }[];
/** Summed PSS and RSS (bytes) of the processes whose environment or command line has `marker`. */
export declare function memoryOf(marker: string): { pss: number; rss: number };
export declare function killGroup(pgid: number, opts?: { graceMs?: number }): Promise<{ signal: string | null; left: number[] }>;

export interface CodeServer {
  url: string;
  port: number;
  pid: number;
  startedInMs: number;
  folderUrl(folder: string): string;
  stop(): Promise<{ signal: string | null; left: number[] }>;
  logs(): string;
  exited(): { code: number | null; signal: string | null } | null;
  /** Resolves when the code-server process (the group leader) exits. */
  done: Promise<{ code: number | null; signal: string | null }>;
}
export declare function startCodeServer(opts: {
  userDataDir: string;
  extensionsDir: string;
  workspace?: string;
  env?: NodeJS.ProcessEnv;
  port?: number;
  host?: string;
  logFile?: string;
  configFile?: string;
  timeoutMs?: number;
  extraArgs?: string[];
}): Promise<CodeServer>;

export declare function launchChromium(
  sandbox: Sandbox,
  opts?: { headless?: boolean; viewport?: { width: number; height: number } },
): Promise<BrowserContext>;
