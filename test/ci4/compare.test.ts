/**
 * The same page corpus served by `php -S` (PHP's own web SAPI) and by Burner gives the same status, body and
 * relevant headers. Both run the same CI 4.1.3 app in production with its own configuration (baseURL
 * http://localhost:8080/), so absolute URLs in pages and redirects are the same on both sides.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Served } from '../e2e/harness.js';
import { ciApp, phpBuiltin, serveCi } from './helpers.js';

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
  { path: '/index.php/bt/hello' },
  { path: '/bt/hello?with=query&list[]=1' },
];

const HEADERS = ['content-type', 'location', 'content-disposition', 'x-single', 'x-multi', 'cache-control', 'strict-transport-security'];

interface Seen {
  status: number;
  headers: Record<string, string | null>;
  cookies: string[];
  body: string;
}

async function load(base: string, page: Page): Promise<Seen> {
  const res = await fetch(base + page.path, { redirect: 'manual', ...page.init });
  const bytes = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string | null> = {};
  for (const name of HEADERS) headers[name] = res.headers.get(name);
  let body = bytes.toString('latin1');
  // Per-request values: render time, CSP nonces, cookie expiry times.
  body = body.replace(/rendered in \d+\.\d+ seconds/g, 'rendered in X seconds').replace(/nonce="[0-9a-f]+"/g, 'nonce="N"');
  const csp = res.headers.get('content-security-policy');
  if (csp !== null) headers['content-security-policy'] = csp.replace(/'nonce-[0-9a-f]+'/g, "'nonce-N'");
  // Attribute names are case-insensitive (PHP's setcookie() writes "path=", CI's Cookie "Path="); times differ.
  const cookies = res.headers.getSetCookie().map((line) =>
    line
      .split('; ')
      .map((part, i) => {
        if (i === 0) return part;
        const [name, ...value] = part.split('=');
        const attr = name.toLowerCase();
        if (attr === 'expires') return 'expires=T';
        if (attr === 'max-age') return 'max-age=M';
        return [attr, ...value].join('=');
      })
      .join('; '),
  );
  return { status: res.status, headers, cookies, body };
}

describe('php -S and Burner serve the same pages', () => {
  let app: string;
  let burner: Served;
  let builtin: Awaited<ReturnType<typeof phpBuiltin>>;
  before(async () => {
    app = ciApp('ci4-compare');
    burner = await serveCi(app, { workers: 1 });
    builtin = await phpBuiltin(app);
  });
  after(async () => {
    await builtin?.stop();
    assert.equal(await burner.stop(), 0);
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
