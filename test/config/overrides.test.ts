/**
 * `-o key=value` for list keys: RoadRunner splits a comma-separated value given for a list, so
 * `-o reload.patterns=.php,.env` sets two patterns. Keys that take a string or a list keep the string.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { isListKey, parseOverride } from '../../src/config/overrides.js';

const BASE = `version: "3"
server:
  command: "php worker.php"
http:
  address: 127.0.0.1:8080
  middleware: [headers]
reload:
  patterns: [".php"]
`;

function load(overrides: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-cfg-'));
  try {
    const file = path.join(dir, '.rr.yaml');
    writeFileSync(file, BASE);
    return loadConfig({ file, env, overrides });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the schema tells which keys are lists, through defaults, transforms and maps', () => {
  for (const key of [
    'reload.patterns',
    'reload.services.http.dirs',
    'reload.services.any_name.ignore',
    'http.middleware',
    'http.uploads.forbid',
    'http.static.allow',
    'http.trusted_subnets',
    'include',
  ]) {
    assert.equal(isListKey(key.split('.')), true, key);
  }
  // A command is a string split on spaces or an argv list; log outputs are a string or a list: both keep the string.
  for (const key of [
    'server.command',
    'http.pool.command',
    'logs.output',
    'reload.interval',
    'http.address',
    'reload.services',
    'reload',
    'http.nope',
    'nope.patterns',
    'http.address.x',
  ]) {
    assert.equal(isListKey(key.split('.')), false, key);
  }
});

test("-o splits a comma list for a list key and replaces the file's list", () => {
  const { config } = load(['reload.patterns=.php,.env', 'http.middleware=static, gzip']);
  assert.deepEqual(config.reload!.patterns, ['.php', '.env']);
  assert.deepEqual(config.http!.middleware, ['static', 'gzip']);
});

test('-o reaches list keys inside maps through dotted keys and creates the missing levels', () => {
  const { config, raw, locate } = load([
    'reload.services.http.dirs=app,public',
    'reload.services.http.recursive=false',
    'reload.interval=2s',
  ]);
  assert.deepEqual(config.reload!.services.http, { dirs: ['app', 'public'], recursive: false, ignore: [], patterns: [] });
  assert.equal(config.reload!.interval, 2000);
  // rpc.Config shows the list as a list (other override values stay the text given, as RoadRunner's viper.Set keeps them).
  assert.deepEqual((raw.reload as { services: { http: { dirs: unknown } } }).services.http.dirs, ['app', 'public']);
  assert.equal(locate('reload.services.http.dirs'), '-o reload.services.http.dirs=app,public');
});

test('-o list values: one item, quotes, env expansion before the split, an empty list', () => {
  assert.deepEqual(load(['reload.patterns=.php']).config.reload!.patterns, ['.php']);
  assert.deepEqual(load(['reload.patterns=".php,.env"']).config.reload!.patterns, ['.php', '.env']);
  assert.deepEqual(load(['reload.patterns=${PATTERNS}'], { PATTERNS: '.php,.twig' }).config.reload!.patterns, ['.php', '.twig']);
  assert.deepEqual(load(['http.uploads.forbid=']).config.http!.uploads.forbid, []);
  assert.deepEqual(
    load(['http.uploads.forbid=.PHP,.exe']).config.http!.uploads.forbid,
    ['.php', '.exe'],
    "the schema's own reading still applies",
  );
});

test('-o for a string-or-list key keeps the string (a command is split on spaces, not commas)', () => {
  assert.deepEqual(load(['server.command=php a,b.php']).config.server.command, ['php', 'a,b.php']);
  assert.deepEqual(parseOverride('logs.output=stdout,stderr', {}).value, 'stdout,stderr');
  assert.deepEqual(parseOverride('http.address=127.0.0.1:9000', {}), {
    spec: 'http.address=127.0.0.1:9000',
    key: 'http.address',
    keyPath: ['http', 'address'],
    value: '127.0.0.1:9000',
  });
});

test('a bad override is still a clear error', () => {
  assert.throws(() => load(['reload.patterns']), /^ConfigError: -o reload\.patterns: an override must look like key=value/);
  assert.throws(() => load(['reload..patterns=.php']), /invalid key "reload\.\.patterns"/);
  assert.throws(() => load(['reload.interval=soon']), /^ConfigError: -o reload\.interval=soon: reload\.interval: invalid duration/);
});
