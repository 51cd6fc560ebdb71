import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/rr.js');

function runServe(yaml: string, extra: string[] = []): { status: number | null; stderr: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-cli-'));
  try {
    const file = path.join(dir, '.rr.yaml');
    writeFileSync(file, yaml);
    const r = spawnSync(process.execPath, [RR, 'serve', '-c', file, ...extra], { encoding: 'utf8', timeout: 20_000 });
    return { status: r.status, stderr: r.stderr, file };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GOOD = `version: "3"
server:
  command: "php -r 'exit(1);'"
http:
  address: 127.0.0.1:0
`;

for (const [name, yaml, expected] of [
  ['unknown key', GOOD + '  pool:\n    num_wrkers: 2\n', /:7: http\.pool\.num_wrkers: unknown key$/],
  ['version: 2', GOOD.replace('version: "3"', 'version: 2'), /:1: version: version must be the string "3"/],
  ['bad duration', GOOD + '  pool:\n    allocate_timeout: 5 seconds\n', /:7: http\.pool\.allocate_timeout: invalid duration "5 seconds"/],
  ['port 99999', GOOD.replace('127.0.0.1:0', '127.0.0.1:99999'), /:5: http\.address: port "99999" is not a number from 0 to 65535/],
  [
    'bare-number duration',
    GOOD + '  pool:\n    supervisor:\n      exec_ttl: 30\n',
    /:8: http\.pool\.supervisor\.exec_ttl: 30 without a unit is 30 ns/,
  ],
  ['missing static dir', GOOD + '  static:\n    dir: nope\n', /:7: http\.static\.dir: \S*nope does not exist/],
] as const) {
  test(`rr serve with a bad config (${name}) exits non-zero with one clear line`, () => {
    const r = runServe(yaml);
    assert.notEqual(r.status, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
    assert.ok(lines[0]!.startsWith(`rr: ${r.file}:`), lines[0]);
    assert.match(lines[0]!, expected);
  });
}

test('a bad -o override is named as such', () => {
  const r = runServe(GOOD, ['-o', 'http.pool.max_jobs=lots']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.trim(), /^rr: -o http\.pool\.max_jobs=lots: http\.pool\.max_jobs: /);
});

test('rr --version and --help answer without a config', () => {
  const v = spawnSync(process.execPath, [RR, '--version'], { encoding: 'utf8' });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^rr version \d{4}\.\d+\.\d+ \(burner /);
  const h = spawnSync(process.execPath, [RR, '--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  for (const cmd of ['serve', 'stop']) assert.match(h.stdout, new RegExp(`\\b${cmd}\\b`));
});
