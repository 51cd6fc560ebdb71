import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCi4Id, APP_IDS } from '../../bench/apps.js';
import {
  cookieScript,
  sessionCookie,
  visitsOf,
  writeCookieScript,
  seedSql,
  CATEGORIES,
  PRODUCTS_PER_CATEGORY,
} from '../../bench/services.js';
import { listeningInodes, listenerPids } from '../../bench/proc.js';
import { aptCommands, toolsFor } from '../../bench/install.js';
import { runWrk } from '../../bench/wrk.js';

test('CI4 app ids: 4.7.2 by default, the 4.1.3 welcome row, any release with @, the realistic page only on 4.7+', () => {
  assert.deepEqual(parseCi4Id('ci4-welcome'), { page: 'welcome', version: '4.7.2' });
  assert.deepEqual(parseCi4Id('ci4-welcome-4.1'), { page: 'welcome', version: '4.1.3' });
  assert.deepEqual(parseCi4Id('ci4-json@4.4.8'), { page: 'json', version: '4.4.8' });
  assert.deepEqual(parseCi4Id('ci4-page'), { page: 'page', version: '4.7.2' });
  assert.equal(parseCi4Id('hello'), undefined);
  assert.equal(parseCi4Id('ci4-nope'), undefined);
  assert.throws(() => parseCi4Id('ci4-page@4.1.3'), /needs CodeIgniter 4\.7/);
  assert.deepEqual([...APP_IDS], ['hello', 'ci4-welcome', 'ci4-json', 'ci4-page', 'ci4-welcome-4.1']);
});

test('session cookie and visit counter are read from a page answer, with a clear error otherwise', () => {
  assert.equal(sessionCookie(['a=1; Path=/', 'ci_session=abc123; expires=x; path=/; HttpOnly']), 'ci_session=abc123');
  assert.throws(() => sessionCookie(['ci_session=; Max-Age=0']), /no ci_session cookie/);
  assert.throws(() => sessionCookie(undefined), /no ci_session cookie/);
  assert.equal(visitsOf('<strong id="visits">42</strong>'), 42);
  assert.throws(() => visitsOf('<html>error</html>'), /no visit counter/);
});

test('the seed has every category and product, quotes escaped', () => {
  const sql = seedSql();
  assert.match(sql, /CREATE TABLE categories/);
  assert.match(sql, /KEY by_category \(category_id, price\)/);
  const productRows = sql
    .split('\n')
    .find((l) => l.startsWith('INSERT INTO products'))!
    .match(/\('BSC-|\(\d+, \d+, 'BSC-/g)!;
  assert.equal(productRows.length, CATEGORIES.length * PRODUCTS_PER_CATEGORY);
});

test('listenerPids finds the process listening on a port (this one), and nothing on a closed port', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    assert.deepEqual(await listenerPids(port), [process.pid]);
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.deepEqual(await listenerPids(port), []);
  const table =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n' +
    '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 100 0 0 10 0\n';
  assert.deepEqual(listeningInodes(table, 8080), ['4242']);
});

test('the bench installs only what the selected apps need, through sudo when not root', () => {
  const hello = toolsFor(['hello']).map((t) => t.pkg);
  assert.deepEqual(hello, ['php8.2-cli', 'wrk', 'nginx', 'php8.2-fpm']);
  const page = toolsFor(['hello', 'ci4-page']).map((t) => t.pkg);
  for (const pkg of ['mariadb-server', 'redis-server', 'php8.2-mysql', 'php8.2-redis', 'php8.2-sqlite3'])
    assert.ok(page.includes(pkg), pkg);
  const asUser = aptCommands(['wrk'], false);
  assert.ok(asUser.every((c) => c[0] === 'sudo' && c[1] === '-n'));
  assert.deepEqual(asUser.at(-1)!.slice(-2), ['--no-install-recommends', 'wrk']);
  assert.equal(aptCommands(['wrk'], true)[1]![0], 'apt-get');
});

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['-v'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

test(
  'wrk sends the session cookies round robin, one per request',
  { skip: hasWrk() ? false : 'wrk is not installed (the benchmark installs it: npm run bench)' },
  async () => {
    const cookies = ['ci_session=a1', 'ci_session=b2', 'ci_session=c3'];
    assert.match(cookieScript(cookies), /"ci_session=b2",/);
    const seen = new Map<string, number>();
    const server = createServer((req, res) => {
      const c = String(req.headers.cookie);
      seen.set(c, (seen.get(c) ?? 0) + 1);
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'burner-bench-test-'));
    try {
      const { port } = server.address() as { port: number };
      const script = await writeCookieScript(path.join(dir, 'sessions.lua'), cookies);
      const result = await runWrk(`http://127.0.0.1:${port}/bench/page`, { seconds: 1, connections: 2, threads: 1, script });
      assert.ok(result.requests >= 3, `wrk made ${result.requests} requests`);
      assert.deepEqual([...seen.keys()].sort(), cookies);
      // Round robin: the counts differ by at most the requests in flight when wrk stopped.
      const counts = [...seen.values()];
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `uneven: ${counts.join(', ')}`);
    } finally {
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  },
);
