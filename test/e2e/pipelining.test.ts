import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { FIXTURES, serve } from './harness.js';

// http.pool.pipelining through the real CLI and the burner/burner SDK worker: with requests waiting, frames are
// written ahead to busy workers; every request still gets its own answer, over pipes and over a socket relay.
const WORKER = `php ${path.join(FIXTURES, 'e2e/worker.php')}`;

for (const relay of ['pipes', 'unix://{{DIR}}/rr.sock']) {
  test(`http.pool.pipelining: true over ${relay.split(':')[0]}: 120 concurrent requests (GET and POST bodies) each get their own answer`, async () => {
    const s = await serve(`version: "3"
server:
  command: "${WORKER}"
  relay: "${relay}"
http:
  address: 127.0.0.1:{{PORT}}
  pool:
    num_workers: 2
    pipelining: true
    allocate_timeout: 20s
    destroy_timeout: 5s
`);
    try {
      const results = await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          if (i % 3 === 0) {
            const body = Buffer.alloc(20_000 + i, i % 251);
            const res = await fetch(`${s.url}/body-sha1`, { method: 'POST', body });
            const got = (await res.json()) as { length: number; sha1: string };
            assert.equal(res.status, 200);
            assert.equal(got.length, body.length);
            assert.equal(got.sha1, createHash('sha1').update(body).digest('hex'));
            return null;
          }
          const res = await fetch(`${s.url}/item?i=${i}`);
          assert.equal(res.status, 200);
          const got = (await res.json()) as { query: { i: string }; pid: number };
          assert.equal(got.query.i, String(i));
          return got.pid;
        }),
      );
      assert.equal(new Set(results.filter((p) => p !== null)).size <= 2, true, 'two workers served them all');
      assert.doesNotMatch(s.logs(), /"level":(50|60)/, 'no error logged');
    } finally {
      await s.stop();
    }
  });
}
