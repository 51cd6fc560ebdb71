import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../../src/pool/pool.js';
import { processAlive } from '../../src/pool/procfs.js';
import { PoolError } from '../../src/pool/types.js';
import { MemoryLog, options, pidOf, pids, req, sleep, withPool } from './helpers.js';

test('reset while requests run: none is lost, every worker is replaced', async () => {
  await withPool('behave.php', { numWorkers: 3 }, async (pool, _log, seen) => {
    const before = await pids(pool);
    const inflight = Array.from({ length: 6 }, (_, i) => pool.exec(req('sleep:200', `a${i}`)));
    await sleep(50);
    const reset = pool.reset();
    const during = Array.from({ length: 20 }, (_, i) => pool.exec(req('hello', `b${i}`)));
    const results = await Promise.all([...inflight, ...during]);
    await reset;
    results.forEach((r, i) => assert.equal(r.body.toString(), i < 6 ? `a${i}` : `b${i - 6}`));
    const after = await pids(pool);
    assert.equal(after.length, 3);
    assert.ok(
      after.every((p) => !before.includes(p)),
      'all workers replaced',
    );
    // Requests that arrived during the reset were served by the new workers only.
    for (const r of results.slice(6)) assert.ok(!before.includes(pidOf(r)));
    for (const p of before) {
      seen.add(p);
      assert.equal(processAlive(p), false);
    }
  });
});

test('destroy: refuses new work, waits for in-flight requests, leaves no PHP process', async () => {
  const log = new MemoryLog();
  const pool = await createPool(options('behave.php', { numWorkers: 3 }), log);
  const workers = await pids(pool);
  assert.equal(workers.length, 3);
  const running = pool.exec(req('sleep:300', 'finish me'));
  await sleep(50);
  const destroyed = pool.destroy();
  await assert.rejects(pool.exec(req('hello')), (err: unknown) => err instanceof PoolError && err.kind === 'Stopped');
  assert.equal((await running).body.toString(), 'finish me');
  await destroyed;
  for (const p of workers) assert.equal(processAlive(p), false, `worker ${p} still alive`);
  await pool.destroy(); // idempotent
});

test('destroy kills a worker that ignores the stop request after destroy_timeout', async () => {
  const log = new MemoryLog();
  const pool = await createPool(options('behave.php', { numWorkers: 1, destroyTimeout: 300 }), log);
  const [pid] = await pids(pool);
  const hung = pool.exec(req('sleep:60000'));
  await pool.destroy();
  // destroy() returned while the request would still sleep for a minute: the worker was killed, not waited for.
  await assert.rejects(hung, (err: unknown) => err instanceof PoolError && err.kind === 'Network' && /killed/.test(err.message));
  assert.equal(processAlive(pid!), false);
  assert.match(log.text('warn'), /workers still busy after 300 ms/);
});

test('a request waiting for a worker when destroy starts gets Stopped', async () => {
  const pool = await createPool(options('behave.php', { numWorkers: 1 }), new MemoryLog());
  const busy = pool.exec(req('sleep:200'));
  const waiting = assert.rejects(pool.exec(req('hello')), (err: unknown) => err instanceof PoolError && err.kind === 'Stopped');
  await sleep(20);
  await pool.destroy();
  await busy;
  await waiting;
});
