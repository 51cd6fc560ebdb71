/** A real HTTP plugin on port 0 in front of a real pool of hand-written PHP workers (test/fixtures/http/worker.php). */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool } from '../../src/pool/pool.js';
import type { ExecOptions, Payload, WorkerPool, WorkerResponse } from '../../src/pool/types.js';
import { createHttpServer, type HttpPlugin } from '../../src/http/server.js';
import { httpOptionsWithDefaults, type HttpOptions } from '../../src/http/options.js';

export const WORKER = fileURLToPath(new URL('../../../test/fixtures/http/worker.php', import.meta.url));

import { MemoryLog } from '../support/memory-log.js';

export { MemoryLog };
export type { Entry } from '../support/memory-log.js';

/** Counts what reaches the workers, so tests can prove a request never did. */
class CountingPool implements WorkerPool {
  execs = 0;
  constructor(private readonly inner: WorkerPool) {}
  exec(payload: Payload, options?: ExecOptions): Promise<WorkerResponse> {
    this.execs++;
    return this.inner.exec(payload, options);
  }
  workers() {
    return this.inner.workers();
  }
  queueSize(): number {
    return this.inner.queueSize();
  }
  reset(): Promise<void> {
    return this.inner.reset();
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export interface TestServer {
  url: string;
  port: number;
  dir: string;
  uploadsDir: string;
  plugin: HttpPlugin;
  pool: CountingPool;
  log: MemoryLog;
  stop(): Promise<void>;
}

/** `dir` is a fresh temp dir: uploads go to `dir/uploads`, and `files` are written under `dir`. */
export async function startServer(
  codec: 'json' | 'proto',
  overrides: (dir: string) => Partial<HttpOptions> = () => ({}),
  numWorkers = 2,
): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'burner-http-'));
  const uploadsDir = path.join(dir, 'uploads');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(uploadsDir);
  const log = new MemoryLog();
  const inner = await createPool(
    {
      command: ['php', WORKER],
      env: { RR_MODE: 'http', RR_RELAY: 'pipes' },
      relay: 'pipes',
      numWorkers,
      maxJobs: 0,
      allocateTimeout: 10_000,
      destroyTimeout: 3000,
      resetTimeout: 5000,
      streamTimeout: 3000,
      maxQueueSize: 0,
      debug: false,
    },
    log,
  );
  const pool = new CountingPool(inner);
  const options = httpOptionsWithDefaults({
    address: '127.0.0.1:0',
    codec,
    uploads: { dir: uploadsDir, forbid: [], allow: [] },
    ...overrides(dir),
  });
  const plugin = createHttpServer(options, pool, log);
  const { port } = await plugin.listen();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    uploadsDir,
    plugin,
    pool,
    log,
    async stop() {
      await plugin.close(2000);
      await inner.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Sends raw bytes and returns everything the server answered until it closed (or `ms` passed). */
export function rawExchange(port: number, text: string | Buffer, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
  });
}
