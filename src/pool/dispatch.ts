/**
 * Which worker gets the next request: the oldest idle one; else, with http.pool.pipelining, the place behind the
 * request a worker began last; else a FIFO wait (waiters.ts) bounded by allocate_timeout. The pool tells
 * it when workers come free and when it holds requests back (reset, stop).
 */
import { Fifo } from './queue.js';
import { WorkerState } from './types.js';
import { WaitQueue } from './waiters.js';
import type { WorkerProcess } from './worker.js';

export class Dispatch {
  private readonly idle = new Fifo<WorkerProcess>();
  private readonly waiters = new WaitQueue<WorkerProcess>();
  constructor(
    /** Write requests ahead to busy workers while others wait (http.pool.pipelining). */
    private readonly pipelining: boolean,
    /** The pool's booted workers. */
    private readonly active: ReadonlySet<WorkerProcess>,
    /** Reset or stop: no worker is handed out, requests wait (or are rejected by the pool). */
    private readonly holding: () => boolean,
  ) {}

  /** A worker for a request now, or undefined: then wait(). */
  take(): WorkerProcess | undefined {
    if (this.holding()) return undefined;
    for (let w = this.idle.shift(); w !== undefined; w = this.idle.shift()) {
      if (w.state === WorkerState.Ready && this.active.has(w)) return w;
    }
    // Every worker is busy and nobody waits yet: write ahead to the worker that began its request last. Not the one
    // busy the longest: a request that has run long is the likeliest to run longer still (a slow report, a stuck
    // query), and the request written ahead would wait behind it.
    if (!this.pipelining || this.waiters.length > 0) return undefined;
    let best: WorkerProcess | undefined;
    for (const w of this.active) {
      if (w.canWriteAhead && (best === undefined || w.busySince > best.busySince)) best = w;
    }
    return best;
  }

  /** Can `w`, handed out by take() or wait() a moment ago, still take a request? (It may have been retired since.) */
  usable(w: WorkerProcess): boolean {
    return (w.state === WorkerState.Ready || w.canWriteAhead) && this.active.has(w);
  }

  wait(timeout: number, onTimeout: () => Error): Promise<WorkerProcess> {
    return this.waiters.wait(timeout, onTimeout);
  }

  /**
   * `w` just took a request, or answered one and went on to the request written ahead: with pipelining, the oldest
   * waiter takes the free place behind it.
   */
  busy(w: WorkerProcess): void {
    if (this.pipelining && !this.holding() && w.canWriteAhead) this.waiters.handOver(w);
  }

  /** `w` is ready again: to the oldest waiter, or to the idle FIFO. */
  free(w: WorkerProcess): void {
    if (this.holding() || !this.waiters.handOver(w)) this.idle.push(w);
  }

  remove(w: WorkerProcess): void {
    this.idle.remove(w);
  }

  clearIdle(): void {
    this.idle.clear();
  }

  rejectAll(err: Error): void {
    this.waiters.rejectAll(err);
  }
}
