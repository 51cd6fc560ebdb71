/** The rr_http_* worker gauges, computed at scrape time from the pool's informer snapshot (roadrunner-protocol.md §7.2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../src/metrics/index.js';
import { WorkerState, type WorkerInfo, type WorkerPool } from '../../src/pool/types.js';

function info(pid: number, status: WorkerState, statusStr: string, memoryUsage: number): WorkerInfo {
  return { pid, status, statusStr, memoryUsage, numExecs: 0, created: 0, CPUPercent: 0, command: 'php w.php' };
}

test('worker gauges: totals, per-pid memory, state label from the informer name, ready/working/invalid counts', async () => {
  const workers = [
    info(11, WorkerState.Ready, 'ready', 1000),
    info(12, WorkerState.Working, 'working', 2000),
    info(13, WorkerState.Stopping, 'stopping', 500),
  ];
  const pool = { workers: async () => workers } as unknown as WorkerPool;
  const metrics = new Metrics();
  metrics.watchPool(pool);
  const port = await metrics.listen('127.0.0.1:0');
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const line of [
      'rr_http_total_workers 3',
      'rr_http_workers_memory_bytes 3500',
      'rr_http_worker_memory_bytes{pid="12"} 2000',
      'rr_http_worker_state{state="stopping",pid="13"} 0',
      'rr_http_worker_state{state="ready",pid="11"} 0',
      'rr_http_workers_ready 1',
      'rr_http_workers_working 1',
      'rr_http_workers_invalid 1',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing ${line}`);
    }
  } finally {
    await metrics.close();
  }
});
