import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { CONTROL, encodeFrame } from '../../src/goridge/frame.js';
import { PoolError, type WorkerResponse } from '../../src/pool/types.js';
import { pidOf, pids, req, until, withPool } from './helpers.js';

test('tcp relay: workers get the real port in RR_RELAY; a connection reporting an unknown PID is refused', async () => {
  await withPool('behave.php', { numWorkers: 1, relay: 'tcp://127.0.0.1:0', env: { EXTRA: 'from-options' } }, async (pool, log) => {
    const dsn = (await pool.exec(req('env:RR_RELAY'))).body.toString();
    assert.match(dsn, /^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    assert.equal((await pool.exec(req('env:EXTRA'))).body.toString(), 'from-options');
    const [host, port] = dsn.slice('tcp://'.length).split(':');
    const sock = net.connect(Number(port), host);
    const got: Buffer[] = [];
    sock.on('data', (d) => {
      got.push(d);
      if (Buffer.concat(got).length >= 12 + 8) sock.write(encodeFrame(CONTROL, [], Buffer.from('{"pid":999999}')));
    });
    await new Promise((resolve) => sock.on('close', resolve));
    assert.equal(JSON.parse(Buffer.concat(got).subarray(12).toString()).pid, process.pid, 'the server sent its PID request');
    assert.match(log.text('warn'), /no worker process with pid 999999 is waiting/);
    assert.equal((await pool.exec(req('hello', 'still fine'))).body.toString(), 'still fine');
  });
});

for (const kind of ['tcp', 'unix'] as const) {
  test(`${kind} relay: workers connect back, are matched by PID, serve requests, and are replaced after a crash`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'burner-relay-'));
    const relay = kind === 'tcp' ? 'tcp://127.0.0.1:0' : `unix://${dir}/rr.sock`;
    try {
      await withPool('behave.php', { numWorkers: 2, relay }, async (pool, log) => {
        const workers = await pids(pool);
        assert.equal(workers.length, 2);
        const body = Buffer.alloc(3 * 1024 * 1024, 1);
        const res = await pool.exec({ codec: 0x08, context: Buffer.from('hello'), body });
        assert.ok(workers.includes(pidOf(res)));
        assert.ok(res.body.equals(body));
        await assert.rejects(pool.exec(req('error:soft')), (e: unknown) => e instanceof PoolError && e.kind === 'SoftJob');
        // stdout is not the relay here: what PHP prints there is only logged
        await pool.exec(req('stderr:a line for the log'));
        await until(() => log.entries.some((e) => e.msg === 'a line for the log'), 'stderr logged');
        const crashed = pool.exec(req('exit:3'));
        await assert.rejects(crashed, (e: unknown) => e instanceof PoolError && e.kind === 'Network' && /code 3/.test(e.message));
        await until(async () => (await pids(pool)).length === 2, 'replacement connected');
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.exec(req('hello', String(i)))));
        results.forEach((r, i) => assert.equal(r.body.toString(), String(i)));
      });
      if (kind === 'unix') assert.equal(existsSync(`${dir}/rr.sock`), false, 'socket file removed on destroy');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('streamed response: chunks in order, PING answered with PONG, final frame resolves', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool) => {
    const chunks: WorkerResponse[] = [];
    const res = await pool.exec(req('stream:6'), { onChunk: (c) => void chunks.push(c) });
    // The worker waits for a PONG after every 2nd chunk: reaching the end proves the PONGs arrived.
    assert.deepEqual(
      chunks.map((c) => [c.context.toString(), c.body.toString(), c.stream]),
      [0, 1, 2, 3, 4, 5].map((i) => ['chunk', String(i), true]),
    );
    assert.equal(res.stream, false);
    assert.equal(res.body.toString(), 'end');
    const pid = pidOf(res);
    // the worker is reusable afterwards, with no stray frame left in its input
    assert.equal(pidOf(await pool.exec(req('hello'))), pid);
  });
});

test('aborting a stream sends STOP; the worker ends the stream and stays in the pool', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool, log) => {
    const ac = new AbortController();
    const chunks: string[] = [];
    const res = await pool.exec(req('stream:1000'), {
      signal: ac.signal,
      onChunk: (c) => {
        chunks.push(c.body.toString());
        if (chunks.length === 2) ac.abort();
      },
    });
    assert.equal(res.stream, false);
    assert.deepEqual(chunks, ['0', '1'], 'no chunk is delivered after the abort');
    await until(() => log.entries.some((e) => /^stream stopped at \d+$/.test(e.msg)), 'the worker saw STOP');
    const first = (await pids(pool))[0];
    const next = await pool.exec(req('hello'));
    assert.equal(pidOf(next), first);
  });
});

test('STOP crossing the final frame of a stream does not disturb the next request', async () => {
  await withPool('behave.php', { numWorkers: 1 }, async (pool) => {
    const ac = new AbortController();
    const first = (await pids(pool))[0];
    // stream:1 never polls for STOP: it sends its final frame anyway, and the STOP stays in its input.
    const res = await pool.exec(req('stream:1'), { signal: ac.signal, onChunk: () => ac.abort() });
    assert.equal(res.body.toString(), 'end');
    assert.equal(pidOf(await pool.exec(req('hello', 'next'))), first);
    assert.equal((await pool.exec(req('hello', 'again'))).body.toString(), 'again');
  });
});

test('a stream not ended within stream_timeout after STOP: Network error, the worker is killed and replaced', async () => {
  await withPool('behave.php', { numWorkers: 1, streamTimeout: 200 }, async (pool, _log, seen) => {
    const ac = new AbortController();
    const first = (await pids(pool))[0]!;
    const chunks: string[] = [];
    await assert.rejects(
      pool.exec(req('streamhang'), { signal: ac.signal, onChunk: (c) => (chunks.push(c.body.toString()), ac.abort()) }),
      (e: unknown) => e instanceof PoolError && e.kind === 'Network' && /stream_timeout \(200 ms\)/.test(e.message),
    );
    assert.deepEqual(chunks, ['first']);
    assert.notEqual(pidOf(await pool.exec(req('hello'))), first);
    seen.add(first);
  });
});
