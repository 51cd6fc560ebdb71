/**
 * What both pools share to start workers: the command, environment and limits of a worker, the IPC strategy, and the
 * set of live processes (destroy waits for every one, booting and stopping ones included).
 */
import { openIpc, type Ipc, type WorkerLink } from './ipc.js';
import { WorkerState } from './state.js';
import type { Log, PoolOptions } from './types.js';
import { WorkerProcess } from './worker.js';

export interface WorkerSpawnOptions {
  command: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  allocateTimeout: number;
  streamTimeout: number;
  /** Per-exec hard limit (0 = none). */
  execTtl: number;
  /** http.pool.pipelining's limits (in-flight.ts; defaults MAX_AHEAD, WINDOW_MS). */
  pipelineMaxAhead?: number;
  pipelineWindowMs?: number;
  log: Log;
}

export interface LaunchOptions {
  /** Executions after which the worker retires (max_jobs + jitter; default: no limit). */
  maxExecs?: number;
  /** Called once when the worker breaks or exits unexpectedly (not for a stop the owner asked for). */
  onDead?: (w: WorkerProcess) => void;
  /** Called when the worker says it is leaving (Burner's SDK, its script ended): the owner retires it. */
  onLeave?: (w: WorkerProcess) => void;
}

export class WorkerLauncher {
  private readonly live = new Set<WorkerProcess>();

  private constructor(
    private readonly ipc: Ipc,
    private readonly spawnOptions: WorkerSpawnOptions,
  ) {}

  /** Checks the command and relay, and opens the relay (socket relays listen now). */
  static async open(o: PoolOptions, log: Log): Promise<WorkerLauncher> {
    if (o.command.length === 0 || !o.command[0]) throw new Error('the worker command is empty (server.command)');
    const ipc = await openIpc(o.relay, log, o.allocateTimeout);
    const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
    if (ipc.dsn !== 'pipes') env.RR_RELAY = ipc.dsn;
    else env.RR_RELAY ??= 'pipes';
    return new WorkerLauncher(ipc, {
      command: o.command,
      env,
      cwd: o.cwd ?? process.cwd(),
      allocateTimeout: o.allocateTimeout,
      streamTimeout: o.streamTimeout,
      execTtl: o.supervisor?.execTtl ?? 0,
      pipelineMaxAhead: o.pipelineMaxAhead,
      pipelineWindowMs: o.pipelineWindowMs,
      log,
    });
  }

  /** Prepares one start's connection (FIFO pipes are made here). */
  link(): Promise<WorkerLink> {
    return this.ipc.link();
  }

  /** Spawns on a prepared link; throws WorkerStartError when spawn() itself throws. */
  spawn(link: WorkerLink, launch?: LaunchOptions): WorkerProcess {
    const w = WorkerProcess.launch(this.spawnOptions, link, launch);
    this.live.add(w);
    void w.exited.then(() => this.live.delete(w));
    return w;
  }

  /** Stops every live process (SIGKILL after `timeout`), then closes the relay listener. */
  async close(timeout: number): Promise<void> {
    await Promise.all(Array.from(this.live, (w) => w.stop(timeout, WorkerState.Destroyed)));
    await this.ipc.close();
  }
}
