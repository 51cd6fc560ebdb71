/**
 * The static worker pool (roadrunner-protocol.md §4): who gets a request (dispatch.ts: idle FIFO, waiting requests,
 * pipelining), allocate_timeout, max_queue_size, max_jobs with jitter, supervisor, restart backoff, reset and destroy.
 * Debug mode is its own pool (debug-pool.ts); createPool picks one.
 */
import os from 'node:os';
import { randomInt } from 'node:crypto';
import { RespawnBackoff, type BackoffState } from './backoff.js';
import { BusyCounter } from './busy.js';
import { DebugPool } from './debug-pool.js';
import { Dispatch } from './dispatch.js';
import { RequestNotStarted, WorkerStopRequest } from './exchange.js';
import { WorkerLauncher } from './launcher.js';
import type { RetireReason } from './state.js';
import { Supervisor, type Supervised } from './supervisor.js';
import {
  PoolError,
  WorkerState,
  type ExecOptions,
  type Log,
  type Payload,
  type PoolOptions,
  type WorkerInfo,
  type WorkerPool,
  type WorkerResponse,
} from './types.js';
import { WorkerStartError, type WorkerProcess } from './worker.js';

/** How many rounds of failed starts (with no worker up) make createPool give up. */
const BOOT_ATTEMPTS = 3;
const BOOT_RETRY_DELAY = 100;

/** Creates the pool (static, or debug: a worker per request) and starts it; rejects when no worker can start at all. */
export async function createPool(options: PoolOptions, log: Log): Promise<WorkerPool> {
  const launcher = await WorkerLauncher.open(options, log);
  if (options.debug) return new DebugPool(launcher, options, log);
  const pool = new StaticPool(launcher, options, log);
  await pool.start();
  return pool;
}

export class StaticPool implements WorkerPool, Supervised {
  /** Booted workers the pool owns (idle or busy). */
  private readonly active = new Set<WorkerProcess>();
  private readonly dispatch: Dispatch;
  private readonly target: number;
  private readonly supervisor: Supervisor | undefined;
  private readonly busy: BusyCounter;
  /** Spaces out starts after failed or early-dead workers. */
  private readonly respawn = new RespawnBackoff();
  private spawning = 0;
  /** Requests inside exec(): waiting plus running. */
  private pending = 0;
  private lastStartError: Error | null = null;
  private initializing = false;
  private resetting = false;
  private resetPromise: Promise<void> | null = null;
  private stopped = false;
  private destroyPromise: Promise<void> | null = null;

  constructor(
    private readonly launcher: WorkerLauncher,
    private readonly options: PoolOptions,
    private readonly log: Log,
  ) {
    this.target = options.numWorkers > 0 ? options.numWorkers : os.availableParallelism();
    this.dispatch = new Dispatch(options.pipelining === true, this.active, () => this.resetting || this.stopped);
    this.busy = new BusyCounter(log);
    if (options.supervisor) this.supervisor = new Supervisor(this, options.supervisor, log);
  }

  async start(): Promise<void> {
    this.initializing = true;
    try {
      for (let attempt = 1; attempt <= BOOT_ATTEMPTS && this.active.size < this.target; attempt++) {
        const missing = this.target - this.active.size - this.spawning;
        await Promise.all(Array.from({ length: missing }, () => this.spawnOne()));
        if (this.active.size > 0 || attempt === BOOT_ATTEMPTS) break;
        await sleep(BOOT_RETRY_DELAY * 2 ** (attempt - 1));
      }
    } finally {
      this.initializing = false;
    }
    if (this.active.size === 0) {
      await this.destroy();
      throw new Error(
        `no worker could be started (${BOOT_ATTEMPTS} attempts, command: ${this.options.command.join(' ')}): ${this.lastStartError?.message ?? 'unknown error'}`,
      );
    }
    if (this.active.size < this.target) this.respawn.schedule(this.spawnMissing);
    this.supervisor?.start();
  }

  exec(payload: Payload, options?: ExecOptions): Promise<WorkerResponse> {
    if (this.stopped) return Promise.reject(new PoolError('Stopped', 'the worker pool is stopped'));
    const limit = this.options.maxQueueSize;
    if (limit > 0 && this.pending >= limit) {
      return Promise.reject(new PoolError('QueueSize', `max_queue_size (${limit}) reached: ${this.pending} requests waiting or running`));
    }
    this.pending++;
    return this.run(payload, options);
  }

  workers(): Promise<WorkerInfo[]> {
    return Promise.all(Array.from(this.active, (w) => w.info()));
  }

  queueSize(): number {
    return this.pending;
  }

  /** Consecutive failed starts / early deaths and the wait before the next start. */
  respawnState(): BackoffState {
    return this.respawn.state();
  }

  reset(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.resetPromise ??= this.doReset().finally(() => (this.resetPromise = null));
    return this.resetPromise;
  }

  destroy(): Promise<void> {
    this.destroyPromise ??= this.doDestroy();
    return this.destroyPromise;
  }

  // ---- Supervised ----

  supervisedWorkers(): Iterable<WorkerProcess> {
    return this.active;
  }

  retireWorker(w: WorkerProcess, reason: RetireReason): void {
    if (this.active.has(w) && w.retire(reason)) this.retire(w);
  }

  // ---- requests ----

  private async run(payload: Payload, options: ExecOptions | undefined): Promise<WorkerResponse> {
    try {
      for (;;) {
        const w = this.dispatch.take() ?? (await this.waitForWorker());
        // A worker handed over may have been retired in the meantime (supervisor, reset): take another one.
        if (!this.dispatch.usable(w)) continue;
        this.busy.enter();
        try {
          const answer = w.exec(payload, options);
          this.dispatch.busy(w);
          const res = await answer;
          if (this.respawn.failures !== 0) this.respawn.succeeded();
          return res;
        } catch (err) {
          // The worker asked to stop, or broke before it began a request written ahead: same request, another worker.
          if (err instanceof WorkerStopRequest || err instanceof RequestNotStarted) continue;
          throw err;
        } finally {
          this.busy.leave();
          this.release(w);
        }
      }
    } finally {
      this.pending--;
    }
  }

  private waitForWorker(): Promise<WorkerProcess> {
    if (this.stopped) return Promise.reject(new PoolError('Stopped', 'the worker pool is stopped'));
    const timeout = this.options.allocateTimeout;
    return this.dispatch.wait(timeout, () => {
      this.log.warn({ timeout }, 'no free workers in the pool, wait timeout exceed');
      return new PoolError('NoFreeWorkers', `no free workers in the pool: none became free within allocate_timeout (${timeout} ms)`);
    });
  }

  /** After an exec: back to the idle FIFO (or straight to the oldest waiter), or retired/replaced. */
  private release(w: WorkerProcess): void {
    if (!this.active.has(w)) return; // dead, reset or destroyed meanwhile
    const state = w.state;
    if (state === WorkerState.Errored || state === WorkerState.ExecTTLReached || !w.alive) this.removeDead(w);
    else if (state === WorkerState.Working)
      this.dispatch.busy(w); // it went on to the request written ahead
    else if (state !== WorkerState.Ready)
      this.retire(w); // it moved itself to maxJobsReached, invalid, ttlReached...
    else this.dispatch.free(w);
  }

  // ---- worker lifecycle ----

  /** Starts one worker; resolves true when it joined the pool. */
  private async spawnOne(): Promise<boolean> {
    this.spawning++;
    let w: WorkerProcess;
    try {
      const link = await this.launcher.link();
      if (this.stopped) {
        link.cancel(new Error('the pool stopped'));
        return false;
      }
      // 0–14 % jitter on max_jobs so workers started together do not all restart together.
      const maxJobs = this.options.maxJobs;
      const maxExecs = maxJobs > 0 ? maxJobs + Math.floor((maxJobs * randomInt(0, 15)) / 100) : Infinity;
      w = this.launcher.spawn(link, { maxExecs, onDead: this.onWorkerDead, onLeave: this.onWorkerLeaving });
      await w.booted;
    } catch (err) {
      // spawn() throwing or failing (EMFILE, ENOENT), a crash before the handshake, no handshake in time.
      return this.startFailed(err instanceof WorkerStartError ? err : new WorkerStartError((err as Error).message));
    } finally {
      this.spawning--;
    }
    if (this.stopped) {
      void w.stop(this.options.destroyTimeout, WorkerState.Destroyed);
      return false;
    }
    this.active.add(w);
    this.dispatch.free(w);
    return true;
  }

  private startFailed(err: Error): false {
    if (this.stopped) return false;
    this.respawn.startFailed();
    this.lastStartError = err;
    this.log.error({ attempt: this.respawn.failures }, `worker failed to start: ${err.message}`);
    if (!this.initializing) this.respawn.schedule(this.spawnMissing);
    return false;
  }

  /** Idle: stopped and replaced now; busy: after its current request (which it answers with {"stop":true}). */
  private readonly onWorkerLeaving = (w: WorkerProcess): void => {
    this.retireWorker(w, WorkerState.Invalid);
  };

  private readonly onWorkerDead = (w: WorkerProcess): void => {
    this.removeDead(w);
  };

  private removeDead(w: WorkerProcess): void {
    if (!this.active.delete(w)) return;
    this.dispatch.remove(w);
    w.kill();
    if (this.respawn.workerExited(w.lastUsed > 0, w.createdAt)) {
      this.log.warn(
        { pid: w.pid, failures: this.respawn.failures },
        `worker ${w.pid} died before answering any request; next start in ${this.respawn.delay} ms`,
      );
    }
    void this.ensureWorkers(); // spawnOne never rejects: a failed start is logged and retried
  }

  /** Stops a worker that moved itself to a retiring state (or was told to), and replaces it. */
  private retire(w: WorkerProcess): void {
    if (!this.active.delete(w)) return;
    this.dispatch.remove(w);
    this.log.debug({ pid: w.pid, reason: WorkerState[w.state] }, 'retiring worker');
    void w.stop(this.options.destroyTimeout);
    this.respawn.workerExited(w.lastUsed > 0, w.createdAt);
    void this.ensureWorkers();
  }

  /**
   * Spawns replacements up to num_workers: at once, or after the backoff delay while starts keep failing (so a broken
   * worker never becomes a hot loop). Nothing while stopped or resetting.
   */
  private ensureWorkers(): Promise<boolean>[] {
    if (this.stopped || this.resetting || this.initializing) return [];
    if (this.respawn.failures > 0 || this.respawn.waiting) {
      this.respawn.schedule(this.spawnMissing);
      return [];
    }
    return this.spawnMissing();
  }

  private readonly spawnMissing = (): Promise<boolean>[] => {
    const started: Promise<boolean>[] = [];
    if (this.stopped || this.resetting || this.initializing) return started;
    while (this.active.size + this.spawning < this.target) started.push(this.spawnOne());
    return started;
  };

  private async doReset(): Promise<void> {
    this.resetting = true;
    let stops: Promise<void>[];
    try {
      await this.busy.idle(this.options.resetTimeout);
      const old = [...this.active];
      this.active.clear();
      this.dispatch.clearIdle();
      stops = old.map((w) => w.stop(this.options.destroyTimeout, WorkerState.Destroyed));
    } finally {
      this.resetting = false;
    }
    this.respawn.clear();
    const spawns = this.ensureWorkers();
    await Promise.all([...stops, ...spawns]);
    this.log.info({ workers: this.active.size }, 'pool reset: all workers replaced');
  }

  private async doDestroy(): Promise<void> {
    this.stopped = true;
    this.supervisor?.stop();
    this.respawn.clear();
    this.dispatch.rejectAll(new PoolError('Stopped', 'the worker pool is stopped'));
    await this.busy.idle(this.options.destroyTimeout);
    this.active.clear();
    this.dispatch.clearIdle();
    await this.launcher.close(this.options.destroyTimeout);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
