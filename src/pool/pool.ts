/**
 * The static worker pool (roadrunner-protocol.md §4): a FIFO of idle workers, a fair FIFO of waiting requests,
 * allocate_timeout, max_queue_size, max_jobs with jitter, debug mode, supervisor, boot-failure backoff, reset and destroy.
 */
import os from 'node:os';
import { randomInt } from 'node:crypto';
import { WorkerProcess, WorkerStartError, WorkerStopRequest, type WorkerSpawnOptions } from './process.js';
import { Fifo } from './queue.js';
import { createWorkerPipes, destroyWorkerPipes, fifosUnavailable, type WorkerPipes } from './pipes.js';
import { SocketRelayServer, isSocketRelay } from './relay.js';
import { Supervisor, type Supervised } from './supervisor.js';
import { RespawnBackoff, type BackoffState } from './backoff.js';
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

/** How many rounds of failed starts (with no worker up) make createPool give up. */
const BOOT_ATTEMPTS = 3;
const BOOT_RETRY_DELAY = 100;

interface Waiter {
  resolve: (w: WorkerProcess) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  done: boolean;
}

/** Creates the pool and starts its workers. Rejects with a clear error when no worker can start at all. */
export async function createPool(options: PoolOptions, log: Log): Promise<WorkerPool> {
  const pool = new StaticPool(options, log);
  await pool.start();
  return pool;
}

export class StaticPool implements WorkerPool, Supervised {
  /** Booted workers the pool owns (idle or busy). */
  private readonly active = new Set<WorkerProcess>();
  /** Every live process, including booting and stopping ones (destroy waits for all of them). */
  private readonly processes = new Set<WorkerProcess>();
  private readonly idle = new Fifo<WorkerProcess>();
  private readonly waiters = new Fifo<Waiter>();
  private readonly target: number;
  private readonly supervisor: Supervisor | undefined;
  private socketServer: SocketRelayServer | undefined;
  private spawnOptions!: WorkerSpawnOptions;
  private spawning = 0;
  /** The pipes relay uses OS pipes until making them fails once. */
  private fifoPipes = true;
  /** Workers running a request. */
  private busy = 0;
  /** Requests inside exec(): waiting plus running. */
  private pending = 0;
  private idleWatchers: (() => void)[] = [];
  /** Spaces out starts after failed or early-dead workers. */
  private readonly respawn = new RespawnBackoff();
  private lastStartError: Error | null = null;
  private initializing = false;
  private resetting = false;
  private resetPromise: Promise<void> | null = null;
  private stopped = false;
  private destroyPromise: Promise<void> | null = null;

  constructor(
    private readonly options: PoolOptions,
    private readonly log: Log,
  ) {
    this.target = options.debug ? 0 : options.numWorkers > 0 ? options.numWorkers : os.availableParallelism();
    if (options.supervisor) this.supervisor = new Supervisor(this, options.supervisor, log);
  }

  async start(): Promise<void> {
    const o = this.options;
    if (o.command.length === 0 || !o.command[0]) throw new Error('the worker command is empty (server.command)');
    if (isSocketRelay(o.relay)) {
      this.socketServer = await SocketRelayServer.listen(o.relay, this.log);
      this.socketServer.handshakeTimeout = o.allocateTimeout;
    }
    else if (o.relay !== 'pipes' && o.relay !== '') throw new Error(`invalid relay "${o.relay}": expected pipes, tcp://host:port or unix:///path.sock`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
    if (this.socketServer) env.RR_RELAY = this.socketServer.dsn;
    else env.RR_RELAY ??= 'pipes';
    this.spawnOptions = {
      command: o.command,
      env,
      cwd: o.cwd ?? process.cwd(),
      socketServer: this.socketServer,
      allocateTimeout: o.allocateTimeout,
      streamTimeout: o.streamTimeout,
      execTtl: o.supervisor?.execTtl ?? 0,
      log: this.log,
    };
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
    if (this.target > 0 && this.active.size === 0) {
      await this.destroy();
      throw new Error(
        `no worker could be started (${BOOT_ATTEMPTS} attempts, command: ${o.command.join(' ')}): ${this.lastStartError?.message ?? 'unknown error'}`,
      );
    }
    if (this.active.size < this.target) this.respawn.schedule(this.spawnMissing);
    this.supervisor?.start();
  }

  /** Consecutive failed starts / early deaths and the wait before the next start. */
  respawnState(): BackoffState {
    return this.respawn.state();
  }

  exec(payload: Payload, options?: ExecOptions): Promise<WorkerResponse> {
    if (this.stopped) return Promise.reject(new PoolError('Stopped', 'the worker pool is stopped'));
    const limit = this.options.debug ? 0 : this.options.maxQueueSize; // debug mode forces max_queue_size 0
    if (limit > 0 && this.pending >= limit) {
      return Promise.reject(new PoolError('QueueSize', `max_queue_size (${limit}) reached: ${this.pending} requests waiting or running`));
    }
    this.pending++;
    return this.options.debug ? this.runDebug(payload, options) : this.run(payload, options);
  }

  async workers(): Promise<WorkerInfo[]> {
    if (this.options.debug) return [];
    return Promise.all(Array.from(this.active, (w) => w.info()));
  }

  queueSize(): number {
    return this.pending;
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

  retireWorker(w: WorkerProcess, reason: WorkerState): void {
    if (!this.active.has(w)) return;
    if (w.state === WorkerState.Ready && this.idle.remove(w)) this.retire(w, reason);
    else w.retireAs = reason;
  }

  // ---- requests ----

  private async run(payload: Payload, options: ExecOptions | undefined): Promise<WorkerResponse> {
    try {
      for (;;) {
        const w = this.takeIdle() ?? (await this.waitForWorker());
        // A worker handed over may have been retired in the meantime (supervisor, reset): take another one.
        if (w.state !== WorkerState.Ready || !this.active.has(w)) continue;
        this.busy++;
        try {
          const res = await w.exec(payload, options);
          if (this.respawn.failures !== 0) this.respawn.succeeded();
          return res;
        } catch (err) {
          if (err instanceof WorkerStopRequest) continue; // the worker asked to stop: same request, another worker
          throw err;
        } finally {
          this.busy--;
          this.release(w);
        }
      }
    } finally {
      this.pending--;
    }
  }

  /** Debug mode: a fresh worker per request, stopped after the response. */
  private async runDebug(payload: Payload, options: ExecOptions | undefined): Promise<WorkerResponse> {
    try {
      for (;;) {
        const w = WorkerProcess.launch(this.spawnOptions, await this.workerPipes());
        this.track(w);
        try {
          await w.booted;
        } catch (err) {
          throw new PoolError('Network', (err as Error).message);
        }
        this.busy++;
        try {
          return await w.exec(payload, options);
        } catch (err) {
          if (err instanceof WorkerStopRequest) continue;
          throw err;
        } finally {
          this.busy--;
          this.notifyIdle();
          void w.stop(this.options.destroyTimeout);
        }
      }
    } finally {
      this.pending--;
    }
  }

  private takeIdle(): WorkerProcess | undefined {
    if (this.resetting) return undefined;
    for (let w = this.idle.shift(); w !== undefined; w = this.idle.shift()) {
      if (w.state === WorkerState.Ready && this.active.has(w)) return w;
    }
    return undefined;
  }

  private waitForWorker(): Promise<WorkerProcess> {
    if (this.stopped) return Promise.reject(new PoolError('Stopped', 'the worker pool is stopped'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        done: false,
        timer: setTimeout(() => {
          waiter.done = true;
          this.log.warn({ timeout: this.options.allocateTimeout }, 'no free workers in the pool, wait timeout exceed');
          reject(new PoolError('NoFreeWorkers', `no free workers in the pool: none became free within allocate_timeout (${this.options.allocateTimeout} ms)`));
        }, this.options.allocateTimeout),
      };
      this.waiters.push(waiter);
    });
  }

  /** After an exec: back to the idle FIFO (or straight to the oldest waiter), or retired/replaced. */
  private release(w: WorkerProcess): void {
    this.notifyIdle();
    if (!this.active.has(w)) return; // dead, reset or destroyed meanwhile
    if (w.state === WorkerState.Errored || w.state === WorkerState.ExecTTLReached || !w.alive) {
      this.removeDead(w);
      return;
    }
    if (w.retireAs !== 0) {
      this.retire(w, w.retireAs);
      return;
    }
    if (w.state !== WorkerState.Ready) {
      this.retire(w, w.state); // maxJobsReached, invalid (asked to stop), ...
      return;
    }
    this.offer(w);
  }

  private offer(w: WorkerProcess): void {
    if (!this.resetting && !this.stopped) {
      for (let waiter = this.waiters.shift(); waiter !== undefined; waiter = this.waiters.shift()) {
        if (waiter.done) continue;
        waiter.done = true;
        clearTimeout(waiter.timer);
        waiter.resolve(w);
        return;
      }
    }
    this.idle.push(w);
  }

  private notifyIdle(): void {
    if (this.busy !== 0 || this.idleWatchers.length === 0) return;
    const watchers = this.idleWatchers;
    this.idleWatchers = [];
    for (const f of watchers) f();
  }

  /** Resolves when no worker runs a request, or after `timeout` ms. */
  private waitIdle(timeout: number): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ busy: this.busy }, `workers still busy after ${timeout} ms, stopping them anyway`);
        resolve();
      }, timeout);
      this.idleWatchers.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // ---- worker lifecycle ----

  private track(w: WorkerProcess): void {
    this.processes.add(w);
    void w.exited.then(() => this.processes.delete(w));
  }

  /** Starts one worker; resolves true when it joined the pool. */
  private spawnOne(): Promise<boolean> {
    this.spawning++;
    return this.workerPipes().then((pipes) => {
      if (this.stopped) {
        if (pipes) destroyWorkerPipes(pipes);
        this.spawning--;
        return false;
      }
      let w: WorkerProcess;
      try {
        w = WorkerProcess.launch(this.spawnOptions, pipes);
      } catch (err) {
        // spawn() throws for some errors (EINVAL, ...): a failed start like any other, never a crash.
        return this.startFailed(new WorkerStartError(`cannot run ${JSON.stringify(this.options.command[0])}: ${(err as Error).message}`));
      }
      this.track(w);
      return w.booted.then(
        () => {
          this.spawning--;
          if (this.stopped) {
            void w.stop(this.options.destroyTimeout, WorkerState.Destroyed);
            return false;
          }
          this.adopt(w);
          return true;
        },
        (err: Error) => {
          this.spawning--;
          return this.startFailed(err);
        },
      );
    });
  }

  private startFailed(err: Error): false {
    if (this.stopped) return false;
    this.respawn.startFailed();
    this.lastStartError = err;
    this.log.error({ attempt: this.respawn.failures }, `worker failed to start: ${err.message}`);
    if (!this.initializing) this.respawn.schedule(this.spawnMissing);
    return false;
  }

  /** OS pipes for a worker on the pipes relay; null = socket relay, or socketpairs where FIFOs cannot be made. */
  private async workerPipes(): Promise<WorkerPipes | null> {
    if (this.spawnOptions.socketServer !== undefined || !this.fifoPipes) return null;
    try {
      return await createWorkerPipes();
    } catch (err) {
      // Only a missing mkfifo (or a platform without FIFOs) is for good; anything else (EMFILE, a full /tmp) may pass.
      if (fifosUnavailable(err)) {
        if (!this.fifoPipes) return null; // another start found out at the same time and said so
        this.fifoPipes = false;
        this.log.warn(`cannot create OS pipes for the workers (${(err as Error).message}): the pipes relay uses socketpairs from now on`);
      } else {
        this.log.warn(`cannot create OS pipes for a worker (${(err as Error).message}): this one gets socketpairs`);
      }
      return null;
    }
  }

  private adopt(w: WorkerProcess): void {
    const maxJobs = this.options.maxJobs;
    // 0–14 % jitter so workers started together do not all restart together.
    if (maxJobs > 0) w.maxExecs = maxJobs + Math.floor((maxJobs * randomInt(0, 15)) / 100);
    w.onDead = this.onWorkerDead;
    this.active.add(w);
    this.offer(w);
  }

  private readonly onWorkerDead = (w: WorkerProcess): void => {
    this.removeDead(w);
  };

  private removeDead(w: WorkerProcess): void {
    if (!this.active.delete(w)) return;
    this.idle.remove(w);
    w.kill();
    if (this.respawn.workerExited(w.lastUsed > 0, w.createdAt)) {
      this.log.warn(
        { pid: w.pid, failures: this.respawn.failures },
        `worker ${w.pid} died before answering any request; next start in ${this.respawn.delay} ms`,
      );
    }
    this.ensureWorkers();
  }

  private retire(w: WorkerProcess, reason: WorkerState): void {
    if (!this.active.delete(w)) return;
    this.idle.remove(w);
    w.onDead = undefined;
    w.state = reason;
    this.log.debug({ pid: w.pid, reason: WorkerState[reason] }, 'retiring worker');
    void w.stop(this.options.destroyTimeout);
    this.respawn.workerExited(w.lastUsed > 0, w.createdAt);
    this.ensureWorkers();
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
      await this.waitIdle(this.options.resetTimeout);
      const old = [...this.active];
      this.active.clear();
      this.idle.clear();
      stops = old.map((w) => {
        w.onDead = undefined;
        return w.stop(this.options.destroyTimeout, WorkerState.Destroyed);
      });
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
    for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) {
      if (w.done) continue;
      w.done = true;
      clearTimeout(w.timer);
      w.reject(new PoolError('Stopped', 'the worker pool is stopped'));
    }
    await this.waitIdle(this.options.destroyTimeout);
    this.active.clear();
    this.idle.clear();
    await Promise.all(
      Array.from(this.processes, (w) => {
        w.onDead = undefined;
        return w.stop(this.options.destroyTimeout, WorkerState.Destroyed);
      }),
    );
    await this.socketServer?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
