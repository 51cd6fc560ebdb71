/** RoadRunner compatibility gaps found with the official PHP SDK (issue 11), shown with the project's own workers. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, startServer, type TestServer } from './helpers.js';
import { multipart, request, waitEmpty } from './client.js';

for (const codec of ['json', 'proto'] as const) {
  describe(`RoadRunner compatibility (${codec})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(codec, () => ({}), 1);
    });
    after(() => s.stop());

    test('a multipart form that carries only a file: parsed is true and the body is {} (roadrunner-http 3.4 json_decodes it)', async () => {
      const { body, type } = multipart([{ name: 'only', filename: 'f.txt', data: 'file content' }]);
      const r = await request(s.port, '/strict-form', { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal(r.status, 200, r.body.toString());
      const j = JSON.parse(r.body.toString());
      assert.equal(j.body, '{}');
      assert.deepEqual(j.form, []);
      assert.equal(j.uploads.only.name, 'f.txt');
      assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    });

    test('an empty urlencoded form is parsed too, with the body {}', async () => {
      const r = await request(s.port, '/strict-form', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': 0 },
      });
      assert.equal(r.status, 200, r.body.toString());
      assert.equal(JSON.parse(r.body.toString()).body, '{}');
    });

    test('any status from 100 to 999 passes through as RoadRunner does (Go writes "status code N" as the reason)', async () => {
      const r = await request(s.port, '/status?s=610');
      assert.equal(r.status, 610);
      assert.equal(r.body.toString(), 'status');
      const raw = await rawExchange(s.port, 'GET /status?s=999 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(raw, /^HTTP\/1\.1 999 status code 999\r\n/);
      const known = await rawExchange(s.port, 'GET /status?s=418 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(known, /^HTTP\/1\.1 418 I'm a Teapot\r\n/);
      for (const bad of [1000, 99]) {
        const b = await request(s.port, `/status?s=${bad}`);
        assert.equal(b.status, 500);
        assert.equal(b.body.toString(), `unknown status code from worker: ${bad}`);
      }
    });
  });
}

describe('client errors', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('json', () => ({}), 1);
  });
  after(() => s.stop());

  test('two Host headers are a 400 (RFC 9112 §3.2, as Go answers) and never reach PHP', async () => {
    const before = s.pool.execs;
    const raw = await rawExchange(s.port, 'GET /echo HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /two Hosts/);
    assert.equal(s.pool.execs, before);
    assert.equal((await request(s.port, '/echo')).status, 200);
  });

  test('malformed forms are a 400 with a short reason, not a 500', async () => {
    const conflict = await request(s.port, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&a[b]=2',
    });
    assert.equal(conflict.status, 400);
    assert.equal(conflict.body.toString(), "invalid multiple values to key 'a' in tree");
    const noBoundary = await request(s.port, '/echo', { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x' });
    assert.equal(noBoundary.status, 400);
    assert.match(noBoundary.body.toString(), /^invalid multipart request: /);
    const truncated = await request(s.port, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=zz' },
      body: '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue without an end',
    });
    assert.equal(truncated.status, 400);
    assert.match(truncated.body.toString(), /^invalid multipart body: /);
  });
});
