/**
 * When to start the next worker after failures. A worker that cannot start, or that dies before it ever answered a
 * request and before it lived `healthyLife` ms, is a failure; consecutive failures space the next starts out
 * exponentially (min doubling to max), so a worker that handshakes and exits at once cannot become a hot loop.
 * A worker that answered a request or lived long enough ends the series.
 *
 * RoadRunner (pool worker_watcher) respawns an exited worker at once and retries failed allocations every second;
 * the exponential series here is stricter on crash loops and as quick as RoadRunner for the first replacement.
 */

/** The timer functions the policy uses; tests pass a fake one. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface BackoffOptions {
  minDelay: number;
  maxDelay: number;
  /** A worker that lived this long (ms) was healthy, whether it answered requests or not. */
  healthyLife: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { minDelay: 100, maxDelay: 5000, healthyLife: 10_000 };

/** What the pool reports about its restarts (StaticPool.respawnState()). */
export interface BackoffState {
  /** Consecutive failed or early-dead workers. */
  failures: number;
  /** The wait before the next start (0 = none). */
  delay: number;
  /** A start is scheduled and waiting for its delay. */
  waiting: boolean;
}

export class RespawnBackoff {
  private count = 0;
  private timer: unknown = null;

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly scheduler: Scheduler = realScheduler,
  ) {}

  get failures(): number {
    return this.count;
  }

  /** The wait before the next start: 0 without failures, then min, 2·min, 4·min ... up to max. */
  get delay(): number {
    if (this.count === 0) return 0;
    return Math.min(this.opts.maxDelay, this.opts.minDelay * 2 ** Math.min(30, this.count - 1));
  }

  get waiting(): boolean {
    return this.timer !== null;
  }

  state(): BackoffState {
    return { failures: this.count, delay: this.delay, waiting: this.waiting };
  }

  /** A worker could not start. */
  startFailed(): void {
    this.count++;
  }

  /**
   * A worker left the pool (died or retired). `answered`: it finished at least one request; `bornAt`: ms timestamp.
   * Returns true when the exit counted as a failure.
   */
  workerExited(answered: boolean, bornAt: number): boolean {
    if (answered || this.scheduler.now() - bornAt >= this.opts.healthyLife) {
      this.count = 0;
      return false;
    }
    this.count++;
    return true;
  }

  /** A worker answered a request: the series is over. */
  succeeded(): void {
    this.count = 0;
  }

  /** Runs `fn` once after the current delay, unless a run is already scheduled. */
  schedule(fn: () => void): void {
    if (this.timer !== null) return;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = null;
      fn();
    }, this.delay);
  }

  /** Forgets the failures and any scheduled start (reset, destroy). */
  clear(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    this.count = 0;
  }
}
