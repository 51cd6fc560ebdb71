/** Env expansion (issue 14 #7): values are expanded as text and never re-typed; RoadRunner's forms, Burner's fixes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { expand, expandEnv } from '../../src/config/expand.js';
import { workerEnv } from '../../src/app.js';

function load(text: string, env: NodeJS.ProcessEnv, overrides: string[] = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-expand-'));
  try {
    const file = path.join(dir, '.rr.yaml');
    writeFileSync(file, text);
    return { ...loadConfig({ file, env, overrides }), file };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const withEnv = (env: string) => `version: "3"
server:
  command: "php w.php"
  env:
${env}
http:
  address: 127.0.0.1:8080
`;

test('an expanded value keeps its text: 007, 1e3 and 0x1F reach the worker as written', () => {
  const r = load(withEnv('    PIN: $PIN\n    BIG: ${BIG}\n    HEX: $HEX\n    FLAG: $FLAG\n'), {
    PIN: '007',
    BIG: '1e3',
    HEX: '0x1F',
    FLAG: 'yes',
  });
  assert.deepEqual(r.config.server.env, { PIN: '007', BIG: '1e3', HEX: '0x1F', FLAG: 'yes' });
  const env = workerEnv(r.config, 'http');
  assert.equal(env.PIN, '007');
  assert.equal(env.BIG, '1e3');
  assert.equal(env.HEX, '0x1F');
  assert.deepEqual(
    (r.raw.server as { env: unknown }).env,
    { PIN: '007', BIG: '1e3', HEX: '0x1F', FLAG: 'yes' },
    'rpc.Config sees the same strings',
  );
  assert.deepEqual(r.warnings, []);
});

test('a literal env value is the text written too (007 stays 007); numeric keys still read numbers', () => {
  const text = withEnv('    PIN: 007\n    RATIO: 1.50\n    ON: true\n').replace(
    'address: 127.0.0.1:8080',
    'address: 127.0.0.1:8080\n  pool:\n    num_workers: ${N:-3}\n    max_jobs: "0x10"\n    debug: ${DBG:-false}',
  );
  const r = load(text, {});
  assert.deepEqual(r.config.server.env, { PIN: '007', RATIO: '1.50', ON: 'true' });
  assert.equal(r.config.http!.pool.num_workers, 3);
  assert.equal(r.config.http!.pool.max_jobs, 16);
  assert.equal(r.config.http!.pool.debug, false);
  assert.deepEqual((r.raw.server as { env: unknown }).env, { PIN: 7, RATIO: 1.5, ON: true }, 'rpc.Config types literals as YAML does');
});

test('"pa$word" with $word unset: empty as in RoadRunner, but a warning names file:line:key; $$ is a literal $', () => {
  const r = load(withEnv('    PASSWORD: "pa$word"\n    ESCAPED: "pa$$word"\n'), {});
  assert.equal(r.config.server.env!.PASSWORD, 'pa');
  assert.equal(r.config.server.env!.ESCAPED, 'pa$word');
  assert.equal(r.warnings.length, 1, r.warnings.join('\n'));
  assert.ok(r.warnings[0]!.startsWith(`${r.file}:5: server.env.PASSWORD: $word is not set in the environment`), r.warnings[0]);
  assert.match(r.warnings[0]!, /write \$\$ for a literal \$/);
});

test('"x:-y $HOME" keeps $HOME: `:-` counts only inside ${...}', () => {
  const r = load(withEnv('    MIXED: "x:-y $HOME"\n'), { HOME: '/home/burner' });
  assert.equal(r.config.server.env!.MIXED, 'x:-y /home/burner');
});

test("RoadRunner's expansion rules", () => {
  const env = { SET: 'val', PORT: '9000', EMPTY: '' };
  const cases: Array<[string, string]> = [
    ['$SET', 'val'],
    ['$SET/x', 'val/x'],
    ['a $SET b', 'a val b'],
    ['${SET}', 'val'],
    ['${SET}x', 'valx'],
    ['plain value', 'plain value'],
    ['cost 5$', 'cost 5$'],
    ['$ x', '$ x'],
    ['${}', ''],
    ['$MISSING', ''],
    ['${MISSING:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${SET:-def}', 'val'],
    ['tcp://h:${PORT:-1}', 'tcp://h:9000'],
    ['${SCHEME:-tcp}://127.0.0.1:${RPC_PORT:-36643}', 'tcp://127.0.0.1:36643'],
    ['${SET:val}', ''],
    ['$1', ''],
    // Burner: a literal $ and an unterminated ${ are kept.
    ['a$$b', 'a$b'],
    ['${SET', '${SET'],
  ];
  for (const [input, want] of cases) assert.equal(expandEnv(input, env), want, input);
  assert.deepEqual(expand('$A ${B} ${C:-c} $SET', env).unset, ['A', 'B']);
});

test('-o values are expanded text, read by the key they set', () => {
  const r = load(withEnv('    A: b\n'), { N: '5', PIN: '007' }, ['http.pool.num_workers=${N}', 'server.env.PIN=$PIN']);
  assert.equal(r.config.http!.pool.num_workers, 5);
  assert.equal(r.config.server.env!.PIN, '007');
});
