/**
 * The status endpoint as a load balancer uses it, against a real pool of PHP workers: /health stays 200 while every
 * worker is busy and requests queue, /ready keeps RoadRunner's "a worker is idle" meaning, and drain() turns both to
 * 503 at once while the HTTP listener still serves, resolving after status.drain_delay.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { startApp, type App } from '../../src/app.js';
import { StatusServer, poolChecker, type StatusChecker } from '../../src/status/server.js';
import { FIXTURES, eventually } from '../e2e/harness.js';

const settle = () => new Promise((r) => setImmediate(r));

describe('status server', () => {
  let dir: string;
  let app: App;
  let checkers: Map<string, StatusChecker>;
  const servers: StatusServer[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'burner-status-'));
    const file = path.join(dir, '.rr.yaml');
    writeFileSync(
      file,
      `version: "3"
server:
  command: "php ${FIXTURES}/e2e/worker.php"
http:
  address: 127.0.0.1:0
  pool:
    num_workers: 1
    allocate_timeout: 60s
    destroy_timeout: 10s
`,
    );
    app = await startApp(loadConfig({ file }), pino({ level: 'silent' }), dir);
    checkers = new Map([['http', poolChecker(app.pool!, () => false)]]);
  });
  after(async () => {
    for (const s of servers) await s.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function status(options: { drainDelay?: number; unavailableStatusCode?: number } = {}) {
    const server = new StatusServer(
      { address: '127.0.0.1:0', unavailableStatusCode: options.unavailableStatusCode ?? 503, drainDelay: options.drainDelay },
      checkers,
    );
    servers.push(server);
    const port = await server.listen();
    const get = async (p: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      return { status: res.status, body: (await res.json()) as Array<{ plugin_name: string; error_message: string; status_code: number }> };
    };
    return { server, get };
  }

  it('/health is 200 while every worker is busy and requests queue; /ready is 503 then (RoadRunner meaning)', async () => {
    const { get } = await status();
    assert.equal((await get('/ready?plugin=http')).status, 200, 'idle worker: ready');
    const url = `http://127.0.0.1:${app.httpPort}`;
    // One worker: the first request occupies it, the next two wait in the queue.
    const busy = [1, 2, 3].map(() => fetch(`${url}/sleep?s=1`).then((r) => r.text()));
    assert.ok(await eventually(async () => (await get('/ready?plugin=http')).status === 503, 20_000), '/ready turns 503');
    const health = await get('/health');
    assert.equal(health.status, 200, 'busy but accepting: healthy');
    assert.deepEqual(health.body, [{ plugin_name: 'http', error_message: '', status_code: 200 }]);
    assert.equal((await get('/health?plugin=http')).status, 200);
    const ready = await get('/ready?plugin=http');
    assert.deepEqual(ready.body, [{ plugin_name: 'http', error_message: 'no ready workers', status_code: 503 }]);
    assert.deepEqual(await Promise.all(busy), ['slept', 'slept', 'slept'], 'queued requests are served');
    assert.ok(await eventually(async () => (await get('/ready')).status === 200, 20_000), 'idle again: ready');
  });

  it('drain(): /health and /ready answer 503 at once while HTTP still serves; resolves after drain_delay', async () => {
    const { server, get } = await status({ drainDelay: 200 });
    assert.equal((await get('/health')).status, 200);
    assert.equal(server.isDraining, false);
    let resolved = false;
    const drained = server.drain();
    void drained.then(() => (resolved = true));
    assert.equal(server.drain(), drained, 'idempotent: the same promise');
    assert.equal(server.isDraining, true);
    const health = await get('/health');
    assert.equal(health.status, 503);
    assert.deepEqual(health.body, [{ plugin_name: 'http', error_message: 'draining: the instance is shutting down', status_code: 503 }]);
    assert.equal((await get('/ready?plugin=http')).status, 503);
    assert.equal((await get('/health?plugin=nope')).status, 503, 'no plugin to report: still 503 while draining');
    // The instance still takes requests: draining only tells the balancer to move traffic away.
    const res = await fetch(`http://127.0.0.1:${app.httpPort}/hello`);
    assert.equal(res.status, 200);
    await drained;
    assert.equal(resolved, true);
    assert.equal((await get('/health')).status, 503, 'stays 503 after the delay');
  });

  it('drain() waits for drain_delay; close() ends the wait; unavailable_status_code applies', async () => {
    const { server, get } = await status({ drainDelay: 600_000, unavailableStatusCode: 418 });
    let resolved = false;
    const drained = server.drain().then(() => (resolved = true));
    assert.equal((await get('/health')).status, 418);
    await settle();
    assert.equal(resolved, false, 'still waiting for the balancer');
    await server.close();
    await drained;
    assert.equal(resolved, true);
  });

  it('without drain_delay, drain() resolves promptly and the default stays RoadRunner-compatible', async () => {
    const { server, get } = await status();
    assert.equal((await get('/health?plugin=nope')).status, 200, 'unknown plugin only: empty report, 200 (RoadRunner)');
    await server.drain();
    assert.equal((await get('/health')).status, 503);
  });
});
