/**
 * Shutdown through the real CLI: the drain phase (status answers 503 while http still serves), a second SIGTERM that
 * kills busy workers instead of orphaning them, and a start failure that stops what started and reports its cause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES, RR, childrenOf, eventually, freePort, processGone, serve } from '../e2e/harness.js';

const config = (extra = '', workers = 1) => `version: "3"
server:
  command: "php {{FIXTURES}}/e2e/worker.php"
http:
  address: 127.0.0.1:{{PORT}}
  pool:
    num_workers: ${workers}
    allocate_timeout: 30s
    destroy_timeout: 60s
${extra}`;

test('a second SIGTERM while a request is in flight kills every worker of the server and exits 1', async () => {
  const s = await serve(config('', 2));
  try {
    assert.ok(await eventually(() => childrenOf(s.child.pid!).length === 2, 20_000), 'two workers are running');
    const workers = childrenOf(s.child.pid!);
    const mark = path.join(s.dir, 'busy');
    const slow = fetch(`${s.url}/sleep?s=60&mark=${encodeURIComponent(mark)}`).then(
      (r) => `status ${r.status}`,
      (err: Error) => `failed: ${err.message}`,
    );
    assert.ok(await eventually(() => existsSync(mark), 20_000), 'the slow request runs on a worker');
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300)); // the first signal starts the graceful stop, which waits for /sleep
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 1, s.logs());
    assert.match(s.logs(), /exit forced: killing the workers/);
    for (const pid of workers) assert.ok(await eventually(() => processGone(pid), 10_000), `worker ${pid} is gone:\n${s.logs()}`);
    assert.match(await slow, /^failed/, 'the cut request fails instead of hanging');
  } finally {
    await s.stop();
  }
});

test('drain: on SIGTERM /health answers 503 at once while http still serves, for status.drain_delay', async () => {
  const status = await freePort();
  const s = await serve(config(`status:\n  address: 127.0.0.1:${status}\n  drain_delay: 30s\n`));
  const health = () => fetch(`http://127.0.0.1:${status}/health`).then((r) => r.status);
  try {
    assert.equal(await health(), 200);
    s.child.kill('SIGTERM');
    assert.ok(await eventually(async () => (await health()) === 503, 10_000), '/health answers 503 while draining');
    const res = await fetch(`${s.url}/during-drain`);
    assert.equal(res.status, 200, 'http still serves new requests while draining');
    assert.match(((await res.json()) as { uri: string }).uri, /\/during-drain$/);
    assert.equal(s.child.exitCode, null, 'still running inside the drain delay');
  } finally {
    const workers = s.child.pid ? childrenOf(s.child.pid) : [];
    s.child.kill('SIGTERM'); // the second signal ends the 30 s drain
    await s.stop();
    for (const pid of workers) assert.ok(await eventually(() => processGone(pid), 10_000));
  }
});

test('drain then stop: with a short drain_delay the server exits 0 and the in-flight request completes', async () => {
  const status = await freePort();
  const s = await serve(config(`status:\n  address: 127.0.0.1:${status}\n  drain_delay: 200ms\n`));
  try {
    const mark = path.join(s.dir, 'busy');
    const slow = fetch(`${s.url}/sleep?s=1&mark=${encodeURIComponent(mark)}`).then(async (r) => `${r.status} ${await r.text()}`);
    assert.ok(await eventually(() => existsSync(mark), 20_000));
    s.child.kill('SIGTERM');
    assert.equal(await slow, '200 slept');
    assert.equal(await s.exited, 0, s.logs());
  } finally {
    await s.stop();
  }
});

test('a plugin that fails to start stops the started ones (no worker left) and its own error is reported', async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const taken = (busy.address() as net.AddressInfo).port;
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-startfail-'));
  try {
    const port = await freePort();
    const file = path.join(dir, '.rr.yaml');
    writeFileSync(
      file,
      config(`metrics:\n  address: 127.0.0.1:${taken}\n`, 2).replaceAll('{{FIXTURES}}', FIXTURES).replace('{{PORT}}', String(port)),
    );
    const child = spawn(process.execPath, [RR, 'serve', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const seen = new Set<number>();
    const timer = setInterval(() => childrenOf(child.pid!).forEach((pid) => seen.add(pid)), 20);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearInterval(timer);
    assert.equal(code, 1);
    assert.match(stderr, /rr: failed to start: .*EADDRINUSE/, stderr);
    assert.doesNotMatch(stderr, /failed to stop/);
    for (const pid of seen) assert.ok(await eventually(() => processGone(pid), 10_000), `worker ${pid} was stopped`);
  } finally {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM while the workers boot: the server finishes starting, then stops gracefully (exit 0) with no worker left', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-bootsig-'));
  try {
    const port = await freePort();
    const file = path.join(dir, '.rr.yaml');
    const hold = path.join(dir, 'slow-boot');
    writeFileSync(hold, '');
    writeFileSync(
      file,
      config('', 2)
        .replace(
          '  command: "php {{FIXTURES}}/e2e/worker.php"\n',
          `  command: "php {{FIXTURES}}/e2e/worker.php"\n  env:\n    SLOW_BOOT_FILE: ${hold}\n`,
        )
        .replaceAll('{{FIXTURES}}', FIXTURES)
        .replace('{{PORT}}', String(port)),
    );
    const child = spawn(process.execPath, [RR, 'serve', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      assert.ok(await eventually(() => childrenOf(child.pid!).length === 2, 20_000), 'two workers are booting');
      const workers = childrenOf(child.pid!);
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200)); // no assertion on it: the signal only has to arrive before the boot ends
      rmSync(hold);
      assert.equal(await exited, 0, stderr);
      for (const pid of workers) assert.ok(await eventually(() => processGone(pid), 10_000), `worker ${pid} is gone`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
