// The config-file JSON Schema that VS Code uses for .centerfusion/configs/*.json is the one the
// option catalog generates: the build writes it to dist/config.schema.json and package.json
// points jsonValidation at it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema, OPTION_SPECS } from '../../src/shared/options';

const root = join(__dirname, '..', '..', '..');

test('dist/config.schema.json is the schema generated from the option catalog', () => {
  const written = JSON.parse(readFileSync(join(root, 'dist', 'config.schema.json'), 'utf8'));
  assert.deepEqual(written, JSON.parse(JSON.stringify(configJsonSchema())));
  const props = (written.properties.options as { properties: Record<string, unknown> }).properties;
  assert.equal(Object.keys(props).length, OPTION_SPECS.filter((s) => !s.positional).length);
});

test('package.json contributes the schema for .centerfusion/configs/*.json', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entries = pkg.contributes.jsonValidation as { fileMatch: string; url: string }[];
  const entry = entries.find((e) => e.fileMatch === '.centerfusion/configs/*.json');
  assert.ok(entry, 'jsonValidation entry for config files');
  assert.equal(entry.url, './dist/config.schema.json');
});
