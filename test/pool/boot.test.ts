import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { StaticPool, createPool } from '../../src/pool/pool.js';
import { MemoryLog, options, pidOf, req, until, withPool } from './helpers.js';

test('stray echo before the worker loop is reported as such, quickly, with the text', async () => {
  const log = new MemoryLog();
  await assert.rejects(createPool(options('stray-echo.php', { numWorkers: 1, allocateTimeout: 60000 }), log), (err: Error) => {
    assert.match(err.message, /no worker could be started \(3 attempts/);
    assert.match(err.message, /invalid frame from worker/);
    assert.match(err.message, /'hello from a stray echo\\n/);
    assert.match(err.message, /68 65 6c 6c 6f/);
    assert.match(err.message, /stdout-crc/);
    // Each attempt failed on the bad bytes themselves, not by waiting out the allocate_timeout.
    assert.doesNotMatch(err.message, /allocate_timeout/);
    return true;
  });
  assert.equal(log.entries.filter((e) => e.level === 'error' && /worker failed to start/.test(e.msg)).length, 3);
});

test('a worker that dies at boot: createPool rejects with its exit code and stderr text', async () => {
  const log = new MemoryLog();
  await assert.rejects(createPool(options('failboot.php', { numWorkers: 2 }), log), (err: Error) => {
    assert.match(err.message, /exited with code 255/);
    assert.match(err.message, /Uncaught RuntimeException: database is down/);
    return true;
  });
});

test('PHP parse error and missing script are reported with PHP’s own message', async () => {
  await assert.rejects(createPool(options('parse-error.php', { numWorkers: 1 }), new MemoryLog()), /syntax error, unexpected identifier/);
  await assert.rejects(
    createPool(options('no-such-file.php', { numWorkers: 1 }), new MemoryLog()),
    /Could not open input file: .*no-such-file\.php/,
  );
  await assert.rejects(
    createPool({ ...options('echo.php', { numWorkers: 1 }), command: ['/nonexistent/php-binary'] }, new MemoryLog()),
    /cannot run "\/nonexistent\/php-binary": spawn \/nonexistent\/php-binary ENOENT/,
  );
});

test('a worker that never answers the handshake fails after allocate_timeout', async () => {
  await assert.rejects(
    createPool(options('slowboot.php', { numWorkers: 1, allocateTimeout: 300 }), new MemoryLog()),
    /no handshake within allocate_timeout \(300 ms\)/,
  );
});

test('boot failures after start are retried with exponential backoff, not in a hot loop', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-pool-'));
  const flag = path.join(dir, 'fail');
  try {
    await withPool('flaky.php', { numWorkers: 1, env: { FLAKY_FLAG: flag } }, async (pool, log) => {
      const first = pidOf(await pool.exec(req('a')));
      writeFileSync(flag, '');
      // Kill the worker: its replacements now fail to boot until the flag is removed.
      process.kill(first, 'SIGKILL');
      await until(async () => (await pool.workers()).length === 0, 'the killed worker is gone');
      // Not a hot loop: after three failed starts in a row the pool waits (and says how long) before the next one.
      assert.ok(pool instanceof StaticPool);
      await until(() => pool.respawnState().failures >= 3, 'three failed starts', 30000);
      assert.ok(pool.respawnState().delay >= 400, `the wait grows: ${JSON.stringify(pool.respawnState())}`);
      assert.ok(readFileSync(`${flag}.count`, 'utf8').length >= 3, 'each failure was a real start of the worker');
      assert.match(log.text('error'), /worker failed to start: .*exited with code 1.*not yet/);
      rmSync(flag);
      await until(async () => (await pool.workers()).length === 1, 'the worker is back', 30000);
      assert.notEqual(pidOf(await pool.exec(req('c'))), first);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
