/** Graceful close (SIGTERM) of a server in its own process while keep-alive clients hammer it: nothing is lost. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServerProcess } from './process.js';

interface Tally {
  ok: number;
  /** Requests written on an open connection that got no answer. */
  lost: string[];
}

/** One keep-alive client: request after request on its connection until the server no longer accepts any. */
async function hammer(port: number, tally: Tally, started: () => void): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let n = 0; ; n++) {
      const outcome = await new Promise<'ok' | 'refused' | string>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/pid', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`));
          res.on('error', (err) => resolve(`response ${err.message}`));
        });
        req.on('error', (err: NodeJS.ErrnoException) =>
          resolve(err.code === 'ECONNREFUSED' ? 'refused' : `${err.code} reused=${req.reusedSocket}`),
        );
      });
      if (outcome === 'refused') return;
      if (outcome === 'ok') tally.ok++;
      else tally.lost.push(outcome);
      if (n === 5) started();
    }
  } finally {
    agent.destroy();
  }
}

describe('HTTP server process: graceful close', () => {
  for (let round = 1; round <= 3; round++) {
    test(`SIGTERM while 12 keep-alive clients hammer the server loses no request (round ${round})`, async () => {
      const s = await startServerProcess(() => ({}), { numWorkers: 2, graceMs: 10_000 });
      const tally: Tally = { ok: 0, lost: [] };
      try {
        let running = 0;
        let allStarted!: () => void;
        const started = new Promise<void>((resolve) => (allStarted = resolve));
        const clients = Array.from({ length: 12 }, () =>
          hammer(s.port, tally, () => {
            if (++running === 12) allStarted();
          }),
        );
        await started;
        const code = await s.stop(30_000);
        await Promise.all(clients);
        assert.equal(code, 0);
        assert.deepEqual(tally.lost, [], `${tally.lost.length} requests lost, ${tally.ok} answered`);
        assert.ok(tally.ok >= 12 * 6);
      } finally {
        await s.stop();
      }
    });
  }
});
