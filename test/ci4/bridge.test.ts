/**
 * The CodeIgniter 4 bridge through the real server: `rr serve` running php/worker/codeigniter.php on a CI app
 * (scripts/ci4-app.sh) with the test controllers of test/fixtures/ci4, once per CodeIgniter version (VERSIONS); a
 * version whose tarball is absent is skipped, and the skip says so. One app and one server per version and
 * environment, shared by the tests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { eventually, type Served } from '../e2e/harness.js';
import { Jar, VERSIONS, ciApp, json, serveCi, unavailable } from './helpers.js';

const REDIRECT = [302, 303, 307];

/** One raw HTTP/1.0 exchange (fetch cannot send an absolute-form target); the connection is closed by the server. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
const sha1 = (data: Uint8Array | string) => createHash('sha1').update(data).digest('hex');

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

for (const version of VERSIONS) {
  const skip = unavailable(version);

  describe(`CodeIgniter ${version} app through Burner (production, one worker)`, { skip }, () => {
    let app: string;
    let s: Served;
    before(async () => {
      app = ciApp(`ci4-e2e-${version}`, { version });
      s = await serveCi(app, { workers: 1 });
    });
    after(async () => {
      assert.equal(await s.stop(), 0);
    });

    test('welcome page, a static file from public/, GET with query', async () => {
      const home = await fetch(`${s.url}/`);
      assert.equal(home.status, 200);
      assert.match(await home.text(), /Welcome to CodeIgniter 4!/);

      const icon = await fetch(`${s.url}/favicon.ico`);
      assert.equal(icon.status, 200);
      assert.deepEqual(Buffer.from(await icon.arrayBuffer()), readFileSync(`${app}/public/favicon.ico`));

      const res = await fetch(`${s.url}/bt/server?x=1&y[]=2`, { headers: { 'x-test': 'hello' } });
      const body = await json(res);
      assert.equal(body.server.REQUEST_URI, '/bt/server?x=1&y[]=2');
      assert.equal(body.server.QUERY_STRING, 'x=1&y[]=2');
      assert.equal(body.server.HTTP_HOST, `127.0.0.1:${s.port}`);
      assert.equal(body.server.SERVER_PORT, String(s.port));
      assert.equal(body.server.HTTP_X_TEST, 'hello');
      assert.equal(body.uri_string, 'bt/server');
      assert.deepEqual(body.get, { x: '1', y: ['2'] });
      assert.equal(body.is_cli, false);
    });

    // Issue 14 finding 9: the server builds the context's uri from the real connection and the Host header, also
    // for an absolute-form target (src/http/context.ts).
    test('an absolute-form target over plain HTTP gives neither HTTPS nor its host to the app', async () => {
      const raw = await rawRequest(s.port, `GET https://evil.example/bt/server HTTP/1.0\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, any>;
      assert.equal(body.server.HTTPS, null, 'no HTTPS=on from the request target');
      assert.equal(body.server.HTTP_HOST, `127.0.0.1:${s.port}`, 'HTTP_HOST from the Host header');
      assert.doesNotMatch(body.current_url, /evil\.example|^https:/);
    });

    test('POST form, JSON body, PUT form', async () => {
      const posted = await json(await fetch(`${s.url}/bt/form`, form({ a: '1', 'b[]': 'x' })));
      assert.deepEqual(posted.post, { a: '1', b: ['x'] });

      const page = await fetch(`${s.url}/bt/form`);
      assert.match(await page.text(), /<form method="post">/);

      const sent = await json(
        await fetch(`${s.url}/bt/json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ a: [1, 2], s: 'é' }),
        }),
      );
      assert.deepEqual(sent, { method: 'post', json: { a: [1, 2], s: 'é' } });

      const put = await json(await fetch(`${s.url}/bt/put`, { ...form({ a: '1' }), method: 'PUT' }));
      assert.equal(put.method, 'put');
      assert.deepEqual(put.raw, { a: '1' });
    });

    test('file upload saved with UploadedFile::move()', async () => {
      const content = randomBytes(200_000);
      const fd = new FormData();
      fd.append('k', 'v');
      fd.append('doc', new Blob([content], { type: 'application/pdf' }), 'report.pdf');
      const body = await json(await fetch(`${s.url}/bt/upload`, { method: 'POST', body: fd }));
      assert.deepEqual(body.post, { k: 'v' });
      assert.equal(body.files.length, 1);
      const file = body.files[0];
      assert.equal(file.name, 'report.pdf');
      assert.equal(file.valid, true);
      assert.equal(file.moved, true);
      assert.equal(file.sha1, sha1(content));
      assert.deepEqual(readFileSync(file.path), content);
      unlinkSync(file.path);
    });

    test('several cookies, each its own Set-Cookie', async () => {
      const res = await fetch(`${s.url}/bt/cookies`, { headers: { cookie: 'x=1; y=two' } });
      assert.deepEqual((await json(res)).received, { x: '1', y: 'two' });
      const cookies = res.headers.getSetCookie();
      assert.equal(cookies.length, 3);
      // Byte for byte what PHP's setcookie() writes for CI's cookies (attribute names, date format, order).
      const date = String.raw`[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT`;
      assert.match(cookies[0] ?? '', new RegExp(`^alpha=one; expires=${date}; Max-Age=360\\d; path=/(; HttpOnly)?; SameSite=Lax$`));
      assert.match(cookies[1] ?? '', new RegExp(`^beta=two; expires=${date}; Max-Age=360\\d; path=/(; HttpOnly)?; SameSite=Lax$`));
      assert.equal(cookies[2], 'gamma=three%20value; path=/; HttpOnly; SameSite=Lax');
    });

    test("two clients hammering one worker for 1000 requests never see each other's session or flash data", async () => {
      const alice = new Jar();
      const bob = new Jar();
      const login = async (jar: Jar, user: string) => {
        const res = await jar.fetch(`${s.url}/bt/login`, form({ user }));
        const body = await json(res);
        assert.equal(body.user, user);
        assert.ok(jar.cookies.get('ci_session'), 'the login sets the session cookie');
        return body.sid as string;
      };
      const aliceSid = await login(alice, 'alice');
      const bobSid = await login(bob, 'bob');
      assert.notEqual(aliceSid, bobSid);

      const seen = { alice: 0, bob: 0 };
      for (let i = 0; i < 1000; i++) {
        const [jar, user, sid] = i % 2 === 0 ? [alice, 'alice', aliceSid] : [bob, 'bob', bobSid];
        if (i % 50 === 0) {
          // flash data set by one client is read by that client only
          const redirect = await jar.fetch(`${s.url}/bt/flash`);
          assert.ok(REDIRECT.includes(redirect.status), `redirect status ${redirect.status}`);
          assert.match(redirect.headers.get('location') ?? '', /\/bt\/whoami$/);
          const shown = await json(await jar.fetch(`${s.url}/bt/whoami`));
          assert.equal(shown.flash, `saved for ${user}`);
          seen[user as 'alice' | 'bob']++;
          i++;
          continue;
        }
        const body = await json(await jar.fetch(`${s.url}/bt/whoami`));
        assert.equal(body.user, user, `request ${i}`);
        assert.equal(body.sid, sid, `request ${i}`);
        assert.equal(body.flash, null, `request ${i}: no flash data from the other client`);
        seen[user as 'alice' | 'bob']++;
      }
      assert.ok(seen.alice > 400 && seen.bob > 400);

      // A client without a cookie, right after them on the same worker, gets a fresh empty session.
      const stranger = await json(await fetch(`${s.url}/bt/whoami`));
      assert.equal(stranger.user, null);
      assert.notEqual(stranger.sid, aliceSid);
      assert.notEqual(stranger.sid, bobSid);
    });

    test("routes are kept across requests but matched by each request's own verb", async () => {
      for (let i = 0; i < 3; i++) {
        const post = await fetch(`${s.url}/bt/only-post`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a=1',
        });
        assert.equal(post.status, 200, 'the POST-only route answers a POST');
        await post.text();
        const get = await fetch(`${s.url}/bt/only-post`, { headers: { accept: 'text/html' } });
        assert.equal(get.status, 404, 'and not a GET right after it');
        await get.text();
      }
    });

    test('route redirect and redirect with flash data', async () => {
      const old = await fetch(`${s.url}/bt/old-page`, { redirect: 'manual' });
      assert.ok(REDIRECT.includes(old.status), `redirect status ${old.status}`);
      assert.equal(old.headers.get('location'), 'http://localhost:8080/bt/hello', 'base_url() of the app');
      const jar = new Jar();
      await jar.fetch(`${s.url}/bt/login`, form({ user: 'erin' }));
      const res = await jar.fetch(`${s.url}/bt/flash`);
      assert.ok(REDIRECT.includes(res.status), `redirect status ${res.status}`);
      const target = new URL(res.headers.get('location')!);
      assert.equal(target.pathname, '/index.php/bt/whoami');
      const shown = await json(await jar.fetch(`${s.url}${target.pathname}`));
      assert.equal(shown.flash, 'saved for erin');
      assert.equal((await json(await jar.fetch(`${s.url}/bt/whoami`))).flash, null);
    });

    test('404 page, production exception page, the worker survives', async () => {
      const missing = await fetch(`${s.url}/bt/nothing-here`, { headers: { accept: 'text/html' } });
      assert.equal(missing.status, 404);
      assert.match(await missing.text(), /404/);
      const boom = await fetch(`${s.url}/bt/boom`, { headers: { accept: 'text/html' } });
      assert.equal(boom.status, 500);
      const text = await boom.text();
      assert.match(text, /Whoops/);
      assert.doesNotMatch(text, /Burner test exception/, 'production hides the details');
      // Worker stderr reaches the server log asynchronously, after the response.
      assert.ok(await eventually(() => /RuntimeException: Burner test exception/.test(s.logs())), 'the stack trace is in the server log');
      const ok = await fetch(`${s.url}/bt/hello`);
      assert.equal(await ok.text(), 'hello from CodeIgniter');
    });

    test('file downloads are byte-identical', async () => {
      const expected = Buffer.alloc(70000);
      for (let i = 0; i < expected.length; i++) expected[i] = (i * 7 + 3) % 256;
      const res = await fetch(`${s.url}/bt/download`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-disposition') ?? '', /filename="burner\.bin"/);
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      assert.equal(sha1(Buffer.from(await res.arrayBuffer())), sha1(expected));

      const file = await fetch(`${s.url}/bt/downloadFile`);
      assert.match(file.headers.get('content-disposition') ?? '', /filename="report\.txt"/);
      assert.equal(await file.text(), 'line of the download file\n'.repeat(500));

      // 5 MB: streamed by the worker in 1 MB chunks
      const block = Buffer.alloc(1024);
      for (let i = 0; i < 1024; i++) block[i] = (i * 31 + 7) % 256;
      const big = await fetch(`${s.url}/bt/downloadBig`);
      assert.equal(big.status, 200);
      assert.match(big.headers.get('content-disposition') ?? '', /filename="burner-big\.bin"/);
      assert.equal(sha1(Buffer.from(await big.arrayBuffer())), sha1(Buffer.concat(Array(5 * 1024).fill(block))));
    });

    test('response headers including CSP', async () => {
      const res = await fetch(`${s.url}/bt/headers`);
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('x-single'), 'one');
      assert.equal(res.headers.get('x-multi'), 'first, second');
      const csp = res.headers.get('content-security-policy') ?? '';
      // The nonce is hex before CI 4.6, base64 since.
      assert.match(csp, /script-src 'self' https:\/\/cdn\.example\.com 'nonce-([0-9A-Za-z+/=]+)'/);
      const nonce = /'nonce-([0-9A-Za-z+/=]+)'/.exec(csp)![1];
      assert.equal(await res.text(), `<script nonce="${nonce}">var a = 1;</script>`);
    });

    test('SQLite3 database read and write', async () => {
      const first = await json(await fetch(`${s.url}/bt/db`, form({ body: 'one' })));
      const second = await json(await fetch(`${s.url}/bt/db`, form({ body: 'two' })));
      assert.equal(second.count, first.count + 1);
      assert.equal(second.latest[0].body, 'two');
      assert.equal(await (await fetch(`${s.url}/bt/transaction`)).text(), 'transaction left open');
      const after = await json(await fetch(`${s.url}/bt/db`));
      assert.equal(after.count, second.count, 'the open transaction was rolled back');
    });

    test('a fatal error answers 500 and the pool replaces the worker', async () => {
      const fatal = await fetch(`${s.url}/bt/fatal`);
      assert.equal(fatal.status, 500);
      const ok = await fetch(`${s.url}/bt/hello`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'hello from CodeIgniter');
    });
  });

  describe(`CodeIgniter ${version} app through Burner (development)`, { skip }, () => {
    let s: Served;
    before(async () => {
      s = await serveCi(ciApp(`ci4-e2e-${version}`, { version }), { env: 'development', workers: 1 });
    });
    after(async () => {
      assert.equal(await s.stop(), 0);
    });

    test('exception page with details, JSON errors, toolbar requests, and the worker survives', async () => {
      const boom = await fetch(`${s.url}/bt/boom`, { headers: { accept: 'text/html' } });
      assert.equal(boom.status, 500);
      assert.match(await boom.text(), /Burner test exception/);
      const api = await fetch(`${s.url}/bt/boom`, { headers: { accept: 'application/json' } });
      assert.equal(api.status, 500);
      assert.equal((await json(api)).message, 'Burner test exception');
      const loader = await fetch(`${s.url}/?debugbar`);
      assert.equal(loader.status, 200);
      assert.equal(loader.headers.get('content-type'), 'application/javascript');
      const data = await fetch(`${s.url}/bt/server`);
      const time = data.headers.get('debugbar-time');
      assert.ok(time, 'JSON responses point to their toolbar data');
      await data.arrayBuffer();
      const bar = await fetch(`${s.url}/?debugbar_time=${time}`, { headers: { accept: 'text/html' } });
      assert.equal(bar.status, 200);
      await bar.arrayBuffer();
      const ok = await fetch(`${s.url}/bt/hello`);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /^hello from CodeIgniter/);
      assert.equal(existsSync(`${s.dir}/.rr.yaml`), true);
    });
  });
}
