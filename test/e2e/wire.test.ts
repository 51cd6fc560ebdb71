/**
 * The server speaks the wire format, not a private dialect: a worker written from the specification alone
 * (test/fixtures/raw/worker.php, no SDK) works in both codecs. Also the HTTP edge cases around it:
 * CRLF injection, invalid status, early hints, static files and traversal, upload filters, malformed requests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { serve, type Served } from './harness.js';

function config(codec: string, extra = ''): string {
  return `version: "3"
server:
  command: "php {{FIXTURES}}/raw/worker.php"
http:
  address: 127.0.0.1:{{PORT}}
  codec: ${codec}
  max_request_size: 1
  middleware: [static]
  static:
    dir: {{DIR}}/public
    forbid: [".php"]
  uploads:
    dir: {{DIR}}
    forbid: [".php", ".exe"]
  pool:
    num_workers: 1
${extra}`;
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    setTimeout(() => s.destroy(), 30_000).unref(); // a safety net only: every request here ends with the server closing
  });
}

for (const codec of ['json', 'proto']) {
  describe(`a worker written from the spec, without the SDK (${codec})`, () => {
    let s: Served;
    before(async () => {
      s = await serve(config(codec), {
        files: { 'public/style.css': 'body{}', 'public/secret.php': '<?php echo 1;', 'outside.txt': 'outside the root' },
      });
    });
    after(async () => {
      await s.stop();
    });

    test('gets the RoadRunner context and its answer is understood', async () => {
      const res = await fetch(`${s.url}/hello/world?q=1&q=2`, { headers: { 'x-forwarded-proto': 'https', cookie: 'a=b%2Bc' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-codec'), codec);
      const { ctx } = (await res.json()) as { ctx: Record<string, any> };
      assert.equal(ctx.method, 'GET');
      assert.equal(ctx.uri, `http://127.0.0.1:${s.port}/hello/world?q=1&q=2`);
      assert.equal(ctx.rawQuery, 'q=1&q=2');
      assert.equal(ctx.remoteAddr, '127.0.0.1');
      assert.deepEqual(ctx.headers['X-Forwarded-Proto'], ['https']);
      assert.deepEqual(ctx.cookies, { a: 'b+c' });
    });

    test('CR/LF in a worker header never reaches the client', async () => {
      const raw = await rawRequest(s.port, 'GET /crlf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(raw, /^HTTP\/1\.1 200/);
      assert.doesNotMatch(raw, /evil=1/);
      assert.doesNotMatch(raw, /X-Injected/i);
      assert.doesNotMatch(raw, /X-Bad/i);
    });

    test("a status outside Go's 100..999 becomes 500 with the reason; a three-digit one passes as in RoadRunner", async () => {
      const res = await fetch(`${s.url}/status?s=1000`);
      assert.equal(res.status, 500);
      assert.equal(await res.text(), 'unknown status code from worker: 1000');
      assert.equal((await fetch(`${s.url}/status?s=99`)).status, 500);
      assert.equal((await fetch(`${s.url}/status?s=700`)).status, 700);
      assert.equal((await fetch(`${s.url}/status?s=418`)).status, 418);
    });

    test('a 103 stream frame is sent as an interim response before the final one', async () => {
      const hints: string[] = [];
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get(`${s.url}/early-hints`);
        req.on('information', (info) => {
          if (info.statusCode === 103) hints.push(String(info.headers.link));
        });
        req.on('response', (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: b }));
        });
        req.on('error', reject);
      });
      assert.deepEqual(hints, ['</style.css>; rel=preload; as=style']);
      assert.equal(status, 200);
      assert.equal(body, 'after hints');
    });

    test('static files are served from their root only; traversal gets 403; .php falls through to PHP', async () => {
      const css = await fetch(`${s.url}/style.css`);
      assert.equal(css.status, 200);
      assert.equal(await css.text(), 'body{}');
      assert.ok(css.headers.get('last-modified'));
      for (const p of ['/../outside.txt', '/%2e%2e/outside.txt', '/a/%2E%2E/%2e%2e/outside.txt', '/..%2foutside.txt']) {
        const raw = await rawRequest(s.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        assert.match(raw, /^HTTP\/1\.1 403/, `${p} is refused`);
        assert.doesNotMatch(raw, /outside the root/);
      }
      const php = await fetch(`${s.url}/secret.php`);
      assert.equal(php.headers.get('x-codec'), codec, 'a forbidden extension is handled by the worker, not served as a file');
      assert.doesNotMatch(await php.text(), /<\?php/);
      const missing = await fetch(`${s.url}/missing.css`);
      assert.equal(missing.headers.get('x-codec'), codec, 'a missing file falls through to PHP');
    });

    test('forbidden upload extensions get error 8 and no temp file', async () => {
      const form = new FormData();
      form.append('ok', new Blob(['fine']), 'fine.txt');
      form.append('bad', new Blob(['<?php']), 'shell.PHP');
      const res = await fetch(`${s.url}/upload`, { method: 'POST', body: form });
      const { ctx } = (await res.json()) as { ctx: { uploads: unknown } };
      const uploads = (typeof ctx.uploads === 'string' ? JSON.parse(ctx.uploads) : ctx.uploads) as Record<string, any>;
      assert.equal(uploads.ok.error, 0);
      assert.equal(uploads.ok.size, 4);
      assert.notEqual(uploads.ok.tmpName, '');
      assert.deepEqual(uploads.bad, { name: 'shell.PHP', mime: 'application/octet-stream', size: 0, error: 8, tmpName: '' });
    });

    test('a chunked body that grows past max_request_size gets 413', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${s.url}/big`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        // An error before the response means the 413 was lost (e.g. a reset): fail instead of waiting forever.
        req.on('error', reject);
        const chunk = Buffer.alloc(256 * 1024, 1);
        let sent = 0;
        const pump = () => {
          while (sent < 8 * 1024 * 1024 && !req.destroyed) {
            sent += chunk.length;
            if (!req.write(chunk)) return req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      assert.equal(status, 413);
      assert.equal((await fetch(`${s.url}/after`)).status, 200, 'the server keeps serving');
    });

    test('malformed HTTP gets 400 and the server keeps serving', async () => {
      assert.match(await rawRequest(s.port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
      assert.match(
        await rawRequest(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'),
        /^HTTP\/1\.1 400/,
      );
      assert.match(await rawRequest(s.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), /^HTTP\/1\.1 431/);
      assert.equal((await fetch(`${s.url}/still-alive`)).status, 200);
    });
  });
}
