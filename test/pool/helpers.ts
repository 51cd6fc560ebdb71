import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createPool } from '../../src/pool/pool.js';
import { processAlive } from '../../src/pool/procfs.js';
import type { Payload, PoolOptions, WorkerPool, WorkerResponse } from '../../src/pool/types.js';

export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/pool/', import.meta.url));

import { MemoryLog } from '../support/memory-log.js';

export { MemoryLog };
export type { Entry } from '../support/memory-log.js';

export function options(script: string, overrides: Partial<PoolOptions> = {}): PoolOptions {
  return {
    command: ['php', FIXTURES + script],
    env: {},
    relay: 'pipes',
    numWorkers: 2,
    maxJobs: 0,
    // Safety nets only, generous so a busy machine does not fail a test; tests of a limit set their own value.
    allocateTimeout: 30000,
    destroyTimeout: 10000,
    resetTimeout: 30000,
    streamTimeout: 2000,
    maxQueueSize: 0,
    debug: false,
    ...overrides,
  };
}

export function req(context: string, body = ''): Payload {
  return { codec: 0x08, context: Buffer.from(context), body: Buffer.from(body) };
}

export function pidOf(res: WorkerResponse): number {
  const pid = (JSON.parse(res.context.toString()) as { pid: number }).pid;
  assert.ok(pid > 0);
  return pid;
}

export async function pids(pool: WorkerPool): Promise<number[]> {
  return (await pool.workers()).map((w) => w.pid).sort((a, b) => a - b);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` is true (or fails the test after `timeout` ms). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeout = 10000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

/**
 * Runs `body` with a pool and destroys it afterwards; then asserts that no process the pool ever reported is alive.
 */
export async function withPool(
  script: string,
  overrides: Partial<PoolOptions>,
  body: (pool: WorkerPool, log: MemoryLog, seen: Set<number>) => Promise<void>,
): Promise<void> {
  const log = new MemoryLog();
  const pool = await createPool(options(script, overrides), log);
  const seen = new Set<number>();
  const record = async (): Promise<void> => {
    for (const w of await pool.workers()) seen.add(w.pid);
  };
  await record();
  try {
    await body(pool, log, seen);
    await record();
  } finally {
    await pool.destroy();
  }
  for (const e of log.entries) {
    const pid = (e.obj as { pid?: number }).pid;
    if (typeof pid === 'number') seen.add(pid);
  }
  for (const pid of seen) assert.equal(processAlive(pid), false, `worker ${pid} is still alive after destroy()`);
}
