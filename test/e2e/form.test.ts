// End to end in a real VS Code (code-server 4.100.3 through Debian's chromium): the options form
// on the demo config (inline "Edit Options"): a bad num_epochs rejected with its message next to
// the field, num_epochs 4 followed by the command preview, the lr_step list editor (Add an item,
// a bad item rejected item by item, a good one in the preview), load_model checked on disk by
// the host (a missing file named next to the field, an existing one accepted), then Save: the
// config file on disk has the new values and its other keys intact.
// Needs `node test/e2e/setup.mjs` and built bundles (dist/). On failure:
// test/e2e/.work/form-failure.png and form-failure/ (code-server and VS Code logs).
// CFS_SCREENSHOTS=1 writes docs/images/form-options.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { scenario, screenshot, until, webviewWith } from './scenario';

const get = scenario('form', { needs: ['webview/options-form.js'], prepare: (ws) => {
  mkdirSync(join(ws, 'models'), { recursive: true });
  writeFileSync(join(ws, 'models', 'base.ckpt'), 'not really a checkpoint');
} });

async function textOf(form: FrameLocator, selector: string): Promise<string> {
  return ((await form.locator(selector).first().textContent()) ?? '').trim();
}

test('options form: validation, list editor, disk checks, preview, Save', { timeout: 240_000 }, async () => {
  const s = get();
  const { step } = s;
  const configFile = join(s.sandbox.workspace, '.centerfusion', 'configs', 'demo.json');
  const before = JSON.parse(readFileSync(configFile, 'utf8')) as { options: Record<string, unknown> } & Record<string, unknown>;
  const p = await s.open();

  await step('Edit Options on the "demo" config', async () => {
    const icon = p.locator('.part.activitybar a.action-label[aria-label^="CenterFusion"]');
    await icon.waitFor({ state: 'visible', timeout: 60_000 });
    await icon.click();
    const row = p.locator('.part.sidebar .monaco-list-row[role="treeitem"]').filter({ has: p.locator('.label-name', { hasText: /^\s*demo\s*$/ }) }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.hover();
    const edit = row.locator('.actions a.action-label[aria-label="Edit Options"]');
    await edit.waitFor({ state: 'visible', timeout: 10_000 });
    await edit.click();
  });

  const form = await step('the form shows the command preview', async () => {
    const f = await webviewWith(p, s.lib.EXTENSION_ID, '#command-preview');
    await until('the preview', async () => /python main\.py ddd .*--num_epochs 3/.test(await textOf(f, '#command-preview')));
    return f;
  });
  const message = (dest: string) => textOf(form, `.row[data-dest="${dest}"] .message`);

  const epochs = form.locator('vscode-textfield[data-dest="num_epochs"] input');
  await step('a bad num_epochs is rejected next to the field', async () => {
    await epochs.fill('abc');
    await until('the message', async () => /integer/.test(await message('num_epochs')));
    assert.match(await textOf(form, '#command-preview'), /Fix the fields/);
  });

  await step('num_epochs 4: the preview follows', async () => {
    await epochs.fill('4');
    await until('--num_epochs 4 in the preview', async () => /--num_epochs 4\b/.test(await textOf(form, '#command-preview')));
    assert.equal(await message('num_epochs'), '');
  });

  const lrStep = form.locator('.row[data-dest="lr_step"]');
  await step('lr_step list editor: Add an item, a bad item is rejected item by item', async () => {
    assert.equal(await lrStep.locator('.list-item').count(), 1, 'the demo has lr_step "2": one item');
    await lrStep.locator('vscode-button[data-add="lr_step"]').click();
    await until('a second item', async () => (await lrStep.locator('.list-item').count()) === 2);
    const second = lrStep.locator('vscode-textfield[data-index="1"] input');
    await second.fill('x');
    await until('the item message', async () => /item 2: "x" is not an integer/.test(await message('lr_step')));
    assert.match(await textOf(form, '#command-preview'), /Fix the fields/);
    await second.fill('3');
    await until('--lr_step 2,3 in the preview', async () => /--lr_step 2,3\b/.test(await textOf(form, '#command-preview')));
    assert.equal(await message('lr_step'), '');
  });

  const loadModel = form.locator('vscode-textfield[data-dest="load_model"] input');
  await step('load_model: a missing file is named next to the field, an existing one is accepted', async () => {
    await loadModel.fill('models/missing.ckpt');
    await until('the missing-file message', async () => /no file at .*models\/missing\.ckpt/.test(await message('load_model')), 20_000);
    await loadModel.fill('models/base.ckpt');
    await until('the message to clear', async () => (await message('load_model')) === '', 20_000);
    assert.match(await textOf(form, '#command-preview'), /--load_model models\/base\.ckpt/);
    await loadModel.fill('');
    await until('no --load_model in the preview', async () => !/--load_model/.test(await textOf(form, '#command-preview')));
  });

  await step('screenshot of the form', async () => {
    await lrStep.scrollIntoViewIfNeeded();
    await screenshot(p, 'form-options');
  });

  await step('Save writes num_epochs 4 and lr_step "2,3" and keeps the other keys', async () => {
    await form.locator('vscode-button[data-action="save"]').click();
    let after: typeof before | undefined;
    await until('the file on disk', async () => {
      try {
        after = JSON.parse(readFileSync(configFile, 'utf8')) as typeof before;
      } catch {
        return false;
      }
      return after.options.num_epochs === 4;
    });
    assert.deepEqual(Object.keys(after!), Object.keys(before));
    assert.deepEqual(after!.options, { ...before.options, num_epochs: 4, lr_step: '2,3' });
    assert.deepEqual(Object.keys(after!.options), Object.keys(before.options));
    await until('the Saved notice', async () => /Saved/.test(await textOf(form, '.notice')));
  });
});
