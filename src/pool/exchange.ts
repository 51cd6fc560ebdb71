/**
 * One request in flight on one worker (roadrunner-protocol.md §2.4, §2.8): created by exec, dropped when it ends.
 * It owns the exec_ttl and stream_timeout timers, the stream state (STOP sent, abort asked before the stream began)
 * and the reading of the worker's answer frames. What the answer means for the worker (ready again, retired,
 * broken) it tells its host, the worker.
 */
import { ERROR, PING, PONG_FRAME, STREAM, STREAM_STOP_FRAME, type Frame } from '../goridge/frame.js';
import { PoolError, type ExecOptions, type Log, type PoolErrorKind, type WorkerResponse } from './types.js';

/** The worker asked to stop (`{"stop":true}` header, empty body): the pool retries the request elsewhere. */
export class WorkerStopRequest extends Error {
  constructor() {
    super('worker asked to stop');
    this.name = 'WorkerStopRequest';
  }
}

/**
 * A request written ahead to a busy worker (http.pool.pipelining) that the worker never began: it broke, or asked to
 * stop, before answering the request in front. The pool gives the request to another worker.
 */
export class RequestNotStarted extends Error {
  constructor(pid: number) {
    super(`worker ${pid} ended before it began this request`);
    this.name = 'RequestNotStarted';
  }
}

/** How a worker failure is handled (WorkerProcess.fail). */
export interface FailOptions {
  /** Error kind for the request in flight (default Network). */
  kind?: PoolErrorKind;
  /** The worker wrote bytes that are not a frame: quote them (the relay reader collects them) instead of `reason`. */
  quoteFrame?: boolean;
  /** Kill the process group at once instead of giving the worker a moment to exit and explain itself. */
  killNow?: boolean;
}

export interface ExchangeHost {
  readonly pid: number;
  readonly log: Log;
  /** One frame to the worker. */
  send(frame: Buffer): void;
  /** A request was written ahead behind this one (http.pool.pipelining). */
  readonly hasRequestAhead: boolean;
  /** Stop (true) or resume (false) reading the worker's output: the client has not taken the last chunk yet. */
  pauseOutput(paused: boolean): void;
  /** The worker answered (a response, an ERROR frame, or `{"stop":true}`): it is free again unless told otherwise. */
  exchangeEnded(stopAsked: boolean): void;
  /** The worker broke the protocol or a deadline: it is killed; a pending exchange is rejected with the whole story. */
  exchangeBroken(reason: string, opts?: FailOptions): void;
}

export interface ExchangeLimits {
  /** supervisor.exec_ttl in ms (0 = none); it bounds the whole answer and each stream chunk wait. */
  execTtl: number;
  streamTimeout: number;
}

const STOP_JSON = Buffer.from('{"stop":true}');

export class Exchange {
  readonly promise: Promise<WorkerResponse>;
  private resolve!: (r: WorkerResponse) => void;
  private reject!: (e: Error) => void;
  private settled = false;
  private streaming = false;
  /** STOP was sent: chunks are drained, not delivered. */
  private stopping = false;
  /** The client left before the first chunk: STOP goes out as soon as a stream begins. */
  private abortRequested = false;
  private execTimer: NodeJS.Timeout | null = null;
  private streamTimer: NodeJS.Timeout | null = null;
  /** A chunk's promise is pending: the worker's output is not read until the client takes the backlog. */
  private waitingForClient = false;

  /** `onAbort` is the worker's own listener (no closure per request); it calls abort() on the current exchange. */
  constructor(
    private readonly host: ExchangeHost,
    private readonly options: ExecOptions | undefined,
    private readonly limits: ExchangeLimits,
    private readonly onAbort: () => void,
  ) {
    this.promise = new Promise<WorkerResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const signal = options?.signal;
    if (signal) {
      if (signal.aborted) this.abortRequested = true;
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /** The worker begins this request now (at once, or when the request ahead of it is answered): exec_ttl starts. */
  begin(): void {
    if (this.limits.execTtl > 0 && !this.settled) this.execTimer = setTimeout(execTtlExpired, this.limits.execTtl, this);
  }

  get pending(): boolean {
    return !this.settled;
  }

  /** The answer is a stream (its first chunk came). */
  get streamed(): boolean {
    return this.streaming;
  }

  /** The client of this request is gone (its signal fired). */
  get clientGone(): boolean {
    return this.options?.signal?.aborted === true;
  }

  /** The client is gone: a running stream gets STOP and is drained; a stream that has not begun is stopped at once. */
  abort(): void {
    if (this.streaming) this.stopStream();
    else this.abortRequested = true;
  }

  onFrame(frame: Frame): void {
    if (this.settled) return;
    if ((frame.flags & ERROR) !== 0) {
      this.end(false);
      this.reject(new PoolError('SoftJob', frame.payload.toString('utf8')));
      return;
    }
    if (frame.options.length !== 1) {
      this.halt();
      this.settled = true;
      this.reject(new PoolError('Decode', `options length should be equal 1 (body offset), got ${frame.options.length}`));
      this.host.exchangeBroken('protocol error: response frame without exactly one option');
      return;
    }
    const ctxLen = frame.options[0]!;
    const payload = frame.payload;
    if (ctxLen > payload.length) {
      this.host.exchangeBroken(`bad payload: context length ${ctxLen} exceeds the payload length ${payload.length}`);
      return;
    }
    const context = payload.subarray(0, ctxLen);
    const body = payload.subarray(ctxLen);
    if (!this.streaming && body.length === 0 && ctxLen === STOP_JSON.length && context.equals(STOP_JSON)) {
      this.end(true);
      this.reject(new WorkerStopRequest());
      return;
    }
    // No PONG once STOP is sent: the worker reads STOP as its answer, a late PONG would be left in its input.
    if ((frame.stream & PING) !== 0 && !this.stopping) this.host.send(PONG_FRAME);
    const response: WorkerResponse = { flags: frame.flags, context, body, stream: (frame.stream & STREAM) !== 0 };
    if (!response.stream) {
      this.end(false);
      this.resolve(response);
      return;
    }
    if (!this.streaming) {
      this.streaming = true;
      if (this.abortRequested) this.stopStream();
    }
    if (this.execTimer !== null) this.execTimer.refresh(); // exec_ttl bounds each chunk wait
    if (this.stopping) return;
    try {
      const taken = this.options?.onChunk?.(response);
      if (taken instanceof Promise && !this.waitingForClient) {
        this.waitingForClient = true;
        this.host.pauseOutput(true);
        taken.then(this.clientCaughtUp, this.clientCaughtUp);
      }
    } catch (err) {
      this.host.log.error({ pid: this.host.pid, err }, 'stream chunk handler failed');
    }
  }

  /** The client took the backlog (or the write failed): read the worker's output again. */
  private readonly clientCaughtUp = (): void => {
    if (!this.waitingForClient) return;
    this.waitingForClient = false;
    this.host.pauseOutput(false);
    if (this.execTimer !== null) this.execTimer.refresh();
  };

  /** The worker failed: settle with `err` (no-op when already settled). */
  fail(err: Error): void {
    if (this.settled) return;
    this.halt();
    this.settled = true;
    this.reject(err);
  }

  /** Timers off, abort listener off; the exchange can no longer fire anything by itself. */
  halt(): void {
    this.clientCaughtUp();
    if (this.execTimer !== null) clearTimeout(this.execTimer);
    if (this.streamTimer !== null) clearTimeout(this.streamTimer);
    this.execTimer = this.streamTimer = null;
    this.options?.signal?.removeEventListener('abort', this.onAbort);
  }

  /** @internal the exec_ttl timer. */
  execTtlExpired(): void {
    if (this.waitingForClient) {
      // Waiting for a slow client is not the worker's time (http.write_timeout bounds it).
      this.execTimer = setTimeout(execTtlExpired, this.limits.execTtl, this);
      return;
    }
    this.execTimer = null;
    this.host.exchangeBroken(`worker ${this.host.pid} exceeded exec_ttl (${this.limits.execTtl} ms) and was killed`, { kind: 'ExecTTL' });
  }

  /** @internal the stream_timeout timer. */
  streamTimedOut(): void {
    this.streamTimer = null;
    this.host.exchangeBroken(`the worker did not end the stream within stream_timeout (${this.limits.streamTimeout} ms) after STOP`, {
      killNow: true,
    });
  }

  private stopStream(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.clientCaughtUp(); // the rest of the stream is drained, not delivered
    // A STOP carries no request id. With a request written ahead, the worker may have ended this stream and begun
    // that request before it reads the STOP, which would then cut the wrong stream: the rest of this one is drained
    // without a STOP instead, still within stream_timeout (after it the worker is killed and the request written
    // ahead, never begun, goes to another worker).
    if (!this.host.hasRequestAhead) this.host.send(STREAM_STOP_FRAME);
    this.streamTimer = setTimeout(streamTimedOut, this.limits.streamTimeout, this);
  }

  /** The worker answered: it is told first, so its state is settled before the caller's continuation runs. */
  private end(stopAsked: boolean): void {
    this.halt();
    this.settled = true;
    this.host.exchangeEnded(stopAsked);
  }
}

// Module-level timer callbacks (the exchange is passed as the argument): no closure per request.
function execTtlExpired(ex: Exchange): void {
  ex.execTtlExpired();
}

function streamTimedOut(ex: Exchange): void {
  ex.streamTimedOut();
}
