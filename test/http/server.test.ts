/**
 * The HTTP plugin end to end: a real node:http server on port 0, the real pool, real PHP workers that were written
 * from the wire spec without the SDK (test/fixtures/http/worker.php), in both codecs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readlink, writeFile, mkdir, symlink } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { multipart, waitEmpty } from './client.js';
import { rawExchange, startServer, type TestServer } from './helpers.js';
import { startServerProcess } from './process.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  informational: { status: number; headers: http.IncomingHttpHeaders }[];
}

function request(
  port: number,
  target: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders | [string, string][]; body?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const informational: Reply['informational'] = [];
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: target,
        method: opts.method ?? 'GET',
        headers: opts.headers as http.OutgoingHttpHeaders,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
            informational,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('information', (info) => informational.push({ status: info.statusCode, headers: info.headers }));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Files under `dir` this process still holds open (the server runs in the test process). */
async function openFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir + path.sep)) out.push(target);
  }
  return out;
}

/** Waits until nothing under `dir` is open, or gives up and returns what still is. */
async function waitClosed(dir: string): Promise<string[]> {
  let open = await openFilesUnder(dir);
  for (let i = 0; i < 100 && open.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    open = await openFilesUnder(dir);
  }
  return open;
}

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

for (const codec of ['json', 'proto'] as const) {
  describe(`HTTP plugin with real PHP workers (${codec})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(codec, (dir) => ({
        maxRequestSize: 16 * 1024 * 1024,
        uploads: { dir: path.join(dir, 'uploads'), forbid: ['.php'], allow: ['.txt', '.bin', '.php', '.png'] },
      }));
    });
    after(() => s.stop());

    test('the worker gets the RoadRunner context: method, absolute uri, canonical headers without Host, cookies, query', async () => {
      const r = await request(s.port, '/hello/w%20rld?a=1&a=2&b=x+y', {
        method: 'PUT',
        headers: [
          ['Host', 'example.test:8080'],
          ['x-foo-bar', 'one'],
          ['X-FOO-BAR', 'two'],
          ['content-type', 'text/plain'],
          ['Cookie', 'a=1; b=x%20y+z; a=2; bad=%zz; q="quoted"'],
        ],
        body: 'raw body',
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-codec'], codec);
      const j = JSON.parse(r.body.toString());
      const ctx = j.ctx;
      assert.equal(ctx.method, 'PUT');
      assert.equal(ctx.protocol, 'HTTP/1.1');
      assert.equal(ctx.remoteAddr, '127.0.0.1');
      assert.equal(ctx.uri, 'http://example.test:8080/hello/w%20rld?a=1&a=2&b=x+y');
      assert.equal(ctx.rawQuery, 'a=1&a=2&b=x+y');
      assert.deepEqual(ctx.headers['X-Foo-Bar'], ['one', 'two']);
      assert.deepEqual(ctx.headers['Content-Type'], ['text/plain']);
      assert.equal(ctx.headers.Host, undefined);
      assert.ok(!Object.keys(ctx.headers).some((k) => k.toLowerCase() === 'host'));
      assert.deepEqual(ctx.cookies, { a: '2', b: 'x y z', q: 'quoted' });
      assert.equal(ctx.parsed, false);
      assert.equal(ctx.uploads, null);
      assert.equal(j.bodyLength, 8);
      assert.equal(j.bodyMd5, md5('raw body'));
    });

    test('non-ASCII header bytes pass through unchanged both ways (UTF-8 in, UTF-8 out)', async () => {
      const raw = await rawExchange(
        s.port,
        Buffer.concat([
          Buffer.from('GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Name: '),
          Buffer.from('é€ 日本', 'utf8'),
          Buffer.from('\r\nCookie: raw='),
          Buffer.from('ü', 'utf8'),
          Buffer.from('; n=%C3%BC\r\n\r\n'),
        ]),
      );
      const j = JSON.parse(Buffer.from(raw, 'latin1').toString('utf8').split('\r\n\r\n')[1]!);
      assert.deepEqual(j.ctx.headers['X-Name'], ['é€ 日本']);
      // Go skips a cookie whose raw value is not printable ASCII; an escaped one is unescaped.
      assert.deepEqual(j.ctx.cookies, { n: 'ü' });
      for (const legacy of ['', '?legacy=1']) {
        const out = Buffer.from(await rawExchange(s.port, `GET /utf8${legacy} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 'latin1');
        assert.ok(
          out.includes(Buffer.concat([Buffer.from('\r\nX-Text: '), Buffer.from('é€ 日本', 'utf8'), Buffer.from('\r\n')])),
          out.toString(),
        );
        assert.match(out.toString('latin1'), /^HTTP\/1\.1 200 /);
        assert.doesNotMatch(out.toString('latin1'), /X-Ctl|X-Del/);
      }
    });

    test('HEAD and OPTIONS bodies are not read', async () => {
      const r = await request(s.port, '/echo', {
        method: 'OPTIONS',
        headers: { 'content-type': 'text/plain', 'content-length': 7 },
        body: 'ignored',
      });
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body.toString()).bodyLength, 0);
      const h = await request(s.port, '/echo', { method: 'HEAD' });
      assert.equal(h.status, 200);
      assert.equal(h.body.length, 0);
    });

    test('unframed bytes after a request (node sends an OPTIONS body so) do not replace its answer with a 400', async () => {
      const r = await request(s.port, '/echo', { method: 'OPTIONS', headers: { 'content-type': 'text/plain' }, body: 'ignored' });
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body.toString()).ctx.method, 'OPTIONS');
    });

    test('urlencoded bodies become the form tree; a plain key keeps its last value', async () => {
      const r = await request(s.port, '/echo?q=not-in-form', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a[b][]=1&a[b][]=2&c=1&c=2&d[x]=y+z',
      });
      const j = JSON.parse(r.body.toString());
      assert.equal(j.ctx.parsed, true);
      assert.deepEqual(j.form, { a: { b: ['1', '2'] }, c: '2', d: { x: 'y z' } });
    });

    test('a scalar/branch conflict in a form is a 400 with the error text, and never reaches PHP', async () => {
      const before = s.pool.execs;
      const r = await request(s.port, '/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1&a[b]=2',
      });
      assert.equal(r.status, 400);
      assert.match(r.body.toString(), /invalid multiple values to key 'a' in tree/);
      assert.equal(s.pool.execs, before);
    });

    test('a 3-file upload: temp files exist during the request with the right content and are gone afterwards', async () => {
      const files = [randomBytes(70_000), Buffer.from('second file'), randomBytes(300_000)];
      const { body, type } = multipart([
        { name: 'title', data: 'hello' },
        { name: 'meta[tags][]', data: 'x' },
        { name: 'meta[tags][]', data: 'y' },
        { name: 'docs[]', filename: 'a.bin', data: files[0]! },
        { name: 'docs[]', filename: 'b.TXT', type: 'text/plain', data: files[1]! },
        { name: 'avatar', filename: 'me.png', type: 'image/png', data: files[2]! },
      ]);
      const r = await request(s.port, '/uploads', { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal(r.status, 200);
      const j = JSON.parse(r.body.toString());
      assert.equal(j.parsed, true);
      assert.deepEqual(j.form, { title: 'hello', meta: { tags: ['x', 'y'] } });
      assert.ok(Array.isArray(j.uploads.docs));
      assert.equal(j.uploads.docs.length, 2);
      assert.equal(j.uploads.avatar.name, 'me.png');
      assert.equal(j.uploads.avatar.mime, 'image/png');
      assert.equal(j.files.length, 3);
      const byName = new Map<string, any>(j.files.map((f: any) => [f.name, f]));
      for (const [name, data] of [
        ['a.bin', files[0]!],
        ['b.TXT', files[1]!],
        ['me.png', files[2]!],
      ] as const) {
        const f = byName.get(name);
        assert.equal(f.error, 0, name);
        assert.equal(f.size, data.length, name);
        assert.equal(f.exists, true, name);
        assert.equal(f.md5, md5(data), name);
        assert.equal(f.inDir, s.uploadsDir, name);
        assert.match(path.basename(f.tmpName), /^upload\d+$/);
      }
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    });

    test('a part with an empty filename (an empty file input) is a form value, as in Go, not an upload', async () => {
      const { body, type } = multipart([
        { name: 'empty', filename: '', data: '' },
        { name: 'blob', type: 'application/octet-stream', data: 'raw' },
        { name: 'real', filename: 'r.txt', data: 'x' },
      ]);
      const r = await request(s.port, '/uploads', { method: 'POST', headers: { 'content-type': type }, body });
      const j = JSON.parse(r.body.toString());
      assert.deepEqual(j.form, { empty: '', blob: 'raw' });
      assert.deepEqual(Object.keys(j.uploads), ['real']);
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    });

    test('uploads.forbid and uploads.allow give error 8 and no temp file', async () => {
      const { body, type } = multipart([
        { name: 'ok', filename: 'notes.txt', data: 'fine' },
        { name: 'forbidden', filename: 'shell.PHP', data: '<?php system($_GET["c"]);' },
        { name: 'notAllowed', filename: 'tool.exe', data: 'MZ' },
      ]);
      const r = await request(s.port, '/uploads', { method: 'POST', headers: { 'content-type': type }, body });
      const j = JSON.parse(r.body.toString());
      assert.equal(j.uploads.ok.error, 0);
      assert.equal(j.uploads.ok.size, 4);
      for (const key of ['forbidden', 'notAllowed']) {
        assert.equal(j.uploads[key].error, 8, key);
        assert.equal(j.uploads[key].tmpName, '', key);
        assert.equal(j.uploads[key].size, 0, key);
      }
      assert.equal(j.files.filter((f: any) => f.exists).length, 1);
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    });

    test('temp files are removed when the worker fails too', async () => {
      const { body, type } = multipart([{ name: 'f', filename: 'x.txt', data: 'data' }]);
      const r = await request(s.port, '/error', { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal(r.status, 500);
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    });

    test('a 10 MB body makes the round trip byte for byte', async () => {
      const big = randomBytes(10 * 1024 * 1024);
      const r = await request(s.port, '/mirror', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: big });
      assert.equal(r.status, 200);
      assert.equal(r.body.length, big.length);
      assert.ok(r.body.equals(big));
    });

    test('100 concurrent requests over 2 workers all get their own answer', async () => {
      const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => request(s.port, `/slow?id=${i}`)));
      const pids = new Set<number>();
      replies.forEach((r, i) => {
        assert.equal(r.status, 200);
        const j = JSON.parse(r.body.toString());
        assert.equal(j.id, String(i));
        pids.add(j.pid);
      });
      assert.equal(pids.size, 2);
    });

    test('every Set-Cookie stays its own header line; multi-value headers keep all values', async () => {
      const r = await request(s.port, '/cookies');
      assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly', 'c=3']);
      const multi = [];
      for (let i = 0; i < r.rawHeaders.length; i += 2) if (r.rawHeaders[i]!.toLowerCase() === 'x-multi') multi.push(r.rawHeaders[i + 1]);
      assert.deepEqual(multi, ['x', 'y']);
    });

    test('CR/LF/NUL in worker header names or values never reach the client', async () => {
      const raw = await rawExchange(s.port, 'GET /crlf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(raw, /^HTTP\/1\.1 200 /);
      assert.match(raw, /\r\nX-Ok: fine\r\n/);
      assert.doesNotMatch(raw, /X-Injected/i);
      assert.doesNotMatch(raw, /evil=1/);
      assert.doesNotMatch(raw, /X-Bad/i);
      assert.doesNotMatch(raw, /X-Nul/i);
      assert.match(raw, /\r\n\r\ncrlf$/);
      assert.ok(s.log.has('warn', /dropped/));
    });

    test('an ERROR frame is internal_error_code with an empty body, and the worker keeps serving', async () => {
      const r = await request(s.port, '/error');
      assert.equal(r.status, 500);
      assert.equal(r.body.length, 0);
      assert.equal((await request(s.port, '/echo')).status, 200);
    });

    test('a worker that dies mid-request is internal_error_code with an empty body; a new worker takes over', async () => {
      const r = await request(s.port, '/crash');
      assert.equal(r.status, 500);
      assert.equal(r.body.length, 0);
      const next = await Promise.all([request(s.port, '/echo'), request(s.port, '/echo')]);
      for (const n of next) assert.equal(n.status, 200);
    });

    test('a status outside 100..999 is a 500 with the reason', async () => {
      const r = await request(s.port, '/status?s=1000');
      assert.equal(r.status, 500);
      assert.equal(r.body.toString(), 'unknown status code from worker: 1000');
      assert.equal((await request(s.port, '/status?s=418')).status, 418);
    });

    test('Trailer: the listed headers go after the body (HTTP/1.1), and are dropped on HTTP/1.0', async () => {
      const raw = await rawExchange(s.port, 'GET /trailer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const [head, body] = [raw.slice(0, raw.indexOf('\r\n\r\n')), raw.slice(raw.indexOf('\r\n\r\n') + 4)];
      assert.match(head, /^HTTP\/1\.1 200 /);
      assert.match(head, /\r\nTransfer-Encoding: chunked/i);
      assert.match(head, /\r\nX-Plain: p/);
      assert.doesNotMatch(head, /X-Sum: /);
      assert.equal(body, '5\r\nhello\r\n0\r\nX-Sum: abc\r\nX-Sum: def\r\n\r\n');
      const old = await rawExchange(s.port, 'GET /trailer HTTP/1.0\r\nHost: x\r\n\r\n');
      assert.match(old, /^HTTP\/1\.1 200 /);
      assert.match(old, /\r\n\r\nhello$/);
      assert.doesNotMatch(old, /X-Sum/);
      const lower = await request(s.port, '/trailer-lower');
      assert.equal(lower.status, 200);
      assert.equal(lower.body.toString(), 'hello');
      const streamed = await rawExchange(s.port, 'GET /stream-trailer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(streamed, /\r\n0\r\nX-Count: 2\r\n\r\n$/);
    });

    test('a stream whose first header is invalid gets a 500, and its later chunks are dropped without harm', async () => {
      const r = await request(s.port, '/stream-bad?s=1000');
      assert.equal(r.status, 500);
      assert.equal(r.body.toString(), 'unknown status code from worker: 1000');
      assert.equal((await request(s.port, '/echo')).status, 200);
    });

    test('a JSON answer with flags 0 (older PHP libraries) is understood', async () => {
      const r = await request(s.port, '/cookies?legacy=1');
      assert.equal(r.status, 200);
      assert.equal(r.headers['set-cookie']?.length, 3);
    });

    test('a streamed answer: 103 early hints first, then the chunks in order', async () => {
      const r = await request(s.port, '/stream');
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-streamed'], 'yes');
      assert.equal(r.body.toString(), 'one,two,three');
      assert.equal(r.informational.length, 1);
      assert.equal(r.informational[0]!.status, 103);
      assert.equal(r.informational[0]!.headers.link, '</style.css>; rel=preload; as=style');
      assert.equal(r.headers.link, undefined, 'hint headers do not leak into the final response');
    });

    test('a body declared at 2 GB is a 413 before any of it is read, and PHP never sees it', async () => {
      const before = s.pool.execs;
      const sock = net.connect(s.port, '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      let answer = '';
      sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      sock.on('error', () => undefined);
      const closed = new Promise((r) => sock.once('close', r));
      sock.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 2147483648\r\n\r\n');
      // Keep sending until the answer arrives; a server that buffered would wait for all 2 GB.
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      let sent = 0;
      while (answer === '' && !sock.destroyed && sent < 256 * 1024 * 1024) {
        if (!sock.write(chunk)) await new Promise((r) => setTimeout(r, 5));
        sent += chunk.length;
        await new Promise((r) => setImmediate(r));
      }
      sock.end();
      await closed;
      assert.match(answer, /^HTTP\/1\.1 413 /);
      assert.ok(sent < 2 * 1024 * 1024 * 1024);
      assert.equal(s.pool.execs, before);
    });

    test('Expect: 100-continue with a body declared too large gets the 413 instead of the go-ahead', async () => {
      const raw = await rawExchange(s.port, 'PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2147483648\r\nExpect: 100-continue\r\n\r\n');
      assert.match(raw, /^HTTP\/1\.1 413 /);
      assert.doesNotMatch(raw, /100 Continue/);
      const ok = await new Promise<Reply>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: s.port,
            path: '/echo',
            method: 'POST',
            agent: false,
            headers: { expect: '100-continue', 'content-length': 5 },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                headers: res.headers,
                rawHeaders: res.rawHeaders,
                body: Buffer.concat(chunks),
                informational: [],
              }),
            );
          },
        );
        req.on('continue', () => req.end('12345'));
        req.on('error', reject);
      });
      assert.equal(ok.status, 200);
      assert.equal(JSON.parse(ok.body.toString()).bodyMd5, md5('12345'));
    });

    test('a chunked body that passes max_request_size is a 413 as soon as it does, and PHP never sees it', async () => {
      const before = s.pool.execs;
      const limit = 16 * 1024 * 1024;
      let sent = 0;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: s.port,
            path: '/echo',
            method: 'POST',
            agent: false,
            headers: { 'content-type': 'application/octet-stream' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
        const chunk = Buffer.alloc(1024 * 1024, 0x62);
        const pump = () => {
          while (sent < 8 * limit && !req.destroyed) {
            sent += chunk.length;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        req.on('response', () => req.destroy());
        pump();
      });
      assert.equal(status, 413);
      assert.ok(sent < 8 * limit, `the answer came after ${sent} bytes, before the client finished`);
      assert.equal(s.pool.execs, before);
    });

    test('a multipart upload past max_request_size is a 413 and leaves no temp file', async () => {
      const before = s.pool.execs;
      const { body, type } = multipart([{ name: 'f', filename: 'huge.bin', data: Buffer.alloc(20 * 1024 * 1024, 1) }]);
      // No Content-Length (chunked), so the limit is found while streaming.
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: s.port,
            path: '/uploads',
            method: 'POST',
            agent: false,
            headers: { 'content-type': type, 'transfer-encoding': 'chunked' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
        req.end(body);
      });
      assert.equal(status, 413);
      assert.equal(s.pool.execs, before);
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
      assert.deepEqual(await waitClosed(s.uploadsDir), [], 'no temp file is left open');
    });

    test('a client that leaves in the middle of an upload leaves no temp file, open or on disk', async () => {
      const before = s.pool.execs;
      const { body, type } = multipart([
        { name: 'a', filename: 'a.bin', data: Buffer.alloc(64 * 1024, 1) },
        { name: 'b', filename: 'b.bin', data: Buffer.alloc(4 * 1024 * 1024, 2) },
      ]);
      await new Promise<void>((resolve) => {
        const req = http.request({
          host: '127.0.0.1',
          port: s.port,
          path: '/uploads',
          method: 'POST',
          agent: false,
          headers: { 'content-type': type, 'content-length': body.length },
        });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        // Half of the body: the first file is complete, the second one is being written.
        req.write(body.subarray(0, body.length / 2), () => setTimeout(() => req.destroy(), 50));
      });
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
      assert.deepEqual(await waitClosed(s.uploadsDir), [], 'no temp file is left open');
      assert.equal(s.pool.execs, before);
    });

    test('a malformed request line is a 400 and the server keeps serving', async () => {
      const raw = await rawExchange(s.port, 'GARBAGE\x01 / NOT-HTTP\r\n\r\n');
      assert.match(raw, /^HTTP\/1\.1 400 /);
      const huge = await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
      assert.match(huge, /^HTTP\/1\.1 431 /);
      const r = await request(s.port, '/echo');
      assert.equal(r.status, 200);
    });
  });
}

describe('HTTP plugin: static middleware', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      'json',
      (dir) => ({
        middleware: ['static', 'no_such_middleware', 'sendfile'],
        static: {
          dir: path.join(dir, 'public'),
          forbid: ['.php'],
          allow: [],
          calculateEtag: true,
          weak: false,
          request: {},
          response: { 'X-Static': 'yes' },
        },
      }),
      1,
    );
    await mkdir(path.join(s.dir, 'public', 'css'), { recursive: true });
    await writeFile(path.join(s.dir, 'public', 'css', 'site.css'), 'body{color:red}');
    await writeFile(path.join(s.dir, 'public', 'index.php'), '<?php echo "source";');
    await writeFile(path.join(s.dir, 'secret.txt'), 'outside the root');
  });
  after(() => s.stop());

  test('unknown middleware names are warned about', () => {
    assert.ok(s.log.lines.some((l) => l.level === 'warn' && JSON.stringify(l.obj).includes('no_such_middleware')));
  });

  test('an existing file is served with the configured response headers and without PHP', async () => {
    const before = s.pool.execs;
    const r = await request(s.port, '/css/site.css');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'body{color:red}');
    assert.equal(r.headers['x-static'], 'yes');
    assert.match(String(r.headers['content-type']), /text\/css/);
    assert.match(String(r.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/, 'weak: false gives a strong tag');
    assert.equal(s.pool.execs, before);
    const again = await request(s.port, '/css/site.css', { headers: { 'if-none-match': String(r.headers.etag) } });
    assert.equal(again.status, 304);
    const range = await request(s.port, '/css/site.css', { headers: { range: 'bytes=0-3' } });
    assert.equal(range.status, 206);
    assert.equal(range.body.toString(), 'body');
  });

  test('a forbidden extension and a missing file fall through to PHP', async () => {
    const php = await request(s.port, '/index.php');
    assert.equal(php.headers['x-codec'], 'json');
    assert.doesNotMatch(php.body.toString(), /echo "source"/);
    const missing = await request(s.port, '/css/missing.css');
    assert.equal(missing.status, 200);
    assert.equal(missing.headers['x-codec'], 'json');
  });

  test('sendfile: X-Sendfile from the worker is replaced by the file, streamed; `..` is 403, a missing file 404', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 7);
    const file = path.join(s.dir, 'download.bin');
    await writeFile(file, big);
    const r = await request(s.port, `/sendfile?s=201&path=${encodeURIComponent(file)}`);
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-sendfile'], undefined);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(Number(r.headers['content-length']), big.length);
    assert.ok(r.body.equals(big));
    const head = await request(s.port, `/sendfile?path=${encodeURIComponent(file)}`, { method: 'HEAD' });
    assert.equal(Number(head.headers['content-length']), big.length);
    assert.equal(head.body.length, 0);
    const traversal = await request(s.port, `/sendfile?path=${encodeURIComponent(s.dir + '/public/../secret.txt')}`);
    assert.equal(traversal.status, 403);
    assert.doesNotMatch(traversal.body.toString(), /outside the root/);
    assert.equal((await request(s.port, `/sendfile?path=${encodeURIComponent(s.dir + '/nope.bin')}`)).status, 404);
    assert.equal((await request(s.port, `/sendfile?path=${encodeURIComponent(s.dir)}`)).status, 404);
    assert.deepEqual(await waitClosed(s.dir), []);
  });

  test('a symlink that leads outside the root is 403; one that stays inside is served (issue 14 #10)', async () => {
    await symlink(path.join(s.dir, 'secret.txt'), path.join(s.dir, 'public', 'leak.txt'));
    await symlink(path.join(s.dir, 'public', 'css'), path.join(s.dir, 'public', 'styles'));
    const leak = await request(s.port, '/leak.txt');
    assert.equal(leak.status, 403);
    assert.doesNotMatch(leak.body.toString(), /outside the root/);
    const inside = await request(s.port, '/styles/site.css');
    assert.equal(inside.status, 200);
    assert.equal(inside.body.toString(), 'body{color:red}');
  });

  test('traversal attempts, plain or encoded, are 403 and never leave the root', async () => {
    for (const target of [
      '/../secret.txt',
      '/css/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/css/%2E%2E/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/css/x.%2e%2e',
      '/no-extension/..',
    ]) {
      const raw = await rawExchange(s.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(raw, /^HTTP\/1\.1 403 /, target);
      assert.doesNotMatch(raw, /outside the root/, target);
    }
    const before = s.pool.execs;
    const post = await rawExchange(s.port, 'POST /api/../admin HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    assert.match(post, /^HTTP\/1\.1 403 /, 'as in RoadRunner, `..` is refused for every method');
    assert.equal(s.pool.execs, before);
  });
});

describe('HTTP plugin: pool.debug and close', () => {
  test('with poolDebug the error text is in the 500 body; close() lets an in-flight request finish', async () => {
    const s = await startServer('proto', () => ({ poolDebug: true, internalErrorCode: 503 }), 1);
    try {
      const r = await request(s.port, '/error');
      assert.equal(r.status, 503);
      assert.match(r.body.toString(), /boom from the worker/);
      const started = s.pool.execs;
      const inFlight = request(s.port, '/slow?id=last');
      while (s.pool.execs === started) await new Promise((res) => setTimeout(res, 1));
      const closing = s.plugin.close(5000);
      const last = await inFlight;
      await closing;
      assert.equal(last.status, 200);
      assert.equal(JSON.parse(last.body.toString()).id, 'last');
      assert.equal(s.plugin.server.listening, false);
    } finally {
      await s.stop();
    }
  });
});

describe('HTTP plugin: streams and informational answers', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('proto', () => ({}), 1);
  });
  after(() => s.stop());

  test('a client that leaves a running stream makes the server send STOP; the worker ends the stream and stays', async () => {
    const pidBefore = JSON.parse((await request(s.port, '/pid')).body.toString()).pid;
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: s.port, path: '/forever', agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', (d: Buffer) => {
          assert.match(d.toString(), /^tick 0/);
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    });
    // The single worker is busy until the stream has ended, so this request proves the stream stopped.
    const after = JSON.parse((await request(s.port, '/pid')).body.toString());
    assert.equal(after.pid, pidBefore, 'the worker was stopped by STOP, not killed and replaced');
    assert.equal(after.served, 3);
  });

  test('an early hint node refuses is dropped, and the final answer still arrives', async () => {
    const r = await request(s.port, '/bad-hint');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'after bad hint');
    assert.equal(r.informational.length, 0);
  });

  test('a lone 1xx answer becomes an interim response followed by an empty 200', async () => {
    const r = await request(s.port, '/hint-only');
    assert.equal(r.informational.length, 1);
    assert.equal(r.informational[0]!.status, 103);
    assert.equal(r.informational[0]!.headers.link, '</a.js>; rel=preload');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.link, undefined);
  });
});

describe('HTTP plugin: headers, CORS, gzip, proxy_ip_parser, access logs', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      'json',
      () => ({
        middleware: ['headers', 'gzip', 'proxy_ip_parser'],
        trustedSubnets: ['127.0.0.0/8'],
        accessLogs: true,
        headers: {
          request: { 'X-From-Config': 'yes' },
          response: { 'X-Powered-By': 'burner' },
          cors: { allowed_origin: 'https://app.test', allow_credentials: true, max_age: 600 },
        },
      }),
      1,
    );
  });
  after(() => s.stop());

  test('request headers are added, response headers set, the client IP comes from a trusted proxy', async () => {
    const r = await request(s.port, '/echo', { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' } });
    const ctx = JSON.parse(r.body.toString()).ctx;
    assert.equal(ctx.remoteAddr, '203.0.113.9');
    assert.deepEqual(ctx.headers['X-From-Config'], ['yes']);
    assert.equal(r.headers['x-powered-by'], 'burner');
  });

  test('a CORS preflight is answered without PHP; actual responses carry the CORS headers', async () => {
    const before = s.pool.execs;
    const pre = await request(s.port, '/api', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.test', 'access-control-request-method': 'PUT' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.equal(pre.headers['access-control-max-age'], '600');
    assert.equal(s.pool.execs, before);
    const actual = await request(s.port, '/echo', { headers: { origin: 'https://app.test' } });
    assert.equal(actual.headers['access-control-allow-origin'], 'https://app.test');
    const other = await request(s.port, '/echo', { headers: { origin: 'https://evil.test' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('gzip when the client accepts it and the body is worth it', async () => {
    const { gunzipSync } = await import('node:zlib');
    const target = '/echo?pad=' + 'x'.repeat(4000);
    const zipped = await request(s.port, target, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
    const plain = JSON.parse(gunzipSync(zipped.body).toString());
    assert.equal(plain.ctx.rawQuery, 'pad=' + 'x'.repeat(4000));
    const identity = await request(s.port, target);
    assert.equal(identity.headers['content-encoding'], undefined);
    const small = await request(s.port, '/echo', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(small.headers['content-encoding'], undefined);
  });

  test('access_logs logs every request at info with the access-log fields', async () => {
    await request(s.port, '/echo?logged=1', { headers: { 'user-agent': 'burner-test' } });
    await new Promise((r) => setImmediate(r));
    const line = s.log.lines.find((l) => l.msg === 'http access log' && (l.obj as { uri?: string }).uri === '/echo?logged=1');
    assert.ok(line);
    assert.equal(line.level, 'info');
    assert.equal((line.obj as { status: number }).status, 200);
    assert.equal((line.obj as { user_agent: string }).user_agent, 'burner-test');
  });
});

describe('HTTP plugin: large uploads stream to disk', () => {
  test('a 256 MB file upload reaches the worker whole while the server’s memory grows by far less than the file', async () => {
    // The server runs in its own process: its peak resident memory (VmHWM) is the kernel's count, not a sample.
    const s = await startServerProcess(() => ({ maxRequestSize: 1024 * 1024 * 1024 }), { numWorkers: 1 });
    try {
      const size = 256 * 1024 * 1024;
      const boundary = 'burner-big-upload';
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="big"; filename="big.bin"\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      assert.equal((await request(s.port, '/pid')).status, 200);
      const base = await s.peakRss();
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: s.port,
            path: '/uploads',
            method: 'POST',
            agent: false,
            headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve(Buffer.concat(chunks).toString()));
          },
        );
        req.on('error', reject);
        // One reused 1 MB chunk: the client itself holds no more than that.
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        let sent = 0;
        req.write(head);
        const pump = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end(tail);
        };
        pump();
      });
      const peak = await s.peakRss();
      const j = JSON.parse(text);
      assert.equal(j.files.length, 1);
      assert.equal(j.files[0].size, size);
      assert.equal(j.files[0].exists, true);
      assert.ok(peak - base < size / 2, `memory grew by ${Math.round((peak - base) / 1048576)} MB for a ${size / 1048576} MB upload`);
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    } finally {
      await s.stop();
    }
  });
});

describe('HTTP plugin: raw_body', () => {
  test('urlencoded and multipart bodies arrive as raw bytes, unparsed and without uploads', async () => {
    const s = await startServer('proto', () => ({ rawBody: true }), 1);
    try {
      const form = await request(s.port, '/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a[b][]=1&a=2',
      });
      const f = JSON.parse(form.body.toString());
      assert.equal(f.ctx.parsed, false);
      assert.equal(f.bodyMd5, md5('a[b][]=1&a=2'));
      const { body, type } = multipart([{ name: 'f', filename: 'x.txt', data: 'file' }]);
      const mp = JSON.parse((await request(s.port, '/echo', { method: 'POST', headers: { 'content-type': type }, body })).body.toString());
      assert.equal(mp.ctx.parsed, false);
      assert.equal(mp.ctx.uploads, null);
      assert.equal(mp.bodyMd5, md5(body));
      assert.deepEqual(await readdir(s.uploadsDir), []);
    } finally {
      await s.stop();
    }
  });
});
