/**
 * Differential test, per CodeIgniter version: the same requests served by `php -S` (PHP's own web SAPI) and by
 * Burner give the same status, the same header lines (Set-Cookie byte for byte, Content-Type, Content-Disposition,
 * CSP, Location, ...) and the same body. Both run the same app in production with its own configuration (baseURL
 * http://localhost:8080/), so absolute URLs in pages and redirects are the same on both sides.
 *
 * Only these differ, by design (IGNORED below, and the normalisations in load()):
 *  - Date, Connection, Keep-Alive, Transfer-Encoding, Content-Length: connection-level framing; the bodies are
 *    compared byte for byte instead.
 *  - X-Powered-By (php -S adds it, expose_php) and Host (php -S echoes the request's Host as a response header).
 *  - Per-request values: CSP nonces, the render time and memory shown by the welcome page, cookie expiry dates
 *    (checked against PHP's date format) and session ids.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Served } from '../e2e/harness.js';
import { VERSIONS, ciApp, phpBuiltin, serveCi, unavailable } from './helpers.js';

interface Page {
  path: string;
  init?: RequestInit;
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

const html = { headers: { accept: 'text/html' } };

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

const CORPUS: Page[] = [
  { path: '/' },
  { path: '/bt/hello' },
  { path: '/bt/echoed' },
  { path: '/bt/view?title=Compare%20me' },
  { path: '/bt/form' },
  { path: '/bt/form', init: form({ a: '1', 'b[]': 'x', c: 'é ü' }) },
  { path: '/bt/json', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"k":[1,"two",null]}' } },
  { path: '/bt/put', init: { ...form({ a: '1' }), method: 'PUT' } },
  { path: '/bt/nothing-here', init: html },
  { path: '/bt/nothing-here' },
  { path: '/bt/boom', init: html },
  { path: '/bt/boom', init: { headers: { accept: 'application/json' } } },
  { path: '/bt/notice', init: html },
  { path: '/bt/old-page' },
  { path: '/bt/https' },
  { path: '/bt/download' },
  { path: '/bt/downloadFile' },
  { path: '/bt/downloadBig' },
  { path: '/bt/headers' },
  { path: '/bt/cookies', init: { headers: { cookie: 'x=1' } } },
  { path: '/bt/login', init: form({ user: 'compare' }) },
  { path: '/index.php/bt/hello' },
  // CodeIgniter's UserAgent; each string twice, so the worker's second answer comes from UserAgentMemo.
  ...[CHROME, IPHONE, GOOGLEBOT, 'curl/8.5.0', 'no agent we know 1.0', CHROME, IPHONE, GOOGLEBOT, 'curl/8.5.0', 'no agent we know 1.0'].map(
    (ua): Page => ({ path: '/bt/agent', init: { headers: { 'user-agent': ua } } }),
  ),
  { path: '/bt/agent', init: { headers: { 'user-agent': CHROME, referer: 'https://elsewhere.example/page' } } },
  { path: '/bt/agent', init: { headers: { 'user-agent': CHROME, referer: 'http://localhost:8080/bt/hello' } } },
  { path: '/bt/hello?with=query&list[]=1' },
];

/** Header names that differ by design (see the file comment). */
const IGNORED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'x-powered-by', 'host']);

/** The date format PHP's setcookie() writes. */
const COOKIE_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

interface Seen {
  status: number;
  headers: string[];
  cookies: string[];
  body: string;
}

const NONCE = /nonce-[0-9A-Za-z+/=]+/g;

async function load(base: string, page: Page): Promise<Seen> {
  const res = await fetch(base + page.path, { redirect: 'manual', ...page.init });
  const bytes = Buffer.from(await res.arrayBuffer());
  const headers: string[] = [];
  res.headers.forEach((value, name) => {
    if (IGNORED.has(name) || name === 'set-cookie') return;
    headers.push(`${name}: ${value.replace(NONCE, 'nonce-N')}`);
  });
  headers.sort();
  let body = bytes.toString('latin1');
  // Per-request values: render time, CSP nonces.
  body = body
    .replace(/rendered in \d+\.\d+ seconds/g, 'rendered in X seconds')
    .replace(/using [\d.]+ ?MB of memory/g, 'using M MB of memory')
    .replace(/nonce="[0-9A-Za-z+/=]+"/g, 'nonce="N"');
  body = body.replace(/"sid":"[^"]*"/g, '"sid":"S"');
  // Set-Cookie lines exactly, except the expiry date (checked for PHP's format), Max-Age's last digit (a second
  // boundary may fall between the two servers' clocks) and session ids.
  const cookies = res.headers.getSetCookie().map((line) =>
    line
      .split('; ')
      .map((part, i) => {
        if (i === 0) return part.replace(/^ci_session=[^;]+$/, 'ci_session=ID');
        if (part.startsWith('expires=')) {
          assert.match(part.slice(8), COOKIE_DATE, `cookie date format in ${line}`);
          return 'expires=DATE';
        }
        return part.replace(/^Max-Age=(\d*)\d$/, 'Max-Age=$1x');
      })
      .join('; '),
  );
  return { status: res.status, headers, cookies, body };
}

for (const version of VERSIONS) {
  describe(`CodeIgniter ${version}: php -S and Burner serve the same pages`, { skip: unavailable(version) }, () => {
    let burner: Served;
    let builtin: Awaited<ReturnType<typeof phpBuiltin>>;
    before(async () => {
      const app = ciApp(`ci4-compare-${version}`, { version });
      burner = await serveCi(app, { workers: 1 });
      builtin = await phpBuiltin(app);
    });
    after(async () => {
      await builtin?.stop();
      assert.equal(await burner?.stop(), 0);
    });

    for (const page of CORPUS) {
      const label = `${page.init?.method ?? 'GET'} ${page.path}${page.init?.headers ? ' ' + JSON.stringify(page.init.headers) : ''}`;
      test(label, async () => {
        const expected = await load(builtin.url, page);
        const actual = await load(burner.url, page);
        assert.equal(actual.status, expected.status, 'status');
        assert.deepEqual(actual.headers, expected.headers, 'headers');
        assert.deepEqual(actual.cookies, expected.cookies, 'cookies');
        assert.equal(actual.body, expected.body, 'body');
      });
    }
  });
}
