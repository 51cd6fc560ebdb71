/**
 * Workers written only against the official RoadRunner PHP SDK (spiral/roadrunner-http 3.4.0, roadrunner-worker 3.4.0,
 * goridge 4.2.0, nyholm/psr7 1.8.2; see install.ts) run unchanged through the real `rr serve`, over every relay kind.
 * One server per relay kind, many requests each. Skipped only when ../shared/composer is absent.
 *
 * Reference behaviour (RoadRunner sources read for the expectations): roadrunner-server/http handler/request.go (body
 * rules, empty form), handler/response.go (status 100-999 pass-through, Trailer renaming, 1xx as interim responses),
 * handler/uploads.go (error 8 for a forbidden extension), roadrunner-server/sendfile (X-Sendfile).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { eventually, FIXTURES, freePort, serve, type Served } from '../e2e/harness.js';
import { installSdk, runSdkRpc } from './install.js';

const sdk = await installSdk();
const skip = sdk.skip ?? false;
const WORKER = path.join(FIXTURES, 'sdk', 'worker.php');

/** `rpc` is a TCP port, or 'unix' for an RPC Unix socket in the server's temp dir. */
async function config(relay: 'pipes' | 'tcp' | 'unix', api: 'psr7' | 'http', rpc: number | 'unix', pool = ''): Promise<string> {
  const relayValue = relay === 'pipes' ? 'pipes' : relay === 'tcp' ? `tcp://127.0.0.1:${await freePort()}` : 'unix://{{DIR}}/relay.sock';
  return `version: "3"
rpc:
  listen: ${rpc === 'unix' ? 'unix://{{DIR}}/rpc.sock' : `tcp://127.0.0.1:${rpc}`}
server:
  command: "php ${WORKER} ${sdk.autoload} ${api}"
  relay: "${relayValue}"
  env:
    APP_SECRET: "s3cr3t-value"
  on_init:
    command: "php -r echo(1);"
    env:
      INIT_TOKEN: "init-secret"
http:
  address: 127.0.0.1:{{PORT}}
  codec: json
  middleware: [sendfile]
  uploads:
    dir: {{DIR}}
    forbid: [".php"]
  pool:
    num_workers: 2
    allocate_timeout: 20s
    destroy_timeout: 5s
${pool}`;
}

async function json(res: Response): Promise<Record<string, any>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    throw new Error(`not JSON (status ${res.status}): ${text.slice(0, 500)}`);
  }
}

/** A node:http GET that reports interim (1xx) responses and trailers, which fetch() hides. */
function rawGet(url: string): Promise<{
  status: number;
  body: string;
  informational: Array<{ status: number; headers: http.IncomingHttpHeaders }>;
  trailers: NodeJS.Dict<string>;
  headers: http.IncomingHttpHeaders;
}> {
  return new Promise((resolve, reject) => {
    const informational: Array<{ status: number; headers: http.IncomingHttpHeaders }> = [];
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, informational, trailers: res.trailers, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('information', (info) => informational.push({ status: info.statusCode, headers: info.headers }));
    req.on('error', reject);
  });
}

function uploadForm(): FormData {
  const form = new FormData();
  form.append('title', 'holiday');
  form.append('avatar', new Blob(['png bytes'], { type: 'image/png' }), 'me.png');
  form.append('docs[a][]', new Blob(['first doc']), 'a1.txt');
  form.append('docs[a][]', new Blob(['second doc']), 'a2.txt');
  form.append('evil', new Blob(['<?php echo 1;']), 'shell.PHP');
  return form;
}

/** The PSR7Worker cases, run on each relay kind. */
function psr7Cases(relay: 'pipes' | 'tcp' | 'unix'): void {
  describe(`official SDK: PSR7Worker + nyholm/psr7 over ${relay}`, { skip }, () => {
    let s: Served;
    let rpcAddress: string;
    before(async () => {
      // Over the Unix relay, RPC is a Unix socket too (RR_RPC=unix://...): the PHP clients must work with both.
      const rpc = relay === 'unix' ? 'unix' : await freePort();
      s = await serve(await config(relay, 'psr7', rpc));
      rpcAddress = rpc === 'unix' ? `unix://${s.dir}/rpc.sock` : `tcp://127.0.0.1:${rpc}`;
    });
    after(async () => {
      if (s) assert.equal(await s.stop(), 0, 'graceful exit');
    });

    test('query, headers, cookies in and out', async () => {
      const res = await fetch(`${s.url}/echo?a=1&list[]=x&list[]=y&deep[k][j]=v`, {
        headers: { 'X-Custom': 'hello', cookie: 'sid=a%20b; theme=dark' },
      });
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.equal(body.api, 'psr7');
      assert.equal(body.method, 'GET');
      // nyholm's Uri percent-encodes the brackets; the server sends them as received.
      assert.equal(decodeURIComponent(body.uri), `${s.url}/echo?a=1&list[]=x&list[]=y&deep[k][j]=v`);
      assert.equal(body.protocol, '1.1');
      assert.deepEqual(body.query, { a: '1', list: ['x', 'y'], deep: { k: { j: 'v' } } });
      assert.equal(body.custom, 'hello');
      assert.deepEqual(body.cookies, { sid: 'a b', theme: 'dark' });
      assert.equal(body.remote, '127.0.0.1');
      assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; HttpOnly']);
    });

    test('the worker environment: RR_MODE, RR_RELAY, RR_RPC, RR_VERSION', async () => {
      const env = await json(await fetch(`${s.url}/env`));
      assert.equal(env.mode, 'http');
      assert.equal(env.relay.split(':')[0], relay === 'tcp' ? 'tcp' : relay === 'unix' ? 'unix' : 'pipes');
      assert.equal(env.rpc, rpcAddress);
      assert.match(env.version, /^\d{4}\.\d+\.\d+$/);
    });

    test('large bodies both ways (4 MiB up, 8 MiB down), HEAD, and PSR7Worker::$chunkSize streaming', async () => {
      const up = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < up.length; i++) up[i] = (i * 31 + 7) & 0xff;
      const sha = await json(
        await fetch(`${s.url}/sha1`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: up }),
      );
      assert.equal(sha.length, up.length);
      assert.equal(sha.sha1, createHash('sha1').update(up).digest('hex'));
      const size = 8 * 1024 * 1024;
      const down = Buffer.from(await (await fetch(`${s.url}/big?size=${size}&seed=${relay}`)).arrayBuffer());
      assert.equal(down.length, size);
      assert.ok(
        down.equals(
          Buffer.from(
            createHash('sha256')
              .update(relay)
              .digest('hex')
              .repeat(size / 64),
          ),
        ),
      );
      const head = await fetch(`${s.url}/echo`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      const chunked = await fetch(`${s.url}/chunked`);
      assert.equal(await chunked.text(), '0123456789'.repeat(1000));
    });

    test('urlencoded and nested forms reach getParsedBody()', async () => {
      const res = await fetch(`${s.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=x+y&user[tags][]=a&user[tags][]=b&user[address][city]=Oslo',
      });
      const body = await json(res);
      assert.deepEqual(body.parsed, { name: 'x y', user: { tags: ['a', 'b'], address: { city: 'Oslo' } } });
    });

    test('an empty urlencoded form decodes (RoadRunner sends a body the SDK parses)', async () => {
      const res = await fetch(`${s.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      assert.equal(res.status, 200, 'the worker survived');
      assert.deepEqual((await json(res)).parsed, []);
    });

    test('a JSON body is passed raw, not parsed', async () => {
      const doc = { order: 7, items: [{ sku: 'a', qty: 2 }], note: 'ünïcødé' };
      const res = await fetch(`${s.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(doc),
      });
      const body = await json(res);
      assert.deepEqual(body.json, doc);
      assert.equal(body.parsed, null);
    });

    test('uploads: one file, nested names, a forbidden extension gets error 8', async () => {
      const res = await fetch(`${s.url}/echo`, { method: 'POST', body: uploadForm() });
      const body = await json(res);
      assert.deepEqual(body.parsed, { title: 'holiday' });
      assert.deepEqual(body.uploads.avatar, { name: 'me.png', mime: 'image/png', size: 9, error: 0, content: 'png bytes' });
      assert.deepEqual(
        body.uploads.docs.a.map((f: { content: string }) => f.content),
        ['first doc', 'second doc'],
      );
      assert.equal(body.uploads.evil.error, 8, 'UPLOAD_ERR_EXTENSION');
      assert.equal(body.uploads.evil.content, null);
    });

    test('a multipart form carrying only a file does not crash the worker (issue 11)', async () => {
      const form = new FormData();
      form.append('only', new Blob(['just a file']), 'only.txt');
      const res = await fetch(`${s.url}/echo`, { method: 'POST', body: form });
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.equal(body.uploads.only.content, 'just a file');
      assert.deepEqual(body.parsed, []);
    });

    test('any status from 100 to 999 passes through (issue 11: 610)', async () => {
      // roadrunner-server/http handler/response.go validates 100..999 only.
      for (const code of [201, 299, 418, 610, 999]) {
        const res = await fetch(`${s.url}/status?code=${code}`);
        assert.equal(res.status, code);
        assert.equal(await res.text(), `status ${code}`);
        assert.equal(res.headers.get('x-status'), String(code));
      }
    });

    test('$worker->error(), an uncaught exception and exit in the handler each fail one request only', async () => {
      for (const route of ['/worker-error', '/throw', '/exit']) {
        const res = await fetch(`${s.url}${route}`);
        assert.equal(res.status, 500, route);
        // roadrunner-server/http handler.go: internal_error_code with an empty body unless pool.debug is on.
        assert.equal(await res.text(), '', `${route}: no error text leaks to the client`);
        const next = await fetch(`${s.url}/echo?after=${route}`);
        assert.equal(next.status, 200, `served after ${route}`);
        await next.arrayBuffer();
      }
    });

    test('HttpWorker::respond with a generator streams every chunk and the return value', async () => {
      const res = await fetch(`${s.url}/stream?n=5`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-streamed'), 'yes');
      assert.equal(await res.text(), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\nend\n');
    });

    test('a client abort stops the stream: the worker sees StreamStoppedException and keeps serving', async () => {
      const marker = path.join(s.dir, `stopped-${Date.now()}`);
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${s.url}/stream?n=1000000&slow=1&marker=${encodeURIComponent(marker)}`, { agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
      });
      assert.ok(await eventually(() => existsSync(marker), 30_000), 'the generator caught StreamStoppedException');
      assert.equal(readFileSync(marker, 'utf8'), 'StreamStoppedException');
      const res = await fetch(`${s.url}/echo?after=abort`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    });

    test('103 Early Hints, then the final answer', async () => {
      const r = await rawGet(`${s.url}/early-hints`);
      assert.equal(r.informational.length, 1);
      assert.equal(r.informational[0]!.status, 103);
      assert.equal(r.informational[0]!.headers.link, '</style.css>; rel=preload; as=style');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'after hints');
      assert.equal(r.headers.link, undefined, 'hint headers do not leak into the final answer');
    });

    test('a header named in Trailer is sent as a trailer', async () => {
      const r = await rawGet(`${s.url}/trailers`);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'body before trailers');
      assert.equal(r.trailers['x-checksum'], 'c0ffee');
      assert.equal(r.headers['x-checksum'], undefined);
    });

    test('X-Sendfile with the sendfile middleware serves the file', async () => {
      const file = path.join(s.dir, 'report.txt');
      writeFileSync(file, 'the report\n'.repeat(1000));
      const res = await fetch(`${s.url}/sendfile?file=${encodeURIComponent(file)}`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'the report\n'.repeat(1000));
      assert.equal(res.headers.get('x-sendfile'), null);
    });

    // Spiral\\RoadRunner\\Logger writes '[php warning] msg {ctx}' to STDERR with no trailing newline; RoadRunner logs
    // each stderr write as it comes, Burner a partial line once nothing follows it (src/pool/output.ts).
    test('Worker::getLogger() output reaches the server log', async () => {
      const tag = `log-${relay}-${Date.now()}`;
      const res = await fetch(`${s.url}/log?tag=${tag}`);
      assert.equal(await res.text(), 'logged');
      assert.ok(await eventually(() => s.logs().includes(`sdk logger line ${tag}`), 5_000), 'the logger line is in the server log');
    });

    test('the goridge RPC client inside a worker reaches the informer (RR_RPC from the server)', async () => {
      const body = await json(await fetch(`${s.url}/rpc`));
      assert.deepEqual(body.resetters, ['http']);
      assert.deepEqual(body.informers, ['http']);
      assert.equal(body.pids.length, 2);
      assert.ok(body.pids.includes(body.me), 'the calling worker is among the informer workers');
    });

    test('Spiral\\Goridge\\RPC\\RPC with the JSON codec: informer and resetter', async () => {
      const out = await runSdkRpc(sdk.autoload!, rpcAddress, 'informer-resetter');
      assert.match(out.version, /^\d{4}\.\d+\.\d+$/);
      assert.deepEqual(out.resetters, ['http']);
      assert.deepEqual(out.informers, ['http']);
      assert.equal(out.before.length, 2);
      assert.deepEqual(out.statusStr, ['ready', 'ready']);
      assert.equal(out.reset, true);
      assert.equal(out.after.length, 2);
      assert.ok(
        out.after.every((pid: number) => !out.before.includes(pid)),
        'every worker was replaced',
      );
      assert.equal(out.unknownPlugin.class, 'Spiral\\Goridge\\RPC\\Exception\\ServiceException');
      assert.match(out.unknownPlugin.message, /no such plugin: nope/);
      assert.match(out.unknownService.message, /rpc: can't find service jobs\.Push/);
      // Issue 14: rpc.Config hands out no environment values (keys stay visible).
      assert.deepEqual(out.config.server.env, { APP_SECRET: '[redacted]' });
      assert.deepEqual(out.config.server.on_init.env, { INIT_TOKEN: '[redacted]' });
      assert.ok(!JSON.stringify(out.config).includes('secret-value') && !JSON.stringify(out.config).includes('init-secret'));
      const pool = await runSdkRpc(sdk.autoload!, rpcAddress, 'workerpool');
      assert.equal(pool.count, 2, JSON.stringify(pool.count));
      for (const w of pool.workers) {
        assert.ok(out.after.includes(w.pid));
        assert.equal(w.status, 'ready');
        assert.equal(w.statusCode, 1);
        assert.ok(w.memoryUsage > 0 && w.createdAt > 0 && typeof w.cpuUsage === 'number' && typeof w.command === 'string');
      }
      assert.match(pool.add.message, /informer\.AddWorker: not supported by Burner/);
      assert.match(pool.remove.message, /informer\.RemoveWorker: not supported by Burner/);
      const res = await fetch(`${s.url}/echo?after=reset`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    });
  });
}

for (const relay of ['pipes', 'tcp', 'unix'] as const) psr7Cases(relay);

// http.pool.pipelining writes requests ahead only to workers that say in their handshake that they can take them. The
// official SDK does not say so (its stream mode reads the input ahead of the request in hand, and a request written
// ahead meanwhile would be lost), so with the option on it is served as without: streamed and plain answers mixed.
for (const api of ['psr7', 'http'] as const) {
  test(
    `official SDK ${api} worker with http.pool.pipelining: true: 90 concurrent requests, streams among them, each get their own answer`,
    { skip },
    async () => {
      // exec_ttl: a lost request would show as a 500 instead of a hang
      const s = await serve(await config('pipes', api, await freePort(), '    pipelining: true\n    supervisor:\n      exec_ttl: 20s\n'));
      try {
        await Promise.all(
          Array.from({ length: 90 }, async (_, i) => {
            if (i % 3 === 0) {
              const body = Buffer.alloc(30_000 + i, i % 251);
              const got = await json(await fetch(`${s.url}/sha1`, { method: 'POST', body }));
              assert.deepEqual(got, { length: body.length, sha1: createHash('sha1').update(body).digest('hex') });
              return;
            }
            if (api === 'psr7' && i % 3 === 1) {
              // PSR7Worker::$chunkSize > 0 (the fixture's /chunked): a streamed answer
              const res = await fetch(`${s.url}/chunked?i=${i}`);
              assert.equal(res.status, 200);
              assert.equal(await res.text(), '0123456789'.repeat(1000));
              return;
            }
            const got = await json(await fetch(`${s.url}/echo?i=${i}`));
            assert.equal(got.api, api);
            assert.deepEqual(got.query, { i: String(i) });
          }),
        );
      } finally {
        assert.equal(await s.stop(), 0);
      }
    },
  );
}

describe('official SDK: HttpWorker (no PSR-7) over pipes', { skip }, () => {
  let s: Served;
  before(async () => {
    s = await serve(await config('pipes', 'http', await freePort()));
  });
  after(async () => {
    if (s) assert.equal(await s.stop(), 0);
  });

  test("query, headers, cookies, forms and uploads as HttpWorker's Request", async () => {
    let body = await json(await fetch(`${s.url}/echo?x[]=1&x[]=2`, { headers: { 'X-Custom': 'v', cookie: 'k=v' } }));
    assert.equal(body.api, 'http');
    assert.deepEqual(body.query, { x: ['1', '2'] });
    assert.deepEqual(body.headers['X-Custom'], ['v']);
    assert.deepEqual(body.cookies, { k: 'v' });

    body = await json(
      await fetch(`${s.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a[b]=1&c=2',
      }),
    );
    assert.deepEqual(body.parsed, { a: { b: '1' }, c: '2' });

    body = await json(await fetch(`${s.url}/echo`, { method: 'POST', body: uploadForm() }));
    assert.deepEqual(body.parsed, { title: 'holiday' });
    assert.equal(body.uploads.avatar.content, 'png bytes');
    assert.equal(body.uploads.avatar.error, 0);
    assert.equal(body.uploads.evil.error, 8);
    assert.deepEqual(
      body.uploads.docs.a.map((f: { name: string }) => f.name),
      ['a1.txt', 'a2.txt'],
    );

    const form = new FormData();
    form.append('only', new Blob(['one']), 'one.txt');
    const res = await fetch(`${s.url}/echo`, { method: 'POST', body: form });
    assert.equal(res.status, 200, 'Request::getParsedBody() decodes the body of a file-only form');
    body = await json(res);
    assert.deepEqual(body.parsed, []);
    assert.equal(body.uploads.only.content, 'one');
  });

  test('streams, early hints, status pass-through and errors', async () => {
    const res = await fetch(`${s.url}/stream?n=3`);
    assert.equal(await res.text(), 'chunk 0\nchunk 1\nchunk 2\nend\n');
    const r = await rawGet(`${s.url}/early-hints`);
    assert.deepEqual(
      r.informational.map((i) => i.status),
      [103],
    );
    assert.equal(r.body, 'after hints');
    const odd = await fetch(`${s.url}/status?code=610`);
    assert.equal(odd.status, 610);
    await odd.arrayBuffer();
    for (const route of ['/worker-error', '/throw', '/exit']) {
      const bad = await fetch(`${s.url}${route}`);
      assert.equal(bad.status, 500, route);
      await bad.arrayBuffer();
    }
    const ok = await fetch(`${s.url}/echo`);
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
  });
});
