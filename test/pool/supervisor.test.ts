import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolError, WorkerState } from '../../src/pool/types.js';
import { pidOf, pids, req, until, withPool } from './helpers.js';

const sup = (o: Partial<{ ttl: number; idleTtl: number; maxWorkerMemory: number; execTtl: number }>) => ({
  supervisor: { watchTick: 50, ttl: 0, idleTtl: 0, maxWorkerMemory: 0, execTtl: 0, ...o },
});

test('exec_ttl kills a sleeping request (ExecTTL) and a new PID serves the next one', async () => {
  await withPool('behave.php', { numWorkers: 1, ...sup({ execTtl: 300 }) }, async (pool, _log, seen) => {
    const first = pidOf(await pool.exec(req('hello')));
    await assert.rejects(
      pool.exec(req('sleep:10000')),
      (err: unknown) => err instanceof PoolError && err.kind === 'ExecTTL' && /exec_ttl \(300 ms\)/.test(err.message),
    );
    await until(() => {
      try {
        process.kill(first, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the sleeping worker was killed');
    const next = pidOf(await pool.exec(req('sleep:50')));
    assert.notEqual(next, first);
    seen.add(first);
  });
});

test('max_worker_memory: a busy worker over the limit finishes its request, then is retired (soft)', async () => {
  await withPool('behave.php', { numWorkers: 1, ...sup({ maxWorkerMemory: 64 }) }, async (pool, _log, seen) => {
    const first = pidOf(await pool.exec(req('hello')));
    // Leak 100 MB, then stay busy for several ticks inside the same request.
    let done = false;
    const busy = pool.exec(req('leak:100:400')).finally(() => (done = true));
    // Usually seen while busy; on a slow machine the request may end first, which is fine too.
    await until(async () => done || ((await pool.workers())[0]?.memoryUsage ?? 0) >= 64 * 1024 * 1024, 'RSS above the limit while busy');
    assert.equal(pidOf(await busy), first, 'the request completed on the leaking worker: it was not killed');
    await until(async () => {
      const p = await pids(pool);
      return p.length === 1 && p[0] !== first;
    }, 'leaking worker replaced');
    assert.notEqual(pidOf(await pool.exec(req('hello'))), first);
    seen.add(first);
  });
});

test('max_worker_memory: an idle worker over the limit is retired at the next tick', async () => {
  await withPool('behave.php', { numWorkers: 2, ...sup({ maxWorkerMemory: 64 }) }, async (pool, _log, seen) => {
    const before = await pids(pool);
    const leaky = pidOf(await pool.exec(req('leak:100')));
    const other = before.find((p) => p !== leaky)!;
    await until(async () => !(await pids(pool)).includes(leaky) && (await pids(pool)).length === 2, 'leaking worker replaced');
    assert.ok((await pids(pool)).includes(other), 'the small worker stays');
    seen.add(leaky);
  });
});

test('ttl retires workers by age; idle_ttl retires workers idle since their last use', async () => {
  await withPool('behave.php', { numWorkers: 1, ...sup({ ttl: 400 }) }, async (pool, _log, seen) => {
    const first = pidOf(await pool.exec(req('hello')));
    await until(async () => {
      const p = await pids(pool);
      return p.length === 1 && p[0] !== first;
    }, 'ttl replaced the worker');
    assert.notEqual(pidOf(await pool.exec(req('hello'))), first);
    seen.add(first);
  });
  await withPool('behave.php', { numWorkers: 2, ...sup({ idleTtl: 300 }) }, async (pool, _log, seen) => {
    const before = await pids(pool);
    const used = pidOf(await pool.exec(req('hello')));
    const unused = before.find((p) => p !== used)!;
    await until(async () => !(await pids(pool)).includes(used), 'idle_ttl replaced the used worker');
    // idle_ttl only applies to workers that served at least one request.
    assert.ok((await pids(pool)).includes(unused));
    const info = (await pool.workers()).find((w) => w.pid === unused)!;
    assert.equal(info.status, WorkerState.Ready);
    seen.add(used);
  });
});
