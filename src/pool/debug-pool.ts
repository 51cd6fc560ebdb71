/**
 * Debug mode (roadrunner-protocol.md §4.4): no workers kept; every request starts a fresh worker, which is stopped
 * after its answer. max_queue_size does not apply; workers() is empty.
 */
import { BusyCounter } from './busy.js';
import { WorkerStopRequest } from './exchange.js';
import type { WorkerLauncher } from './launcher.js';
import {
  PoolError,
  type ExecOptions,
  type Log,
  type Payload,
  type PoolOptions,
  type WorkerInfo,
  type WorkerPool,
  type WorkerResponse,
} from './types.js';
import type { WorkerProcess } from './worker.js';

export class DebugPool implements WorkerPool {
  private readonly busy: BusyCounter;
  private pending = 0;
  private stopped = false;
  private destroyPromise: Promise<void> | null = null;

  constructor(
    private readonly launcher: WorkerLauncher,
    private readonly options: PoolOptions,
    log: Log,
  ) {
    this.busy = new BusyCounter(log);
  }

  exec(payload: Payload, options?: ExecOptions): Promise<WorkerResponse> {
    if (this.stopped) return Promise.reject(new PoolError('Stopped', 'the worker pool is stopped'));
    this.pending++;
    return this.run(payload, options);
  }

  async workers(): Promise<WorkerInfo[]> {
    return [];
  }

  queueSize(): number {
    return this.pending;
  }

  /** Every request gets a new worker anyway: nothing to replace. */
  async reset(): Promise<void> {}

  destroy(): Promise<void> {
    this.destroyPromise ??= (async () => {
      this.stopped = true;
      await this.busy.idle(this.options.destroyTimeout);
      await this.launcher.close(this.options.destroyTimeout);
    })();
    return this.destroyPromise;
  }

  private async run(payload: Payload, options: ExecOptions | undefined): Promise<WorkerResponse> {
    try {
      for (;;) {
        let w: WorkerProcess;
        try {
          w = this.launcher.spawn(await this.launcher.link());
          await w.booted;
        } catch (err) {
          throw new PoolError('Network', (err as Error).message);
        }
        this.busy.enter();
        try {
          return await w.exec(payload, options);
        } catch (err) {
          if (err instanceof WorkerStopRequest) continue; // asked to stop: the same request on a fresh worker
          throw err;
        } finally {
          this.busy.leave();
          void w.stop(this.options.destroyTimeout);
        }
      }
    } finally {
      this.pending--;
    }
  }
}
