/**
 * Acceptance of the operations issue through the real CLI: reset under load, graceful SIGTERM, rr workers,
 * /health and /ready, metrics, reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, eventually, freePort, processGone, runRr, serve } from '../e2e/harness.js';

function config(extra: string, workers = 2, pool = ''): string {
  return `version: "3"
rpc:
  listen: tcp://127.0.0.1:{{RPC}}
server:
  command: "php {{FIXTURES}}/e2e/worker.php"
  env:
    MESSAGE_FILE: {{DIR}}/message.txt
    SLOW_BOOT_FILE: {{DIR}}/slow-boot
http:
  address: 127.0.0.1:{{PORT}}
  pool:
    num_workers: ${workers}
    allocate_timeout: 30s
    destroy_timeout: 10s
${pool}${extra}`;
}

async function withRpc(yaml: string): Promise<{ yaml: string; rpc: number }> {
  const rpc = await freePort();
  return { yaml: yaml.replaceAll('{{RPC}}', String(rpc)), rpc };
}

test('rr reset three times under load from 4 clients: 0 failed requests and every worker PID replaced', async () => {
  const { yaml } = await withRpc(config(''));
  const s = await serve(yaml);
  const cfg = path.join(s.dir, '.rr.yaml');
  try {
    const pidOf = async () => ((await (await fetch(`${s.url}/pid`)).json()) as { pid: number }).pid;
    const before = new Set([await pidOf(), await pidOf(), await pidOf(), await pidOf()]);
    let ok = 0;
    const failures: string[] = [];
    let resetting = true;
    const client = async () => {
      while (resetting) {
        try {
          const res = await fetch(`${s.url}/load`);
          await res.json();
          if (res.status === 200) ok++;
          else failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    // A fixed number of resets, each awaited, instead of "every second for 10 s": the outcome does not depend on speed.
    const resets = (async () => {
      try {
        for (let n = 0; n < 3; n++) {
          const r = await runRr(['reset', '-c', cfg]);
          assert.equal(r.code, 0, `rr reset failed: ${r.stderr}`);
          assert.match(r.stdout, /plugin reset: \[http\]/);
        }
      } finally {
        resetting = false;
      }
    })();
    await Promise.all([client(), client(), client(), client(), resets]);
    assert.deepEqual(failures, [], 'no failed request');
    assert.ok(ok > 0, 'requests were served during the resets');
    const after = new Set([await pidOf(), await pidOf(), await pidOf(), await pidOf()]);
    for (const pid of after) assert.ok(!before.has(pid), `worker ${pid} was replaced by the resets`);
  } finally {
    await s.stop();
  }
});

test('SIGTERM during 50 slow requests: all complete with 200, new connections are refused, exit 0, no PHP left', async () => {
  const { yaml } = await withRpc(config('', 50, ''));
  const s = await serve(yaml, { waitMs: 60_000 });
  const workerPids = ((await (await fetch(`${s.url}/pid`)).json()) as { pid: number }).pid;
  const r = await runRr(['workers', '-c', path.join(s.dir, '.rr.yaml')]);
  const allPids = [...r.stdout.matchAll(/^\| (\d+) /gm)].map((m) => Number(m[1]));
  assert.equal(allPids.length, 50);
  assert.ok(allPids.includes(workerPids));
  const mark = (i: number) => encodeURIComponent(path.join(s.dir, `busy-${i}`));
  const inflight = Array.from({ length: 50 }, (_, i) =>
    fetch(`${s.url}/sleep?s=2&mark=${mark(i)}`).then(async (res) => ({ status: res.status, body: await res.text() })),
  );
  // SIGTERM once every request runs on a worker (each writes its mark), not after a guessed delay.
  assert.ok(
    await eventually(() => Array.from({ length: 50 }, (_, i) => existsSync(path.join(s.dir, `busy-${i}`))).every(Boolean), 30_000),
    'all 50 requests run',
  );
  s.child.kill('SIGTERM');
  assert.ok(
    await eventually(
      () =>
        fetch(`${s.url}/late`).then(
          () => false,
          () => true,
        ),
      10_000,
    ),
    'a new connection is refused while draining',
  );
  const results = await Promise.all(inflight);
  for (const r of results) assert.deepEqual(r, { status: 200, body: 'slept' });
  assert.equal(await s.exited, 0, `exit code 0:\n${s.logs()}`);
  await s.stop();
  for (const pid of allPids) assert.ok(await eventually(() => processGone(pid), 10_000), `worker ${pid} is gone`);
});

test('rr workers prints one row per worker with real memory; /ready and /health follow worker availability', async () => {
  const status = await freePort();
  const { yaml } = await withRpc(config(`status:\n  address: 127.0.0.1:${status}\n`, 1));
  const s = await serve(yaml);
  const health = (p: string) => fetch(`http://127.0.0.1:${status}${p}`);
  try {
    const r = await runRr(['workers', '-c', path.join(s.dir, '.rr.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    const rows = [...r.stdout.matchAll(/^\| (\d+) +\| (\w+) +\| (\d+) +\| ([\d.]+) (B|KB|MB|GB) +\|/gm)];
    assert.equal(rows.length, 1, r.stdout);
    assert.equal(rows[0]![2], 'ready');
    assert.ok(rows[0]![5] === 'MB' && Number(rows[0]![4]) > 1, `real memory figure: ${rows[0]![4]} ${rows[0]![5]}`);

    const ok = await health('/health?plugin=http');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), [{ plugin_name: 'http', error_message: '', status_code: 200 }]);

    // The only worker is busy: not ready, but healthy. (Its mark file says it is busy; the sleep outlasts the checks.)
    const busyMark = path.join(s.dir, 'busy');
    const busy = fetch(`${s.url}/sleep?s=5&mark=${encodeURIComponent(busyMark)}`);
    assert.ok(await eventually(() => existsSync(busyMark), 20_000));
    assert.equal((await health('/ready')).status, 503);
    assert.equal((await health('/health')).status, 200);
    await busy;

    // The worker dies and its replacement does not boot while slow-boot exists: nothing ready or working → 503.
    writeFileSync(path.join(s.dir, 'slow-boot'), '');
    await fetch(`${s.url}/exit`);
    assert.ok(await eventually(async () => (await health('/health')).status === 503, 20_000), '/health flips to 503');
    rmSync(path.join(s.dir, 'slow-boot'));
    assert.ok(await eventually(async () => (await health('/health')).status === 200, 10_000), '/health recovers');
  } finally {
    await s.stop();
  }
});

test('a scrape of /metrics after N requests shows rr_http_request_total summing to N', async () => {
  const metrics = await freePort();
  const { yaml } = await withRpc(config(`metrics:\n  address: 127.0.0.1:${metrics}\n`));
  const s = await serve(yaml);
  try {
    const N = 37;
    for (let i = 0; i < N - 2; i++) assert.equal((await fetch(`${s.url}/m?i=${i}`)).status, 200);
    assert.equal((await fetch(`${s.url}/error`)).status, 500);
    assert.equal((await fetch(`${s.url}/error`)).status, 500);
    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    const counts = [...text.matchAll(/^rr_http_request_total\{status="(\d+)"\} (\d+)/gm)].map((m) => [m[1], Number(m[2])] as const);
    assert.equal(
      counts.reduce((sum, [, n]) => sum + n, 0),
      N,
    );
    assert.deepEqual(Object.fromEntries(counts), { 200: N - 2, 500: 2 });
    assert.match(text, /^rr_http_total_workers 2$/m);
    assert.match(text, /^rr_http_worker_memory_bytes\{pid="\d+"\} [1-9]\d+$/m);
    assert.match(text, /^process_resident_memory_bytes /m);
  } finally {
    await s.stop();
  }
});

test('editing a watched file changes the next response without a manual restart', async () => {
  const { yaml } = await withRpc(
    config(
      `reload:\n  interval: 200ms\n  patterns: [".php", ".txt"]\n  services:\n    http:\n      dirs: ["{{DIR}}/watched"]\n`,
      1,
    ).replace('MESSAGE_FILE: {{DIR}}/message.txt', 'MESSAGE_FILE: {{DIR}}/watched/message.txt'),
  );
  const s = await serve(yaml, { files: { 'watched/message.txt': 'first version' } });
  try {
    assert.equal(await (await fetch(`${s.url}/message`)).text(), 'first version');
    // The watcher starts after the http listener: a change made before its first scan is its starting state.
    assert.ok(await eventually(() => s.logs().includes('reload: watching'), 30_000), 'the reload plugin started');
    writeFileSync(path.join(s.dir, 'watched/message.txt'), 'second version');
    assert.ok(
      await eventually(async () => (await (await fetch(`${s.url}/message`)).text()) === 'second version', 15_000),
      'the new file content is served after the automatic reset',
    );
  } finally {
    await s.stop();
  }
});

test('the PHP SDK RPC client calls the server: version, lists, workers, status, reset, errors', async () => {
  const { yaml, rpc } = await withRpc(config(''));
  const s = await serve(yaml);
  try {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('php', [path.join(FIXTURES, 'e2e/rpc-client.php'), `tcp://127.0.0.1:${rpc}`], { encoding: 'utf8' });
    const r = JSON.parse(out) as Record<string, any>;
    assert.match(r.version, /^\d{4}\.\d+\.\d+$/);
    assert.deepEqual(r.resetters, ['http']);
    assert.deepEqual(r.informers, ['http']);
    assert.equal(r.workers.workers.length, 2);
    for (const w of r.workers.workers) {
      assert.ok(w.pid > 0 && w.memoryUsage > 1_000_000, 'real pid and RSS');
      assert.equal(w.statusStr, 'ready');
    }
    assert.deepEqual(r.ready, { code: 200, message: '' });
    assert.match(r.unknownPlugin, /no such plugin: nope/);
    assert.equal(r.reset, true);
    const before = new Set(r.workers.workers.map((w: { pid: number }) => w.pid));
    for (const w of r.workersAfter.workers) assert.ok(!before.has(w.pid), 'reset replaced every worker');
  } finally {
    await s.stop();
  }
});
