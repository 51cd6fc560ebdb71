/**
 * Issue 14 findings against a server in its own process (test/http/child-server.ts): what a client does must never
 * take the server down, stall other clients, or make it hold unbounded memory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { multipart, request, sendAndAbort, waitEmpty } from './client.js';
import { startServerProcess, type ServerProcess } from './process.js';

describe('HTTP server process: aborted uploads', () => {
  let s: ServerProcess;
  before(async () => {
    s = await startServerProcess(() => ({ maxRequestSize: 64 * 1024 * 1024 }));
  });
  after(() => s.stop());

  test('40 multipart uploads cut off mid-body in a row: the server keeps serving and leaves no temp file', async () => {
    const { body, type } = multipart([
      { name: 'title', data: 'x' },
      { name: 'a', filename: 'a.bin', data: Buffer.alloc(200 * 1024, 1) },
      { name: 'b', filename: 'b.bin', data: Buffer.alloc(2 * 1024 * 1024, 2) },
    ]);
    // Cut at varying points: just after a file part's headers (its temp file is being created), in a file, between
    // files, deep in the second one.
    const starts = [body.indexOf('filename="a.bin"'), body.indexOf('filename="b.bin"')].map((i) => body.indexOf('\r\n\r\n', i) + 4);
    const cuts = [...starts, ...starts.map((i) => i + 1), ...starts.map((i) => i + 10_000)];
    for (let k = 1; k < 10; k++) cuts.push(Math.floor((body.length * k) / 10));
    for (let i = 0; i < 40; i++) {
      const cut = cuts[i % cuts.length]!;
      await sendAndAbort(
        s.port,
        { path: '/uploads', method: 'POST', 'content-type': type, 'content-length': body.length },
        body.subarray(0, cut),
      );
    }
    assert.equal(s.exitCode(), undefined, `the server exited: ${s.stderr()}`);
    const r = await request(s.port, '/uploads', { method: 'POST', headers: { 'content-type': type }, body }).catch((err: Error) => {
      throw new Error(`${err.message}; server exit code ${s.exitCode()}; server log: ${s.stderr().slice(-2000)}`);
    });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body.toString()).files.length, 2);
    assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    assert.equal(s.exitCode(), undefined);
  });
});
