/**
 * A minimal stand-in for the `vscode` module, so that host code (the Runs tree provider, the
 * whole extension bundle) can be loaded and timed in plain node. `installVscodeStub()` hooks
 * Module._resolveFilename so that `require('vscode')` returns it.
 *
 * The classes the measured code builds (TreeItem, ThemeIcon, MarkdownString, EventEmitter, Uri,
 * Disposable) do the same small amount of work as VS Code's own; every other API is a no-op
 * proxy that returns disposables, so activation can register its commands, views and watchers.
 */

import Module = require('node:module');
import * as path from 'node:path';

type Listener<T> = (e: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const i of items) i.dispose();
    });
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  static readonly Folder = new ThemeIcon('folder');
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  value = '';
  isTrusted = false;
  supportThemeIcons = false;
  constructor(value = '') {
    this.value = value;
  }
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
  appendCodeblock(code: string, language = ''): this {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string | MarkdownString;
  iconPath?: unknown;
  contextValue?: string;
  command?: unknown;
  resourceUri?: Uri;
  constructor(
    public label: string | { label: string },
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  get path(): string {
    return this.fsPath;
  }
  static file(p: string): Uri {
    return new Uri('file', path.resolve(p));
  }
  static parse(text: string): Uri {
    return new Uri(text.split(':')[0] ?? 'file', text.replace(/^file:\/\//, ''));
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  with(): Uri {
    return this;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class RelativePattern {
  constructor(
    readonly base: unknown,
    readonly pattern: string,
  ) {}
}

/**
 * Any other API: callable, constructible, every property another no-op; calls return a
 * disposable no-op. Not thenable, so an awaited result does not hang.
 */
function noop(): unknown {
  const target = function stub(): void {
    /* no-op */
  };
  const proxy: unknown = new Proxy(target, {
    get(_t, prop) {
      if (prop === 'then' || prop === Symbol.iterator || prop === Symbol.asyncIterator) return undefined;
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === 'dispose') return () => undefined;
      return proxy;
    },
    apply: () => proxy,
    construct: () => proxy as object,
  });
  return proxy;
}

const event = (): Disposable => new Disposable();

function configuration(): unknown {
  return { get: <T>(_key: string, fallback?: T): T | undefined => fallback, has: () => false, inspect: () => undefined, update: async () => undefined };
}

/** The module object that `require('vscode')` returns. */
export function createVscodeStub(): Record<string, unknown> {
  const n = noop();
  const registered = new Map<string, unknown>();
  const api: Record<string, unknown> = {
    Disposable,
    EventEmitter,
    ThemeColor,
    ThemeIcon,
    MarkdownString,
    TreeItem,
    TreeItemCollapsibleState,
    Uri,
    RelativePattern,
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
    commands: {
      registerCommand: (id: string, fn: unknown) => {
        registered.set(id, fn);
        return new Disposable(() => registered.delete(id));
      },
      executeCommand: async () => undefined,
      getCommands: async () => [...registered.keys()],
    },
    window: new Proxy(
      {
        createOutputChannel: () => ({ appendLine: () => undefined, append: () => undefined, show: () => undefined, clear: () => undefined, dispose: () => undefined, name: 'stub' }),
        createTreeView: () => ({ dispose: () => undefined, onDidChangeSelection: event, onDidExpandElement: event, onDidCollapseElement: event, onDidChangeVisibility: event, reveal: async () => undefined, selection: [], visible: true }),
        createStatusBarItem: () => ({ show: () => undefined, hide: () => undefined, dispose: () => undefined }),
        registerWebviewPanelSerializer: () => new Disposable(),
        registerCustomEditorProvider: () => new Disposable(),
        setStatusBarMessage: () => new Disposable(),
        onDidChangeActiveTextEditor: event,
      },
      { get: (t: Record<string, unknown>, p: string) => (p in t ? t[p] : n) },
    ),
    workspace: new Proxy(
      {
        workspaceFolders: undefined,
        isTrusted: true,
        onDidChangeWorkspaceFolders: event,
        onDidChangeConfiguration: event,
        onDidGrantWorkspaceTrust: event,
        onDidSaveTextDocument: event,
        onDidChangeTextDocument: event,
        getConfiguration: configuration,
        getWorkspaceFolder: () => undefined,
        createFileSystemWatcher: () => ({ onDidCreate: event, onDidChange: event, onDidDelete: event, dispose: () => undefined }),
      },
      { get: (t: Record<string, unknown>, p: string) => (p in t ? t[p] : n) },
    ),
    extensions: { getExtension: () => undefined, all: [] },
    env: { clipboard: { writeText: async () => undefined }, appName: 'stub', language: 'en' },
  };
  return new Proxy(api, { get: (t, p: string) => (p in t ? t[p] : n) });
}

const STUB_FILE = path.join(__dirname, '__vscode_stub__.js');
let installed = false;

/** Makes `require('vscode')` return the stub, from here on, in this process. */
export function installVscodeStub(): void {
  if (installed) return;
  installed = true;
  // Internal node API (Module._resolveFilename / _cache), the usual way to stand in for a module
  // that only exists inside another program; typed loosely because @types/node omits it.
  const M = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const original = M._resolveFilename;
  M._resolveFilename = function resolve(this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'vscode' ? STUB_FILE : original.call(this, request, ...rest);
  };
  const mod = new Module(STUB_FILE);
  mod.filename = STUB_FILE;
  mod.loaded = true;
  mod.exports = createVscodeStub();
  M._cache[STUB_FILE] = mod;
}
