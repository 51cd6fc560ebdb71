import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolError } from '../../src/pool/types.js';
import { pidOf, pids, req, until, withPool } from './helpers.js';

test('max_jobs: 1 under concurrency: 50 requests over 2 workers, every request on a fresh worker, no deadlock', async () => {
  await withPool('behave.php', { numWorkers: 2, maxJobs: 1 }, async (pool, _log, seen) => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => pool.exec(req('hello', `r${i}`))));
    results.forEach((r, i) => assert.equal(r.body.toString(), `r${i}`));
    const used = results.map(pidOf);
    // max_jobs 1 + at most 14 % jitter (floor(1*14/100) = 0): each worker serves exactly one request.
    assert.equal(new Set(used).size, 50);
    for (const p of used) seen.add(p);
    await until(async () => (await pids(pool)).length === 2, 'two fresh workers again');
    assert.ok((await pids(pool)).every((p) => !used.includes(p)));
    assert.equal(pool.queueSize(), 0);
  });
});

test('max_jobs: 10 retires a worker after 10..11 executions (jitter)', async () => {
  await withPool('behave.php', { numWorkers: 1, maxJobs: 10 }, async (pool) => {
    const used: number[] = [];
    for (let i = 0; i < 25; i++) used.push(pidOf(await pool.exec(req('hello'))));
    const first = used[0]!;
    const runs = used.filter((p) => p === first).length;
    assert.ok(runs >= 10 && runs <= 11, `first worker ran ${runs} requests`);
    assert.ok(new Set(used).size >= 2);
  });
});

test('allocate_timeout → NoFreeWorkers while every worker is busy; waiting requests are served in FIFO order', async () => {
  await withPool('behave.php', { numWorkers: 1, allocateTimeout: 300 }, async (pool) => {
    const slow = pool.exec(req('sleep:800'));
    await assert.rejects(
      pool.exec(req('hello')),
      (err: unknown) => err instanceof PoolError && err.kind === 'NoFreeWorkers' && /allocate_timeout \(300 ms\)/.test(err.message),
    );
    await slow;
  });
  await withPool('behave.php', { numWorkers: 1, allocateTimeout: 5000 }, async (pool) => {
    const order: number[] = [];
    const all = Array.from({ length: 10 }, (_, i) =>
      pool.exec(req('sleep:10', String(i))).then((r) => order.push(Number(r.body.toString()))),
    );
    await Promise.all(all);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

test('max_queue_size → QueueSize at once when waiting + running requests reach the limit', async () => {
  await withPool('behave.php', { numWorkers: 1, maxQueueSize: 2 }, async (pool) => {
    const a = pool.exec(req('sleep:300'));
    const b = pool.exec(req('hello'));
    assert.equal(pool.queueSize(), 2);
    await assert.rejects(
      pool.exec(req('hello')),
      (err: unknown) => err instanceof PoolError && err.kind === 'QueueSize' && /max_queue_size \(2\)/.test(err.message),
    );
    await Promise.all([a, b]);
    assert.equal(pool.queueSize(), 0);
    await pool.exec(req('hello'));
  });
});

test('debug mode: a fresh worker per request, stopped afterwards; workers() is empty', async () => {
  await withPool('behave.php', { numWorkers: 4, debug: true }, async (pool, _log, seen) => {
    assert.deepEqual(await pool.workers(), []);
    const used = [];
    for (let i = 0; i < 3; i++) used.push(pidOf(await pool.exec(req('hello'))));
    const parallel = await Promise.all([pool.exec(req('hello')), pool.exec(req('hello'))]);
    used.push(...parallel.map(pidOf));
    assert.equal(new Set(used).size, 5);
    for (const p of used) seen.add(p);
    await assert.rejects(pool.exec(req('error:soft')), (err: unknown) => err instanceof PoolError && err.kind === 'SoftJob');
  });
});
