/**
 * Acceptance of the server core through the real CLI: `rr serve -c <yaml>` with a PHP worker built on the SDK.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { eventually, serve, type Served } from './harness.js';

const WORKER = 'php {{FIXTURES}}/e2e/worker.php';

function config(extra = '', codec = 'json', workers = 2): string {
  return `version: "3"
server:
  command: "${WORKER}"
http:
  address: 127.0.0.1:{{PORT}}
  codec: ${codec}
  uploads:
    dir: {{DIR}}
  pool:
    num_workers: ${workers}
    allocate_timeout: 20s
    destroy_timeout: 5s
${extra}`;
}

async function json(res: Response): Promise<Record<string, any>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    throw new Error(`not JSON (status ${res.status}): ${text.slice(0, 300)}`);
  }
}

for (const codec of ['json', 'proto']) {
  describe(`rr serve with an SDK worker (${codec} codec)`, () => {
    let s: Served;
    before(async () => {
      s = await serve(config('', codec));
    });
    after(async () => {
      assert.equal(await s.stop(), 0, 'graceful exit code 0');
    });

    test('echoes method, uri, headers, cookies and query', async () => {
      const res = await fetch(`${s.url}/p/a%20b?x=1&y[]=2&y[]=3`, {
        headers: { 'x-custom-header': 'v1', cookie: 'sid=a%20b; theme=dark' },
      });
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.equal(body.method, 'GET');
      assert.equal(body.uri, `http://127.0.0.1:${s.port}/p/a%20b?x=1&y[]=2&y[]=3`);
      assert.equal(body.remoteAddr, '127.0.0.1');
      assert.equal(body.protocol, 'HTTP/1.1');
      assert.deepEqual(body.headers['X-Custom-Header'], ['v1']);
      assert.equal(body.headers.Host, undefined, 'Host is not among the headers');
      assert.deepEqual(body.cookies, { sid: 'a b', theme: 'dark' });
      assert.equal(body.rawQuery, 'x=1&y[]=2&y[]=3');
      assert.deepEqual(body.query, { x: '1', y: ['2', '3'] });
      assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
      assert.equal(res.headers.get('x-multi'), 'one, two');
    });

    test('an urlencoded body becomes the form tree', async () => {
      const res = await fetch(`${s.url}/form`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a[b][]=1&a[b][]=2&name=x+y',
      });
      const body = await json(res);
      assert.equal(body.parsed, true);
      assert.deepEqual(body.form, { a: { b: ['1', '2'] }, name: 'x y' });
    });

    test('a 3-file upload: temp files exist during the request and are gone after', async () => {
      const form = new FormData();
      const contents = [randomBytes(1000), randomBytes(200_000), Buffer.from('plain text')];
      form.append('docs[]', new Blob([contents[0]!]), 'a.bin');
      form.append('docs[]', new Blob([contents[1]!]), 'b.bin');
      form.append('avatar', new Blob([contents[2]!], { type: 'text/plain' }), 'me.txt');
      form.append('title', 'hello');
      const res = await fetch(`${s.url}/upload`, { method: 'POST', body: form });
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.equal(body.files.length, 3);
      for (const f of body.files) assert.equal(f.exists, true, `temp file ${f.tmpName} existed during the request`);
      const sha = (b: Buffer) => createHash('sha1').update(b).digest('hex');
      assert.deepEqual(body.files.map((f: any) => f.sha1).sort(), contents.map(sha).sort());
      assert.equal(body.uploads.avatar.name, 'me.txt');
      assert.equal(body.uploads.avatar.mime, 'text/plain');
      assert.equal(body.uploads.avatar.size, contents[2]!.length);
      assert.equal(body.uploads.docs.length, 2);
      assert.deepEqual(body.form, { title: 'hello' });
      for (const f of body.files) {
        assert.ok(await eventually(() => !existsSync(f.tmpName)), `temp file ${f.tmpName} deleted after the response`);
      }
    });

    test('a 10 MB body reaches PHP intact', async () => {
      const payload = randomBytes(10 * 1024 * 1024);
      const res = await fetch(`${s.url}/body-sha1`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: payload,
      });
      const body = await json(res);
      assert.equal(body.length, payload.length);
      assert.equal(body.sha1, createHash('sha1').update(payload).digest('hex'));
    });

    test('100 concurrent requests over 2 workers are all answered correctly', async () => {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => fetch(`${s.url}/c?i=${i}`).then(async (r) => ({ status: r.status, body: await json(r) }))),
      );
      const pids = new Set<number>();
      results.forEach((r, i) => {
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.query, { i: String(i) });
        pids.add(r.body.pid);
      });
      assert.ok(pids.size <= 2, `at most 2 worker pids, got ${[...pids].join(',')}`);
    });

    test('echo inside the worker goes to the log, not into the protocol', async () => {
      const res = await fetch(`${s.url}/echo-output`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'ok');
      assert.ok(await eventually(() => s.logs().includes('this goes to stderr, not to the protocol')));
    });
  });
}

describe('worker failures', () => {
  let s: Served;
  before(async () => {
    s = await serve(config('    supervisor:\n      exec_ttl: 1s\n      watch_tick: 1s\n', 'json', 1));
  });
  after(async () => {
    await s.stop();
  });

  const pidOf = async () => (await json(await fetch(`${s.url}/pid`))).pid as number;

  test('an ERROR frame gives 500 and the same worker serves the next request', async () => {
    const before = await pidOf();
    const res = await fetch(`${s.url}/error`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '', 'no error text without pool.debug');
    assert.equal(await pidOf(), before);
  });

  test('exit() mid-request gives 500 and a new worker serves the next request', async () => {
    const before = await pidOf();
    const res = await fetch(`${s.url}/exit`);
    assert.equal(res.status, 500);
    const next = await pidOf();
    assert.notEqual(next, before);
  });

  test('exec_ttl kills a sleeping request with 500 and the worker is replaced', async () => {
    const before = await pidOf();
    const res = await fetch(`${s.url}/sleep?s=30`);
    assert.equal(res.status, 500);
    assert.notEqual(await pidOf(), before);
  });
});

test('max_jobs: 1 rotates worker PIDs under concurrency without deadlock', async () => {
  const s = await serve(config('    max_jobs: 1\n'));
  try {
    const pids = new Set<number>();
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => fetch(`${s.url}/m`).then(async (r) => ({ status: r.status, body: await json(r) }))),
      );
      for (const r of results) {
        assert.equal(r.status, 200);
        pids.add(r.body.pid);
      }
    }
    assert.equal(pids.size, 30, 'each request ran on a fresh worker');
  } finally {
    await s.stop();
  }
});

test('a 2 GB body over max_request_size gets 413 without being buffered', async () => {
  const s = await serve(config());
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${s.url}/body-sha1`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(2 * 1024 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024));
    });
    assert.equal(status, 413);
    const ok = await fetch(`${s.url}/after`);
    assert.equal(ok.status, 200, 'the server keeps serving');
  } finally {
    await s.stop();
  }
});

test('a stray echo before the worker loop is reported clearly, not a hang', async () => {
  const yaml = config().replace(WORKER, 'php {{FIXTURES}}/e2e/stray-echo.php');
  await assert.rejects(serve(yaml, { waitMs: 60_000 }), (err: Error) => {
    assert.match(err.message, /rr serve exited with 1/);
    assert.match(err.message, /hello from a stray echo/, 'the error shows what the worker printed');
    return true;
  });
});

test('server.on_init runs once before the workers; with exit_on_error a failure stops startup', async () => {
  const init = '  on_init:\n    command: "php {{FIXTURES}}/e2e/on-init.php"\n    env:\n      mark: {{DIR}}/init-mark\n';
  const s = await serve(config().replace('server:\n', `server:\n${init}`));
  try {
    const { readFileSync } = await import('node:fs');
    assert.equal(readFileSync(`${s.dir}/init-mark`, 'utf8'), 'ready');
    assert.match(s.logs(), /init says hi/);
    assert.equal((await fetch(`${s.url}/x`)).status, 200);
  } finally {
    await s.stop();
  }
  const failing =
    '  on_init:\n    command: "php {{FIXTURES}}/e2e/on-init.php 4"\n    exit_on_error: true\n    env:\n      mark: {{DIR}}/init-mark\n';
  await assert.rejects(
    serve(config().replace('server:\n', `server:\n${failing}`)),
    /rr serve exited with 1[\s\S]*server\.on_init command .* failed: exit code 4/,
  );
});

test('server.env reaches the worker as written after expansion: 007 stays 007, $$ is a literal $, an unset name is warned', async () => {
  const yaml = config().replace(
    'server:\n',
    () =>
      'server:\n  env:\n    PIN: $BURNER_TEST_PIN\n    BIG: ${BURNER_TEST_BIG}\n    LITERAL: 0x1F\n    PASSWORD: "pa$$word"\n    PARTIAL: "pa$burner_test_unset"\n',
  );
  const s = await serve(yaml, { env: { BURNER_TEST_PIN: '007', BURNER_TEST_BIG: '1e3' } });
  try {
    const env = async (name: string) => (await (await fetch(`${s.url}/env?name=${name}`)).json()) as string | null;
    assert.equal(await env('PIN'), '007');
    assert.equal(await env('BIG'), '1e3');
    assert.equal(await env('LITERAL'), '0x1F');
    assert.equal(await env('PASSWORD'), 'pa$word');
    assert.equal(await env('PARTIAL'), 'pa');
    assert.match(s.logs(), /\.rr\.yaml:\d+: server\.env\.PARTIAL: \$burner_test_unset is not set in the environment/);
  } finally {
    await s.stop();
  }
});
