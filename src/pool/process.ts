/**
 * One PHP worker process (roadrunner-protocol.md §2): spawn in its own process group, PID handshake, one request at a
 * time, streaming with PING/PONG and STOP, graceful stop and hard kill. Network-class failures are reported exactly
 * once, with the exit code/signal, the frame error and what the worker printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  ERROR,
  PING,
  PONG_FRAME,
  STOP_CONTROL_FRAME,
  STREAM,
  STREAM_STOP_FRAME,
  encodePayloadFrame,
  type Frame,
} from '../goridge/frame.js';
import { FrameError } from '../goridge/reader.js';
import { readCpuSeconds, readRss } from './procfs.js';
import { destroyWorkerPipes, releaseChildEnds, type WorkerPipes } from './pipes.js';
import { Relay, SocketRelayServer, parsePidReply, pidRequestFrame, type RelayListener } from './relay.js';
import { PoolError, WorkerState, type ExecOptions, type Log, type Payload, type PoolErrorKind, type WorkerInfo, type WorkerResponse } from './types.js';

export const STATE_NAMES: Record<WorkerState, string> = {
  [WorkerState.Inactive]: 'inactive',
  [WorkerState.Ready]: 'ready',
  [WorkerState.Working]: 'working',
  [WorkerState.Invalid]: 'invalid',
  [WorkerState.Stopping]: 'stopping',
  [WorkerState.Stopped]: 'stopped',
  [WorkerState.Destroyed]: 'destroyed',
  [WorkerState.MaxJobsReached]: 'maxJobsReached',
  [WorkerState.Errored]: 'errored',
  [WorkerState.IdleTTLReached]: 'idleTTLReached',
  [WorkerState.TTLReached]: 'ttlReached',
  [WorkerState.MaxMemoryReached]: 'maxMemoryReached',
  [WorkerState.ExecTTLReached]: 'execTTLReached',
};

/** The worker asked to stop (`{"stop":true}` header, empty body): the pool retries the request elsewhere. */
export class WorkerStopRequest extends Error {
  constructor() {
    super('worker asked to stop');
  }
}

/** The worker could not be started (spawn error, early exit, stray output, no handshake in time). */
export class WorkerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

export interface WorkerSpawnOptions {
  command: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** undefined = pipes. */
  socketServer: SocketRelayServer | undefined;
  allocateTimeout: number;
  streamTimeout: number;
  /** Per-exec hard limit (0 = none). */
  execTtl: number;
  log: Log;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const STOP_JSON = Buffer.from('{"stop":true}');
const TAIL_LINES = 30;
/** How long a broken worker gets to print the rest of its message / exit, so the error can quote it. */
const DIAGNOSE_MS = 300;

export class WorkerProcess implements RelayListener {
  readonly pid: number;
  state: WorkerState = WorkerState.Inactive;
  numExecs = 0;
  /** ms since epoch. */
  readonly createdAt = Date.now();
  /** ms since epoch of the end of the last exec (0 = never used). */
  lastUsed = 0;
  /** Executions after which the worker is retired (max_jobs + jitter; Infinity = no limit). */
  maxExecs = Infinity;
  /** Set by the supervisor for a busy worker: retire it with this state once the current request is done. */
  retireAs: WorkerState | 0 = 0;
  /** Called once when the worker breaks or exits unexpectedly (not for a stop the owner asked for). */
  onDead: ((w: WorkerProcess) => void) | undefined;
  readonly exited: Promise<ExitInfo>;

  private readonly child: ChildProcess;
  private readonly opts: WorkerSpawnOptions;
  private relay: Relay | null = null;
  private exit: ExitInfo | null = null;
  private resolveExited!: (e: ExitInfo) => void;
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';
  private spawnError: Error | null = null;
  private failing = false;
  private stopRequested = false;
  private killed = false;

  // boot
  private bootResolve: ((w: WorkerProcess) => void) | null = null;
  private bootReject: ((e: Error) => void) | null = null;
  private bootTimer: NodeJS.Timeout | null = null;

  // the request in flight
  private execResolve: ((r: WorkerResponse) => void) | null = null;
  private execReject: ((e: Error) => void) | null = null;
  private execOptions: ExecOptions | undefined;
  private execTimer: NodeJS.Timeout | null = null;
  private streamTimer: NodeJS.Timeout | null = null;
  private streaming = false;
  private streamStopping = false;
  private abortRequested = false;
  private readonly onAbort = (): void => {
    if (this.streaming) this.stopStream();
    else this.abortRequested = true;
  };

  private constructor(opts: WorkerSpawnOptions, fifo: WorkerPipes | null) {
    this.opts = opts;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    const pipes = opts.socketServer === undefined;
    try {
      this.child = spawn(opts.command[0]!, opts.command.slice(1), {
        env: opts.env,
        cwd: opts.cwd,
        detached: true, // own process group: Ctrl-C on the terminal does not hit workers; kill() takes the whole group
        stdio: !pipes ? ['ignore', 'pipe', 'pipe'] : fifo ? [fifo.childIn, fifo.childOut, 'pipe'] : ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      if (fifo) destroyWorkerPipes(fifo);
      throw err;
    }
    if (fifo) releaseChildEnds(fifo);
    this.pid = this.child.pid ?? 0;
    this.child.on('error', (err) => {
      this.spawnError = err;
      if (this.pid === 0) this.onExit(null, null);
      else this.fail(`worker process error: ${err.message}`);
    });
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
    if (!this.child.stderr) {
      // spawn() failed before the stdio pipes existed (EMFILE/ENFILE): 'error' follows and fails the start.
      if (fifo) {
        fifo.toWorker.destroy();
        fifo.fromWorker.destroy();
      }
      this.booted = this.boot();
      this.booted.catch(() => undefined);
      return;
    }
    this.child.stderr.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => this.onOutput(s));
    this.child.stderr!.on('end', () => this.flushOutput());
    if (fifo) {
      this.relay = new Relay(fifo.fromWorker, fifo.toWorker, true);
      this.relay.attach(this);
    } else if (pipes) {
      this.child.stdin!.on('error', () => undefined); // EPIPE after a crash: reported through EOF/exit instead
      this.relay = new Relay(this.child.stdout!, this.child.stdin!);
      this.relay.attach(this);
    } else {
      // stdout is not the relay in socket mode: whatever PHP prints there is logged like stderr.
      this.child.stdout!.setEncoding('utf8');
      this.child.stdout!.on('data', (s: string) => this.onOutput(s));
    }
    this.booted = this.boot();
    this.booted.catch(() => undefined); // the owner handles it; avoid an unhandled rejection when it does not wait
  }

  /** Resolves once the PID handshake is done (bounded by allocate_timeout); rejects with WorkerStartError. */
  readonly booted: Promise<WorkerProcess>;

  /** Starts a worker process; `booted` tells when it is ready. The object exists at once, so it can be killed while booting. */
  static launch(opts: WorkerSpawnOptions, pipes: WorkerPipes | null = null): WorkerProcess {
    return new WorkerProcess(opts, pipes);
  }

  get command(): string {
    return this.opts.command.join(' ');
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** Runs one request. Only one at a time; the pool guarantees the worker is Ready. */
  exec(payload: Payload, options?: ExecOptions): Promise<WorkerResponse> {
    const relay = this.relay;
    if (this.state !== WorkerState.Ready || relay === null || this.failing) {
      return Promise.reject(new PoolError('Network', `worker ${this.pid} is not ready (${STATE_NAMES[this.state]})`));
    }
    this.state = WorkerState.Working;
    this.numExecs++;
    this.streaming = false;
    this.streamStopping = false;
    this.abortRequested = false;
    this.execOptions = options;
    const signal = options?.signal;
    if (signal) {
      if (signal.aborted) this.abortRequested = true;
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
    const p = new Promise<WorkerResponse>((resolve, reject) => {
      this.execResolve = resolve;
      this.execReject = reject;
    });
    if (this.opts.execTtl > 0) this.execTimer = setTimeout(this.onExecTtl, this.opts.execTtl);
    relay.write(encodePayloadFrame(payload.codec, payload.context, payload.body));
    return p;
  }

  /** Graceful stop: `{"stop":true}`, then SIGKILL to the group after `timeout` ms. Resolves when the process is gone. */
  async stop(timeout: number, finalState: WorkerState = WorkerState.Stopped): Promise<void> {
    if (this.state === WorkerState.Inactive && this.bootReject !== null) {
      // Still booting: there is nothing to finish.
      this.stopRequested = true;
      this.fail('the pool stopped the worker while it was starting', 'Network', false, true);
    }
    if (this.exit === null && !this.stopRequested) {
      this.stopRequested = true;
      if (!this.failing && this.execResolve === null) this.state = WorkerState.Stopping;
      this.relay?.write(STOP_CONTROL_FRAME);
      const timer = setTimeout(() => {
        this.opts.log.warn({ pid: this.pid }, `worker did not stop within ${timeout} ms, killing it`);
        this.kill();
      }, timeout);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
    this.relay?.close();
    if (!this.failing) this.state = finalState;
  }

  /** Hard kill of the whole process group. */
  kill(): void {
    if (this.exit !== null || this.pid === 0) return;
    this.killed = true;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  async info(): Promise<WorkerInfo> {
    const [rss, cpu] = this.exit === null ? await Promise.all([readRss(this.pid), readCpuSeconds(this.pid)]) : [0, 0];
    const age = (Date.now() - this.createdAt) / 1000;
    return {
      pid: this.pid,
      status: this.state,
      numExecs: this.numExecs,
      created: this.createdAt * 1e6,
      memoryUsage: rss,
      CPUPercent: age > 0 ? (cpu / age) * 100 : 0,
      command: this.command,
      statusStr: STATE_NAMES[this.state],
    };
  }

  rss(): Promise<number> {
    return readRss(this.pid);
  }

  /** The last lines the worker wrote to stderr (and stdout in socket mode). */
  outputTail(): string {
    return this.stderrTail.join('\n');
  }

  // ---- relay events ----

  onFrame(frame: Frame): void {
    if (this.state === WorkerState.Inactive) {
      this.onHandshake(frame);
      return;
    }
    if (this.execResolve === null) {
      if (this.stopRequested) return; // late frames of a worker being stopped
      this.fail(`unexpected frame from an idle worker (flags 0x${frame.flags.toString(16)}, ${frame.payload.length} bytes)`);
      return;
    }
    if ((frame.flags & ERROR) !== 0) {
      const message = frame.payload.toString('utf8');
      this.finishExec();
      this.execReject!(new PoolError('SoftJob', message));
      this.clearExec();
      return;
    }
    if (frame.options.length !== 1) {
      this.finishExec();
      this.execReject!(new PoolError('Decode', `options length should be equal 1 (body offset), got ${frame.options.length}`));
      this.clearExec();
      this.fail('protocol error: response frame without exactly one option');
      return;
    }
    const ctxLen = frame.options[0]!;
    const payload = frame.payload;
    if (ctxLen > payload.length) {
      this.fail(`bad payload: context length ${ctxLen} exceeds the payload length ${payload.length}`);
      return;
    }
    const context = payload.subarray(0, ctxLen);
    const body = payload.subarray(ctxLen);
    if (!this.streaming && body.length === 0 && ctxLen === STOP_JSON.length && context.equals(STOP_JSON)) {
      this.retireAs = WorkerState.Invalid;
      this.finishExec();
      this.execReject!(new WorkerStopRequest());
      this.clearExec();
      return;
    }
    // No PONG once STOP is sent: the worker reads STOP as its answer, a late PONG would be left in its input.
    if ((frame.stream & PING) !== 0 && !this.streamStopping) this.relay!.write(PONG_FRAME);
    const response: WorkerResponse = { flags: frame.flags, context, body, stream: (frame.stream & STREAM) !== 0 };
    if (response.stream) {
      if (!this.streaming) {
        this.streaming = true;
        if (this.abortRequested) this.stopStream();
      }
      if (this.execTimer !== null) this.execTimer.refresh(); // exec_ttl bounds each chunk wait
      if (!this.streamStopping) {
        try {
          this.execOptions?.onChunk?.(response);
        } catch (err) {
          this.opts.log.error({ pid: this.pid, err }, 'stream chunk handler failed');
        }
      }
      return;
    }
    this.finishExec();
    this.execResolve(response);
    this.clearExec();
  }

  onRelayError(err: Error): void {
    if (err instanceof FrameError) {
      this.fail(err.message, 'Network', true);
      return;
    }
    this.fail(`relay error: ${err.message}`);
  }

  onRelayEnd(): void {
    try {
      this.relay?.reader.end();
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    if (this.stopRequested && this.execResolve === null) return;
    this.fail(this.bootReject ? 'the worker exited before the handshake' : 'the worker closed its relay (EOF)');
  }

  // ---- internals ----

  private boot(): Promise<WorkerProcess> {
    return new Promise((resolve, reject) => {
      this.bootResolve = resolve;
      this.bootReject = reject;
      this.bootTimer = setTimeout(() => {
        this.bootTimer = null;
        const server = this.opts.socketServer;
        const what = server
          ? `the worker did not connect to ${server.dsn} and report its PID ${this.pid} (a wrapper such as "sh -c php ..." reports another PID and never matches)`
          : 'the worker did not answer the PID request';
        this.fail(
          `no handshake within allocate_timeout (${this.opts.allocateTimeout} ms): ${what}; ` +
            'possible reasons: https://docs.roadrunner.dev/error-codes/allocate-timeout',
          'Network',
          false,
          true,
        );
      }, this.opts.allocateTimeout);
      if (this.pid === 0) return; // spawn error arrives through 'error'
      const server = this.opts.socketServer;
      if (server) {
        server.expect(this.pid).then(
          (relay) => {
            if (this.failing || this.exit !== null) {
              relay.close();
              return;
            }
            this.relay = relay;
            relay.attach(this);
            this.ready();
          },
          () => undefined,
        );
      } else {
        this.relay!.write(pidRequestFrame());
      }
    });
  }

  private onHandshake(frame: Frame): void {
    let pid: number;
    try {
      pid = parsePidReply(frame);
    } catch (err) {
      this.fail(`handshake failed: ${(err as Error).message}`);
      return;
    }
    this.opts.log.debug({ pid: this.pid, reported: pid }, 'worker ready');
    this.ready();
  }

  private ready(): void {
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.bootTimer = null;
    this.state = WorkerState.Ready;
    const resolve = this.bootResolve;
    this.bootResolve = this.bootReject = null;
    resolve?.(this);
  }

  private readonly onExecTtl = (): void => {
    this.execTimer = null;
    this.state = WorkerState.ExecTTLReached;
    this.fail(`worker ${this.pid} exceeded exec_ttl (${this.opts.execTtl} ms) and was killed`, 'ExecTTL');
  };

  private stopStream(): void {
    if (this.streamStopping) return;
    this.streamStopping = true;
    this.relay?.write(STREAM_STOP_FRAME);
    this.streamTimer = setTimeout(() => {
      this.streamTimer = null;
      this.fail(`the worker did not end the stream within stream_timeout (${this.opts.streamTimeout} ms) after STOP`, 'Network', false, true);
    }, this.opts.streamTimeout);
  }

  /** The request is over (whatever the outcome): timers off, state back to Ready unless something else decided. */
  private finishExec(): void {
    if (this.execTimer !== null) clearTimeout(this.execTimer);
    if (this.streamTimer !== null) clearTimeout(this.streamTimer);
    this.execTimer = this.streamTimer = null;
    this.execOptions?.signal?.removeEventListener('abort', this.onAbort);
    this.lastUsed = Date.now();
    if (this.state === WorkerState.Working) {
      if (this.stopRequested) this.state = WorkerState.Stopping;
      else if (this.numExecs >= this.maxExecs) this.state = WorkerState.MaxJobsReached;
      else this.state = WorkerState.Ready;
    }
  }

  private clearExec(): void {
    this.execResolve = null;
    this.execReject = null;
    this.execOptions = undefined;
  }

  /**
   * A network-class failure (or exec_ttl): reported once. The worker gets a moment to exit or print the rest of its
   * message, then its process group is killed and the pending boot/exec is rejected with the full story.
   */
  private fail(reason: string, kind: PoolErrorKind = 'Network', frameError = false, killNow = false): void {
    if (this.failing) return;
    this.failing = true;
    if (this.state !== WorkerState.ExecTTLReached) this.state = WorkerState.Errored;
    if (this.execTimer !== null) clearTimeout(this.execTimer);
    if (this.streamTimer !== null) clearTimeout(this.streamTimer);
    this.execTimer = this.streamTimer = null;
    this.execOptions?.signal?.removeEventListener('abort', this.onAbort);
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.bootTimer = null;
    if (this.opts.socketServer && this.bootReject) this.opts.socketServer.cancel(this.pid, new Error(reason));

    if (killNow || kind === 'ExecTTL') this.kill();
    const settle = (): void => {
      this.kill();
      let message = reason;
      if (frameError && this.relay) message = this.relay.reader.error().message;
      message += this.describeExit();
      const tail = this.outputTail();
      if (tail && kind !== 'ExecTTL') message += `; worker output: ${tail.slice(-2000)}`;
      const bootReject = this.bootReject;
      const execReject = this.execReject;
      this.bootResolve = this.bootReject = null;
      this.clearExec();
      if (bootReject) {
        bootReject(new WorkerStartError(message));
        return;
      }
      if (execReject) execReject(new PoolError(kind, message));
      else if (!this.stopRequested) this.opts.log.warn({ pid: this.pid }, `worker failed: ${message}`);
      this.onDead?.(this);
    };
    if (kind === 'ExecTTL' && this.execReject) {
      // exec_ttl is a deadline: answer now, do not wait for the kill to be observed.
      const reject = this.execReject;
      this.clearExec();
      reject(new PoolError('ExecTTL', reason));
      this.onDead?.(this);
      return;
    }
    if (this.exit !== null) {
      setImmediate(settle);
      return;
    }
    const timer = setTimeout(settle, DIAGNOSE_MS);
    void this.exited.then(() => {
      clearTimeout(timer);
      // Let the last stderr/stdout chunks be read before quoting them.
      setTimeout(settle, 20);
    });
  }

  private describeExit(): string {
    if (this.spawnError) return `; cannot run ${JSON.stringify(this.opts.command[0])}: ${this.spawnError.message}`;
    const e = this.exit;
    if (e === null) return `; worker pid ${this.pid} killed`;
    if (e.signal) return `; worker pid ${this.pid} ${this.killed ? 'killed' : `terminated by signal ${e.signal}`}`;
    return `; worker pid ${this.pid} exited with code ${e.code}`;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exit !== null) return;
    this.exit = { code, signal };
    this.relay?.exited();
    this.resolveExited(this.exit);
    if (this.stopRequested && this.execResolve === null && this.bootReject === null) return;
    // Pipes usually report EOF first; sockets may not. Either way, the first report wins.
    setImmediate(() => {
      if (this.stopRequested && this.execResolve === null && this.bootReject === null) return;
      const why = this.bootReject ? 'the worker exited before the handshake' : 'the worker process exited';
      this.fail(why);
    });
  }

  private onOutput(s: string): void {
    const text = this.stderrPartial + s;
    const lines = text.split('\n');
    this.stderrPartial = lines.pop()!;
    if (this.stderrPartial.length > 65536) {
      lines.push(this.stderrPartial);
      this.stderrPartial = '';
    }
    for (const line of lines) this.logLine(line);
  }

  private flushOutput(): void {
    if (this.stderrPartial !== '') this.logLine(this.stderrPartial);
    this.stderrPartial = '';
  }

  private logLine(line: string): void {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') return;
    this.opts.log.info({ pid: this.pid }, line);
    this.stderrTail.push(line.length > 1000 ? `${line.slice(0, 1000)}...` : line);
    if (this.stderrTail.length > TAIL_LINES) this.stderrTail.shift();
  }
}
