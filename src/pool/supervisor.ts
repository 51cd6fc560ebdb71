/**
 * The supervisor (roadrunner-protocol.md §4.3): every watch_tick, retire workers past ttl, idle_ttl or
 * max_worker_memory. Idle workers go at once; busy ones are marked and retired after their current request (soft).
 * exec_ttl is not part of the tick: it is a per-exec timer in the worker process.
 */
import { WorkerState, type RetireReason } from './state.js';
import type { Log, SupervisorOptions } from './types.js';
import type { WorkerProcess } from './worker.js';

const MiB = 1024 * 1024;

export interface Supervised {
  /** Workers the pool owns (ready or working). */
  supervisedWorkers(): Iterable<WorkerProcess>;
  /** Retire a worker now (it is idle) or after its current request (it is busy). */
  retireWorker(w: WorkerProcess, reason: RetireReason): void;
}

export class Supervisor {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly pool: Supervised,
    private readonly opts: SupervisorOptions,
    private readonly log: Log,
  ) {}

  start(): void {
    if (this.timer || this.opts.watchTick <= 0) return;
    if (this.opts.ttl <= 0 && this.opts.idleTtl <= 0 && this.opts.maxWorkerMemory <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.opts.watchTick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async tick(): Promise<void> {
    if (this.running) return; // a slow /proc read must not stack ticks
    this.running = true;
    try {
      const now = Date.now();
      const { ttl, idleTtl, maxWorkerMemory } = this.opts;
      const checks: Promise<void>[] = [];
      for (const w of this.pool.supervisedWorkers()) {
        if (w.retiring || (w.state !== WorkerState.Ready && w.state !== WorkerState.Working)) continue;
        if (ttl > 0 && now - w.createdAt >= ttl) {
          this.retire(w, WorkerState.TTLReached, `ttl (${ttl} ms) reached`);
          continue;
        }
        if (idleTtl > 0 && w.state === WorkerState.Ready && w.lastUsed > 0 && now - w.lastUsed >= idleTtl) {
          this.retire(w, WorkerState.IdleTTLReached, `idle_ttl (${idleTtl} ms) reached`);
          continue;
        }
        if (maxWorkerMemory > 0) {
          checks.push(
            w.rss().then((rss) => {
              if (rss >= maxWorkerMemory * MiB && !w.retiring && (w.state === WorkerState.Ready || w.state === WorkerState.Working)) {
                this.retire(
                  w,
                  WorkerState.MaxMemoryReached,
                  `max_worker_memory (${maxWorkerMemory} MB) reached: RSS ${(rss / MiB).toFixed(1)} MB`,
                );
              }
            }),
          );
        }
      }
      await Promise.all(checks);
    } finally {
      this.running = false;
    }
  }

  private retire(w: WorkerProcess, state: RetireReason, why: string): void {
    this.log.debug({ pid: w.pid }, `supervisor: ${why}${w.state === WorkerState.Working ? ', retiring after the current request' : ''}`);
    this.pool.retireWorker(w, state);
  }
}
