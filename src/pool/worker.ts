/**
 * One PHP worker process (roadrunner-protocol.md §2): spawned in its own process group (child.ts), started by the
 * PID handshake on its WorkerLink (boot.ts), one request at a time (exchange.ts) or more written ahead (in-flight.ts),
 * graceful stop (control.ts) and hard kill. Only this module moves the worker's state (state.ts). A failure is
 * reported exactly once (failure-report.ts), with the exit code/signal, the frame error and what the worker printed.
 */
import { CONTROL, encodePayloadFrame, type Frame } from '../goridge/frame.js';
import { FrameError } from '../goridge/reader.js';
import { WorkerBoot } from './boot.js';
import { controlFrameError, stopGracefully } from './control.js';
import { Exchange, type ExchangeHost, type FailOptions } from './exchange.js';
import { FailureReport } from './failure-report.js';
import { InFlight } from './in-flight.js';
import { WorkerChild } from './child.js';
import type { ExitInfo } from './failure.js';
import type { HandshakeReply } from './handshake.js';
import type { WorkerLink } from './ipc.js';
import type { LaunchOptions, WorkerSpawnOptions } from './launcher.js';
import { processInfo, readRss } from './procfs.js';
import type { Relay, RelayListener } from './relay.js';
import { WorkerLifecycle, WorkerState, type RetireReason } from './state.js';
import { PoolError, type ExecOptions, type Log, type Payload, type WorkerInfo, type WorkerResponse } from './types.js';

export { WorkerStartError, type ExitInfo } from './failure.js';
export type { LaunchOptions, WorkerSpawnOptions } from './launcher.js';

export class WorkerProcess implements RelayListener, ExchangeHost {
  readonly pid: number;
  /** ms since epoch. */
  readonly createdAt = Date.now();
  readonly exited: Promise<ExitInfo>;
  /** Resolves once the PID handshake is done (bounded by allocate_timeout); rejects with WorkerStartError. */
  readonly booted: Promise<WorkerProcess>;

  private readonly lifecycle = new WorkerLifecycle();
  private execs = 0;
  private used = 0;
  private readonly maxExecs: number;
  private readonly onLeave: ((w: WorkerProcess) => void) | undefined;
  private readonly child: WorkerChild;
  private relay: Relay | null;
  private failing = false;
  private stopRequested = false;
  private readonly boot: WorkerBoot<WorkerProcess>;
  private readonly failure: FailureReport;
  private readonly requests: InFlight;
  /** The worker said in its handshake that it can take requests written ahead (Burner's SDK). */
  private takesAhead = false;
  /** It said it is leaving (onControl): nothing more is written to it but its stop. */
  private leaving = false;

  /** Spawns a worker; `booted` tells when it is ready. Throws WorkerStartError when spawn() itself throws. */
  static launch(opts: WorkerSpawnOptions, link: WorkerLink, launch: LaunchOptions = {}): WorkerProcess {
    return new WorkerProcess(opts, link, launch);
  }

  private constructor(
    private readonly opts: WorkerSpawnOptions,
    link: WorkerLink,
    launch: LaunchOptions,
  ) {
    this.maxExecs = launch.maxExecs ?? Infinity;
    this.onLeave = launch.onLeave;
    this.requests = new InFlight(opts.pipelineMaxAhead, opts.pipelineWindowMs);
    this.child = new WorkerChild(opts.command, opts, link, {
      onError: (err) => this.fail(`worker process error: ${err.message}`),
      onExit: () => this.onExit(),
    });
    this.pid = this.child.pid;
    this.exited = this.child.exited;
    this.relay = this.child.relay;
    this.boot = new WorkerBoot(link, opts.allocateTimeout);
    this.booted = this.boot.promise;
    this.failure = new FailureReport(this.child, this.boot, this.requests, opts.log, {
      stopRequested: () => this.stopRequested,
      dead: () => launch.onDead?.(this),
    });
    this.boot.start(this.child, {
      ready: (relay, reply) => this.ready(relay, reply),
      failed: (reason, o) => this.fail(reason, o),
    });
  }

  get log(): Log {
    return this.opts.log;
  }

  get state(): WorkerState {
    return this.lifecycle.state;
  }

  /** A retirement asked for while busy waits for the end of the current request. */
  get retiring(): boolean {
    return this.lifecycle.retiring;
  }

  get numExecs(): number {
    return this.execs;
  }

  /** ms since epoch of the end of the last request (0 = never answered one). */
  get lastUsed(): number {
    return this.used;
  }

  get command(): string {
    return this.opts.command.join(' ');
  }

  get alive(): boolean {
    return this.child.exit === null;
  }

  /**
   * Runs one request: on a ready worker at once; on a busy one that `canWriteAhead` (http.pool.pipelining), the frame
   * is written now and the worker reads it when it has answered the requests in front (in-flight.ts limits how many).
   */
  exec(payload: Payload, options?: ExecOptions): Promise<WorkerResponse> {
    const relay = this.relay;
    // Not canWriteAhead: its pace and time limits may have moved on since the pool asked it a moment ago; only what
    // makes a request written ahead unsafe counts here.
    const ahead = this.lifecycle.state === WorkerState.Working && this.safeToWriteAhead;
    if ((this.lifecycle.state !== WorkerState.Ready && !ahead) || relay === null || this.failing) {
      return Promise.reject(new PoolError('Network', `worker ${this.pid} is not ready (${this.lifecycle.name})`));
    }
    this.execs++;
    const exchange = new Exchange(this, options, this.opts, this.requests.onAbort);
    if (ahead) this.requests.writeAhead(exchange);
    else {
      this.lifecycle.to(WorkerState.Working);
      this.requests.begin(exchange);
    }
    relay.write(payload.frame ?? encodePayloadFrame(payload.codec, payload.context, payload.body));
    return exchange.promise;
  }

  /** The pool may write a request ahead now: it is safe, and there is room by the worker's pace (in-flight.ts). */
  get canWriteAhead(): boolean {
    return this.lifecycle.state === WorkerState.Working && this.safeToWriteAhead && this.requests.hasRoom;
  }

  /**
   * Busy with a request that is not a stream, and nothing that would end the worker after its requests (retirement,
   * max_jobs, a stop, leaving): a request written now will be read and answered by this process.
   */
  private get safeToWriteAhead(): boolean {
    const current = this.requests.current;
    return (
      this.takesAhead &&
      !this.leaving &&
      current !== null &&
      !this.lifecycle.retiring &&
      !current.streamed &&
      !this.failing &&
      !this.stopRequested &&
      this.execs < this.maxExecs
    );
  }

  /** Sequence number of the moment this worker began its current request (higher = began later). */
  get busySince(): number {
    return this.requests.busySince;
  }

  /**
   * The pool retires this worker (supervisor limits). Idle: it moves to `reason` now and the pool stops it (true).
   * Busy: it moves there when the current request ends, and the pool stops it on release (false).
   */
  retire(reason: RetireReason): boolean {
    return this.lifecycle.retire(reason);
  }

  /** Graceful stop: `{"stop":true}`, then SIGKILL to the group after `timeout` ms. Resolves when the process is gone. */
  async stop(timeout: number, finalState: WorkerState.Stopped | WorkerState.Destroyed = WorkerState.Stopped): Promise<void> {
    if (this.boot.pending && this.lifecycle.state === WorkerState.Inactive) {
      this.stopRequested = true; // still starting: there is nothing to finish
      this.fail('the pool stopped the worker while it was starting', { killNow: true });
    }
    if (this.child.exit === null && !this.stopRequested) {
      this.stopRequested = true;
      if (!this.failing && this.requests.current === null) this.lifecycle.to(WorkerState.Stopping);
      await stopGracefully(this.child, this.relay, timeout, this.opts.log);
    }
    await this.exited;
    this.relay?.close();
    if (!this.failing) this.lifecycle.to(finalState);
  }

  /** Hard kill of the whole process group. */
  kill(): void {
    this.child.kill();
  }

  /** The informer.Workers view (RSS and CPU from /proc). */
  info(): Promise<WorkerInfo> {
    return processInfo(this);
  }

  rss(): Promise<number> {
    return readRss(this.pid);
  }

  /** The last lines the worker wrote to stderr (and stdout in socket mode). */
  outputTail(): string {
    return this.child.outputTail();
  }

  // ---- relay and exchange events ----

  onFrame(frame: Frame): void {
    if ((frame.flags & CONTROL) !== 0 && this.takesAhead) {
      this.onControl(frame);
      return;
    }
    const exchange = this.requests.current;
    if (exchange !== null) {
      exchange.onFrame(frame);
      return;
    }
    if (this.stopRequested) return; // late frames of a worker being stopped
    this.fail(`unexpected frame from an idle worker (flags 0x${frame.flags.toString(16)}, ${frame.payload.length} bytes)`);
  }

  onRelayError(err: Error): void {
    if (err instanceof FrameError) this.fail(err.message, { quoteFrame: true });
    else this.fail(`relay error: ${err.message}`);
  }

  onRelayEnd(): void {
    try {
      this.relay?.reader.end();
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    if (this.stopRequested && this.requests.current === null) return;
    this.fail('the worker closed its relay (EOF)');
  }

  send(frame: Buffer): void {
    this.relay?.write(frame);
  }

  get hasRequestAhead(): boolean {
    return this.requests.hasAhead;
  }

  pauseOutput(paused: boolean): void {
    this.relay?.setPaused(paused);
  }

  exchangeEnded(stopAsked: boolean): void {
    this.used = Date.now();
    if (stopAsked) {
      this.requests.clear();
      this.requests.dropAhead(this.pid); // it stops without reading it
    } else if (this.requests.advance() !== null) return; // straight on to the request written ahead: still working
    this.lifecycle.requestEnded(
      stopAsked ? 'stop-asked' : this.stopRequested ? 'stopping' : this.execs >= this.maxExecs ? 'last-job' : 'answered',
    );
  }

  exchangeBroken(reason: string, opts?: FailOptions): void {
    this.fail(reason, opts);
  }

  // ---- internals ----

  /** Burner's SDK says it is leaving (control.ts): its owner retires it. */
  private onControl(frame: Frame): void {
    const error = controlFrameError(frame);
    if (error !== null) this.fail(error);
    else {
      this.leaving = true;
      this.onLeave?.(this);
    }
  }

  private ready(relay: Relay, reply: HandshakeReply): void {
    if (!this.boot.pending || this.failing || this.child.exit !== null) {
      if (relay !== this.relay) relay.close(); // a socket that connected too late
      return;
    }
    this.relay = relay;
    relay.attach(this);
    this.lifecycle.to(WorkerState.Ready);
    this.takesAhead = reply.pipelining;
    this.opts.log.debug({ pid: this.pid, reported: reply.pid, pipelining: reply.pipelining }, 'worker ready');
    this.boot.resolve(this);
  }

  /**
   * A network-class failure (or exec_ttl): the state moves now, once; failure-report.ts kills the process group and
   * rejects the pending start/request with the full story after the worker had a moment to explain itself.
   */
  private fail(reason: string, o: FailOptions = {}): void {
    if (this.failing) return;
    this.failing = true;
    const kind = o.kind ?? 'Network';
    this.lifecycle.to(kind === 'ExecTTL' ? WorkerState.ExecTTLReached : WorkerState.Errored);
    this.failure.report(this.relay, reason, kind, o);
  }

  private onExit(): void {
    this.relay?.exited();
    if (this.stopRequested && this.requests.current === null && !this.boot.pending) return;
    // Pipes usually report EOF first; sockets may not. Either way, the first report wins.
    setImmediate(() => {
      if (this.stopRequested && this.requests.current === null && !this.boot.pending) return;
      this.fail(this.boot.pending ? 'the worker exited before the handshake' : 'the worker process exited');
    });
  }
}
