/**
 * IPC strategies (roadrunner-protocol.md §2.2): how a worker's relay is made. Every strategy gives, per worker start,
 * a WorkerLink: the stdio for spawn(), then the relay and the PID handshake (handshake.ts, the same for all):
 *   - FIFO pipes: the worker's STDIN/STDOUT are OS pipes (pipes.ts) — the `pipes` relay where mkfifo exists;
 *   - socketpair: node's own stdio pipes — the `pipes` relay without mkfifo, or when making FIFOs failed this time;
 *   - TCP / Unix socket: the worker connects back and is matched by the PID it reports (ipc-socket.ts).
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { handshake, type HandshakeReply } from './handshake.js';
import { SocketRelayServer, isSocketRelay } from './ipc-socket.js';
import { createWorkerPipes, destroyWorkerPipes, fifosUnavailable, releaseChildEnds, type WorkerPipes } from './pipes.js';
import { Relay } from './relay.js';
import type { Log } from './types.js';

export interface LinkDone {
  /** Handshake done; called synchronously on the reply, so the worker attaches itself before the next frame. */
  ready(relay: Relay, reply: HandshakeReply): void;
  /** `frameError`: the worker wrote bytes that are not a frame (its relay's reader holds them). */
  failed(reason: string, frameError: boolean): void;
}

/** One worker start's connection. */
export interface WorkerLink {
  readonly stdio: StdioOptions;
  /** Frames travel on the child's stdout; false: stdout is plain output, logged like stderr. */
  readonly stdoutIsRelay: boolean;
  /**
   * Right after spawn() returned; `started` is false when the process did not start (no pid or no stdio: 'error'
   * follows). Returns the relay when it exists before the handshake (pipes), else null.
   */
  spawned(child: ChildProcess, started: boolean): Relay | null;
  /** Runs the handshake with process `pid`; exactly one callback of `done`, unless cancel() comes first. */
  connect(pid: number, done: LinkDone): void;
  /** The start is abandoned (spawn threw, the worker failed or is stopped while starting): let go of what is held. */
  cancel(reason: Error): void;
  /** What the worker failed to do, for the allocate_timeout message. */
  timeoutHint(pid: number): string;
}

export interface Ipc {
  /** The RR_RELAY value workers get. */
  readonly dsn: string;
  link(): Promise<WorkerLink>;
  close(): Promise<void>;
}

/** Opens the strategy for `server.relay`; socket relays listen now. */
export async function openIpc(relay: string, log: Log, handshakeTimeout: number): Promise<Ipc> {
  if (relay === 'pipes' || relay === '') return new PipesIpc(log);
  if (!isSocketRelay(relay)) throw new Error(`invalid relay "${relay}": expected pipes, tcp://host:port or unix:///path.sock`);
  const server = await SocketRelayServer.listen(relay, log);
  server.handshakeTimeout = handshakeTimeout;
  return new SocketIpc(server);
}

class PipesIpc implements Ipc {
  readonly dsn = 'pipes';
  /** OS pipes until it turns out FIFOs cannot be made here at all. */
  private fifos = true;

  constructor(private readonly log: Log) {}

  async link(): Promise<WorkerLink> {
    if (!this.fifos) return new SocketPairLink();
    try {
      return new FifoLink(await createWorkerPipes());
    } catch (err) {
      // Only a missing mkfifo (or a platform without FIFOs) is for good; anything else (EMFILE, a full /tmp) may pass.
      if (!fifosUnavailable(err)) {
        this.log.warn(`cannot create OS pipes for a worker (${(err as Error).message}): this one gets socketpairs`);
      } else if (this.fifos) {
        this.fifos = false;
        this.log.warn(`cannot create OS pipes for the workers (${(err as Error).message}): the pipes relay uses socketpairs from now on`);
      }
      return new SocketPairLink();
    }
  }

  async close(): Promise<void> {}
}

function pipeHandshake(relay: Relay | null, done: LinkDone): void {
  if (relay === null) return;
  handshake(relay, { ok: (reply) => done.ready(relay, reply), failed: (reason, frameError) => done.failed(reason, frameError) });
}

const PIPE_TIMEOUT_HINT = 'the worker did not answer the PID request';

class FifoLink implements WorkerLink {
  readonly stdio: StdioOptions;
  readonly stdoutIsRelay = true;
  private relay: Relay | null = null;
  private handedOver = false;

  constructor(private readonly pipes: WorkerPipes) {
    this.stdio = [pipes.childIn, pipes.childOut, 'pipe'];
  }

  spawned(_child: ChildProcess, started: boolean): Relay | null {
    // The worker has its own copies of its ends; ours would keep the pipes from ever reaching EOF.
    releaseChildEnds(this.pipes);
    this.handedOver = true;
    if (!started) {
      this.pipes.toWorker.destroy();
      this.pipes.fromWorker.destroy();
      return null;
    }
    this.relay = new Relay(this.pipes.fromWorker, this.pipes.toWorker, true);
    return this.relay;
  }

  connect(_pid: number, done: LinkDone): void {
    pipeHandshake(this.relay, done);
  }

  cancel(): void {
    if (!this.handedOver) destroyWorkerPipes(this.pipes); // after spawn the worker closes its relay itself
  }

  timeoutHint(): string {
    return PIPE_TIMEOUT_HINT;
  }
}

class SocketPairLink implements WorkerLink {
  readonly stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
  readonly stdoutIsRelay = true;
  private relay: Relay | null = null;

  spawned(child: ChildProcess, started: boolean): Relay | null {
    if (!started || !child.stdin || !child.stdout) return null;
    child.stdin.on('error', () => undefined); // EPIPE after a crash: reported through EOF/exit instead
    this.relay = new Relay(child.stdout, child.stdin);
    return this.relay;
  }

  connect(_pid: number, done: LinkDone): void {
    pipeHandshake(this.relay, done);
  }

  cancel(): void {}

  timeoutHint(): string {
    return PIPE_TIMEOUT_HINT;
  }
}

class SocketIpc implements Ipc {
  constructor(private readonly server: SocketRelayServer) {}

  get dsn(): string {
    return this.server.dsn;
  }

  async link(): Promise<WorkerLink> {
    return new SocketLink(this.server);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

class SocketLink implements WorkerLink {
  readonly stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
  readonly stdoutIsRelay = false;
  private pid = 0;

  constructor(private readonly server: SocketRelayServer) {}

  spawned(): Relay | null {
    return null;
  }

  connect(pid: number, done: LinkDone): void {
    this.pid = pid;
    this.server.expect(pid, (relay, reply) => done.ready(relay, reply));
  }

  cancel(): void {
    if (this.pid !== 0) this.server.cancel(this.pid);
  }

  timeoutHint(pid: number): string {
    return `the worker did not connect to ${this.server.dsn} and report its PID ${pid} (a wrapper such as "sh -c php ..." reports another PID and never matches)`;
  }
}
