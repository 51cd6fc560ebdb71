import { test } from 'node:test';
import path from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { PoolError, WorkerState } from '../../src/pool/types.js';
import { pidOf, pids, req, until, withPool } from './helpers.js';

const isPoolError = (kind: string, re?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof PoolError, `expected PoolError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  if (re) assert.match(err.message, re);
  return true;
};

test('echo round trip: context, body and flags come back; workers() reports real processes', async () => {
  await withPool('echo.php', {}, async (pool, log) => {
    const body = Buffer.alloc(256 * 1024, 7);
    const res = await pool.exec({ codec: 0x80, context: Buffer.from('ctx-1'), body });
    const ctx = JSON.parse(res.context.toString()) as { pid: number; ctx: string; flags: number };
    assert.equal(ctx.ctx, 'ctx-1');
    assert.equal(ctx.flags, 0x80, 'the request carried the payload codec');
    assert.equal(res.flags, 0x08);
    assert.equal(res.stream, false);
    assert.ok(res.body.equals(body));
    const infos = await pool.workers();
    assert.equal(infos.length, 2);
    assert.ok(infos.map((i) => i.pid).includes(ctx.pid));
    for (const i of infos) {
      assert.ok(i.memoryUsage > 1024 * 1024, `RSS from /proc: ${i.memoryUsage}`);
      assert.equal(i.statusStr, 'ready');
      assert.equal(i.status, WorkerState.Ready);
      assert.match(i.command, /echo\.php$/);
      assert.ok(i.created > 1e18, 'created is in nanoseconds');
    }
    assert.equal(
      infos.reduce((n, i) => n + i.numExecs, 0),
      1,
    );
    // stderr is logged line by line at info, with the worker pid
    await until(() => log.entries.some((e) => e.level === 'info' && /^echo worker \d+ booted$/.test(e.msg)), 'stderr line logged');
    const line = log.entries.find((e) => /^echo worker/.test(e.msg))!;
    assert.equal(typeof (line.obj as { pid: number }).pid, 'number');
    // many concurrent requests all get their own answer
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.exec(req(`n${i}`, `b${i}`))));
    results.forEach((r, i) => {
      assert.equal((JSON.parse(r.context.toString()) as { ctx: string }).ctx, `n${i}`);
      assert.equal(r.body.toString(), `b${i}`);
    });
    assert.equal(pool.queueSize(), 0);
  });
});

test('ERROR frame → SoftJob, and the same worker serves the next request', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool) => {
    const first = pidOf(await pool.exec(req('hello')));
    await assert.rejects(pool.exec(req('error:boom in PHP')), isPoolError('SoftJob', /^boom in PHP$/));
    assert.equal(pidOf(await pool.exec(req('hello'))), first);
  });
});

test('exit() mid-request → Network with the exit code, a new PID serves the next request', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool) => {
    const first = pidOf(await pool.exec(req('hello')));
    await assert.rejects(pool.exec(req('exit:7')), isPoolError('Network', /exited with code 7/));
    const next = pidOf(await pool.exec(req('hello')));
    assert.notEqual(next, first);
    assert.deepEqual(await pids(pool), [next]);
  });
});

test('garbage on stdout after the handshake → Network with the bytes and the stdout-crc hint', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool) => {
    const first = pidOf(await pool.exec(req('hello')));
    await assert.rejects(
      pool.exec(req('garbage')),
      isPoolError('Network', /invalid frame from worker.*'this is not a frame, sorry\\n'.*stdout-crc/s),
    );
    assert.notEqual(pidOf(await pool.exec(req('hello'))), first);
  });
});

test('a response without exactly one option → Decode; the worker is replaced', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool) => {
    const first = pidOf(await pool.exec(req('hello')));
    await assert.rejects(pool.exec(req('nooption')), isPoolError('Decode', /options length should be equal 1/));
    assert.notEqual(pidOf(await pool.exec(req('hello'))), first);
  });
});

test('a worker that asks to stop is retired and the request is retried on another worker', async () => {
  const flag = path.join(mkdtempSync(path.join(tmpdir(), 'burner-pool-')), 'stopped-once');
  try {
    await withPool('behave.php', { numWorkers: 2 }, async (pool) => {
      const before = await pids(pool);
      const res = await pool.exec(req(`stoponce:${flag}`, 'payload'));
      assert.equal(res.body.toString(), 'payload');
      const served = pidOf(res);
      assert.ok(before.includes(served), 'the retry ran on the other existing worker');
      await until(
        async () => (await pids(pool)).length === 2 && !(await pids(pool)).every((p) => before.includes(p)),
        'the stopping worker is replaced',
      );
      assert.ok((await pids(pool)).includes(served));
    });
  } finally {
    rmSync(path.dirname(flag), { recursive: true, force: true });
  }
});

test('num_workers 0 means one worker per CPU', async () => {
  await withPool('echo.php', { numWorkers: 0 }, async (pool) => {
    assert.equal((await pool.workers()).length, availableParallelism());
  });
});

test('a worker killed while idle is logged with its signal and replaced', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool, log, seen) => {
    const [first] = await pids(pool);
    process.kill(first!, 'SIGKILL');
    await until(async () => {
      const p = await pids(pool);
      return p.length === 1 && p[0] !== first;
    }, 'replacement');
    assert.match(log.text('warn'), new RegExp(`worker failed: .*worker pid ${first} terminated by signal SIGKILL`));
    assert.equal((await pool.exec(req('hello', 'ok'))).body.toString(), 'ok');
    seen.add(first!);
  });
});
