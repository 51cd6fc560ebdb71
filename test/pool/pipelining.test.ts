import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PoolError, type PoolOptions, type WorkerResponse } from '../../src/pool/types.js';
import { WorkerLauncher } from '../../src/pool/launcher.js';
import { MemoryLog, options, pidOf, req, sleep, withPool } from './helpers.js';

// http.pool.pipelining: a request written ahead to a busy worker. The `hold:<file>` command keeps a worker busy until
// the test creates <file>, then answers with `ahead`: whether the next frame was already in the worker's input. Every
// request below is dispatched synchronously by exec(), so the order of events does not depend on timing.

/** The fixture worker says in its handshake that it takes requests written ahead (as Burner's SDK does). */
const ANNOUNCE = { PIPELINING: '1' };
/** Pipelining on, with a time window no machine reaches here: how many are written ahead does not depend on timing. */
const ON = { pipelining: true, env: ANNOUNCE, pipelineWindowMs: 600_000 };

interface Held {
  pid: number;
  ahead: boolean;
}

function held(res: WorkerResponse): Held {
  return JSON.parse(res.context.toString()) as Held;
}

function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-pipelining-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** One worker held busy, a second request behind it: answered, but never written ahead (`ahead` false). */
async function notWrittenAhead(options: Partial<PoolOptions>): Promise<void> {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, ...options }, async (pool) => {
      const flag = path.join(dir, 'go');
      const first = pool.exec(req(`hold:${flag}`));
      const second = pool.exec(req('hello', 'second'));
      writeFileSync(flag, '');
      assert.equal(held(await first).ahead, false);
      assert.equal((await second).body.toString(), 'second');
    });
  });
}

test('pipelining off (the default): a request waits in the server while the only worker is busy', () => notWrittenAhead({ env: ANNOUNCE }));

test('pipelining on: nothing is written ahead to a worker that did not say it can take it (the official SDK does not)', () =>
  notWrittenAhead({ pipelining: true }));

test('pipelining on: the next request is written ahead to the busy worker, answered in order by the same process', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, ...ON }, async (pool) => {
      const flag = path.join(dir, 'go');
      const first = pool.exec(req(`hold:${flag}`));
      const rest = Array.from({ length: 5 }, (_, i) => pool.exec(req('hello', `r${i}`)));
      writeFileSync(flag, '');
      const a = held(await first);
      assert.equal(a.ahead, true, 'the second request was in the worker input before it answered the first');
      const answers = await Promise.all(rest);
      answers.forEach((r, i) => {
        assert.equal(r.body.toString(), `r${i}`);
        assert.equal(pidOf(r), a.pid);
      });
      assert.equal(pool.queueSize(), 0);
    });
  });
});

test('pipelining on: never while a worker is idle; an idle worker takes the request', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 2, ...ON }, async (pool) => {
      const f1 = path.join(dir, 'one');
      const f2 = path.join(dir, 'two');
      const first = pool.exec(req(`hold:${f1}`));
      const second = pool.exec(req(`hold:${f2}`));
      writeFileSync(f1, '');
      const a = held(await first);
      assert.equal(a.ahead, false, 'nothing was written ahead to the busy worker while the other was idle');
      writeFileSync(f2, '');
      const b = held(await second);
      assert.notEqual(b.pid, a.pid);
    });
  });
});

test('pipelining on: the request is written ahead to the worker that began its request last, not the one busy longest', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 2, ...ON }, async (pool) => {
      const f1 = path.join(dir, 'one');
      const f2 = path.join(dir, 'two');
      const longest = pool.exec(req(`hold:${f1}`));
      const latest = pool.exec(req(`hold:${f2}`));
      const third = pool.exec(req('hello', 'third'));
      writeFileSync(f1, '');
      assert.equal(held(await longest).ahead, false);
      writeFileSync(f2, '');
      const b = held(await latest);
      assert.equal(b.ahead, true);
      assert.equal(pidOf(await third), b.pid);
    });
  });
});

test('pipelining on: a worker that dies gives the request written ahead to another worker', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, ...ON }, async (pool, _log, seen) => {
      const flag = path.join(dir, 'go');
      const dying = pool.exec(req(`holdexit:${flag}`));
      const next = pool.exec(req('hello', 'rerouted'));
      const pid = (await pool.workers())[0]!.pid;
      writeFileSync(flag, '');
      await assert.rejects(dying, (err: unknown) => err instanceof PoolError && err.kind === 'Network');
      const res = await next;
      assert.equal(res.body.toString(), 'rerouted');
      assert.notEqual(pidOf(res), pid, 'answered by the replacement');
      seen.add(pidOf(res));
    });
  });
});

test('pipelining on: exec_ttl kills the worker; the request written ahead runs on another worker', async () => {
  await withDir(async (dir) => {
    const supervisor = { watchTick: 60000, ttl: 0, idleTtl: 0, maxWorkerMemory: 0, execTtl: 300 };
    await withPool('behave.php', { numWorkers: 1, ...ON, supervisor }, async (pool) => {
      const stuck = pool.exec(req(`hold:${path.join(dir, 'never')}`));
      const pid = (await pool.workers())[0]!.pid;
      const next = pool.exec(req('hello', 'after ttl'));
      await assert.rejects(stuck, (err: unknown) => err instanceof PoolError && err.kind === 'ExecTTL');
      const res = await next;
      assert.equal(res.body.toString(), 'after ttl');
      assert.notEqual(pidOf(res), pid);
    });
  });
});

test('pipelining on: a worker that asks to stop hands back both its request and the one written ahead', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, ...ON }, async (pool) => {
      const flag = path.join(dir, 'go');
      const pid = (await pool.workers())[0]!.pid;
      const first = pool.exec(req(`holdstop:${flag}`, 'first'));
      const second = pool.exec(req('hello', 'second'));
      writeFileSync(flag, '');
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.body.toString(), 'first');
      assert.equal(b.body.toString(), 'second');
      assert.notEqual(pidOf(a), pid);
      assert.notEqual(pidOf(b), pid);
    });
  });
});

test('pipelining on: nothing is written ahead to a worker on its last job (max_jobs)', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, maxJobs: 1, ...ON }, async (pool) => {
      const flag = path.join(dir, 'go');
      const first = pool.exec(req(`hold:${flag}`));
      const second = pool.exec(req('hello', 'second'));
      writeFileSync(flag, '');
      const a = held(await first);
      assert.equal(a.ahead, false);
      const b = await second;
      assert.equal(b.body.toString(), 'second');
      assert.notEqual(pidOf(b), a.pid, 'max_jobs 1: the next request runs on a fresh worker');
    });
  });
});

test("pipelining on: a client leaving a stream while a request is written ahead gets no STOP sent: it could cut that request's stream", async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, ...ON }, async (pool) => {
      const flag = path.join(dir, 'go');
      const gone = new AbortController();
      const first = pool.exec(req(`holdstream:${flag}`), { signal: gone.signal, onChunk: () => gone.abort() });
      const chunks: string[] = [];
      const second = pool.exec(req('stream:4'), { onChunk: (c) => void chunks.push(c.body.toString()) });
      writeFileSync(flag, '');
      await first; // drained
      const last = await second;
      // A STOP behind the request written ahead would have been read by its stream (at its first PING) and ended it.
      assert.deepEqual(chunks, ['0', '1', '2', '3']);
      assert.equal(last.body.toString(), 'end');
    });
  });
});

test('pipelining on: a stream its client left that does not end within stream_timeout: the worker is killed, the request written ahead runs elsewhere', async () => {
  await withPool('behave.php', { numWorkers: 1, ...ON, streamTimeout: 300 }, async (pool) => {
    const pid = (await pool.workers())[0]!.pid;
    const gone = new AbortController();
    const hanging = pool.exec(req('streamhang'), { signal: gone.signal, onChunk: () => gone.abort() });
    const next = pool.exec(req('hello', 'next'));
    await assert.rejects(hanging, (err: unknown) => err instanceof PoolError && /stream_timeout/.test(err.message));
    const res = await next;
    assert.equal(res.body.toString(), 'next');
    assert.notEqual(pidOf(res), pid);
  });
});

test("pipelining on: a worker on Burner's SDK whose loop ends after 2 requests hands back what was written ahead: nothing is lost", async () => {
  await withPool('sdk-twice.php', { numWorkers: 1, pipelining: true, env: { BURNER_VERSION: 'test' } }, async (pool) => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.exec(req('{}', `r${i}`))));
    results.forEach((r, i) => assert.equal(r.body.toString(), `r${i}`));
    const used = new Map<number, number>();
    for (const r of results) used.set(pidOf(r), (used.get(pidOf(r)) ?? 0) + 1);
    assert.ok(used.size >= 6, `every worker served two requests at most: ${JSON.stringify([...used])}`);
    assert.ok([...used.values()].every((n) => n <= 2));
  });
});

test('pipelining on: several requests are written ahead to a worker that answers quickly, up to the limit', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, ...ON, pipelineMaxAhead: 3 }, async (pool) => {
      await pool.exec(req('hello')); // its pace: one answer so far
      const flag = path.join(dir, 'go');
      const first = pool.exec(req(`holdcount:${flag}`));
      const rest = Array.from({ length: 5 }, (_, i) => pool.exec(req('hello', `r${i}`)));
      writeFileSync(flag, '');
      assert.equal((JSON.parse((await first).context.toString()) as { ahead: number }).ahead, 3);
      const answers = await Promise.all(rest);
      answers.forEach((r, i) => assert.equal(r.body.toString(), `r${i}`));
    });
  });
});

test('pipelining on: nothing is written ahead behind a request that has run longer than the window (it may be a slow one)', async () => {
  await withDir(async (dir) => {
    await withPool('behave.php', { numWorkers: 1, ...ON, pipelineWindowMs: 20 }, async (pool) => {
      const flag = path.join(dir, 'go');
      const first = pool.exec(req(`hold:${flag}`));
      await sleep(200); // at least 200 ms: past the 20 ms window (no pace yet)
      const second = pool.exec(req('hello', 'second'));
      writeFileSync(flag, '');
      assert.equal(held(await first).ahead, false);
      assert.equal((await second).body.toString(), 'second');
    });
  });
});

test('pipelining on: 300 concurrent requests over 2 workers each get their own answer', async () => {
  await withPool('behave.php', { numWorkers: 2, ...ON }, async (pool) => {
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => pool.exec(req(i % 7 === 0 ? 'sleep:2' : 'hello', `b${i}`))));
    results.forEach((r, i) => assert.equal(r.body.toString(), `b${i}`));
    assert.equal(pool.queueSize(), 0);
    const infos = await pool.workers();
    assert.equal(
      infos.reduce((n, w) => n + w.numExecs, 0),
      300,
    );
  });
});

test('a worker takes a request written ahead when it is safe, even if the room the pool saw has just run out (the pool checks first)', async () => {
  await withDir(async (dir) => {
    const log = new MemoryLog();
    const launcher = await WorkerLauncher.open(options('behave.php', { ...ON, pipelineWindowMs: 20 }), log);
    try {
      const w = launcher.spawn(await launcher.link());
      await w.booted;
      const flag = path.join(dir, 'go');
      const first = w.exec(req(`hold:${flag}`));
      await sleep(200); // past the 20 ms window: no room by time any more, as when the clock moves on after the pool's check
      assert.equal(w.canWriteAhead, false);
      const second = w.exec(req('hello', 'second'));
      writeFileSync(flag, '');
      assert.equal(held(await first).ahead, true);
      assert.equal((await second).body.toString(), 'second');
    } finally {
      await launcher.close(5000);
    }
  });
});
