// package.json's "contributes" against the ids in the code, and the names the end-to-end tests
// click on (container title, view names, inline Train/Stop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMMANDS, CONTAINER_ID, CONTEXT_VALUES, VIEW_IDS } from '../../src/extension/ids';

const repoRoot = resolve(__dirname, '..', '..', '..'); // out/test/unit -> repo

interface Command {
  command: string;
  title: string;
  icon?: string;
  category?: string;
}
interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
interface Manifest {
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; description?: string } };
  contributes: {
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    commands: Command[];
    menus: Record<string, MenuItem[]>;
  };
}

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const c = pkg.contributes;

test('the CenterFusion container with Configs, Runs and Checkpoints', () => {
  assert.deepEqual(c.viewsContainers.activitybar, [{ id: CONTAINER_ID, title: 'CenterFusion', icon: 'media/centerfusion.svg' }]);
  assert.ok(existsSync(join(repoRoot, 'media', 'centerfusion.svg')));
  assert.match(readFileSync(join(repoRoot, 'media', 'centerfusion.svg'), 'utf8'), /currentColor/);
  assert.deepEqual(
    c.views[CONTAINER_ID].map((v) => [v.id, v.name]),
    [
      [VIEW_IDS.configs, 'Configs'],
      [VIEW_IDS.runs, 'Runs'],
      [VIEW_IDS.checkpoints, 'Checkpoints'],
    ],
  );
});

test('every command is contributed once, with the CenterFusion category, and nothing extra', () => {
  const contributed = c.commands.map((cmd) => cmd.command).sort();
  assert.deepEqual(contributed, Object.values(COMMANDS).sort());
  for (const cmd of c.commands) assert.equal(cmd.category, 'CenterFusion', cmd.command);
  const title = (id: string) => c.commands.find((cmd) => cmd.command === id)?.title;
  assert.equal(title(COMMANDS.train), 'Train');
  assert.equal(title(COMMANDS.stop), 'Stop');
  assert.equal(title(COMMANDS.refresh), 'Refresh');
  assert.equal(title(COMMANDS.copyCheckpointPath), 'Copy Path');
  assert.equal(title(COMMANDS.showOutput), 'Show Output');
  assert.equal(title(COMMANDS.createDemoConfig), 'Create Demo Config');
  const icon = (id: string) => c.commands.find((cmd) => cmd.command === id)?.icon;
  assert.deepEqual([icon(COMMANDS.train), icon(COMMANDS.stop), icon(COMMANDS.refresh)], ['$(play)', '$(debug-stop)', '$(refresh)']);
});

test('inline Train on configs, inline Stop on running runs, Refresh in the view titles', () => {
  const items = c.menus['view/item/context'];
  const inline = (command: string) => items.filter((m) => m.command === command && m.group === 'inline').map((m) => m.when);
  assert.deepEqual(inline(COMMANDS.train), [`view == ${VIEW_IDS.configs} && viewItem == ${CONTEXT_VALUES.config}`]);
  assert.deepEqual(inline(COMMANDS.stop), [`view == ${VIEW_IDS.runs} && viewItem == ${CONTEXT_VALUES.runningRun}`]);
  assert.ok(items.some((m) => m.command === COMMANDS.copyCheckpointPath && m.when?.includes(`viewItem == ${CONTEXT_VALUES.checkpoint}`)));
  const titles = c.menus['view/title'].filter((m) => m.command === COMMANDS.refresh).map((m) => m.when);
  assert.deepEqual(titles, [`view == ${VIEW_IDS.configs}`, `view == ${VIEW_IDS.runs}`]);
  // Every command a menu names is contributed.
  for (const [menu, entries] of Object.entries(c.menus)) {
    for (const m of entries) assert.ok(Object.values(COMMANDS).includes(m.command as never), `${menu}: ${m.command}`);
  }
});

test('activation, welcome and workspace trust', () => {
  // onWebviewPanel: VS Code activates the extension to restore an open dashboard or comparison after a reload
  // (webview panels have no contribution point, so it cannot infer these events).
  assert.deepEqual(pkg.activationEvents, ['workspaceContains:.centerfusion/configs/*.json', 'onWebviewPanel:centerfusion.dashboard', 'onWebviewPanel:centerfusion.compare']);
  const welcome = c.viewsWelcome.filter((w) => w.view === VIEW_IDS.configs);
  assert.ok(welcome.some((w) => w.contents.includes(`(command:${COMMANDS.createDemoConfig})`)));
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.ok((pkg.capabilities.untrustedWorkspaces.description ?? '').length > 20);
});
