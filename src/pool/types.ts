/**
 * The contract between the worker pool and its users (the HTTP plugin, RPC informer/resetter, status, metrics).
 * Durations are milliseconds; memory limits are bytes unless the name says otherwise.
 */

/** One request sent to a worker: a goridge payload frame `context ‖ body`, options = [context.length]. */
export interface Payload {
  /** Codec flag ORed into the frame flags: 0x80 (proto) or 0x08 (JSON) for HTTP. */
  codec: number;
  context: Buffer;
  body: Buffer;
  /** The whole frame, already encoded with this codec, context and body (the body was read straight into it). */
  frame?: Buffer;
}

/** One frame a worker sent back for a request. */
export interface WorkerResponse {
  /** Whole flags byte of the frame (e.g. 0x80, 0x08, 0). */
  flags: number;
  context: Buffer;
  body: Buffer;
  /** True when byte 10 had STREAM: more frames follow. */
  stream: boolean;
}

/** What exec needs of a cancellation signal; an AbortSignal fits, and so does a cheaper per-request object. */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface ExecOptions {
  /**
   * Called for every frame of a streamed response except the last (the one without STREAM),
   * which resolves the exec promise. Not called for an ordinary single-frame response. A returned promise means
   * "the client has not taken this yet": no more of the worker's output is read until it settles (backpressure),
   * and that wait does not count toward exec_ttl.
   */
  onChunk?: (chunk: WorkerResponse) => void | Promise<void>;
  /** Aborted when the client went away: a running stream gets a STOP frame and is drained (stream_timeout). */
  signal?: CancelSignal;
}

/** Error kinds of the pool (roadrunner-protocol.md §2.6). All map to http.internal_error_code. */
export type PoolErrorKind =
  | 'SoftJob' // the worker sent an ERROR frame; it stays alive
  | 'Network' // EOF, crash, bad CRC, garbage on stdout: the worker is killed and replaced
  | 'ExecTTL' // supervisor.exec_ttl elapsed: the worker is killed and replaced
  | 'NoFreeWorkers' // no idle worker within allocate_timeout
  | 'QueueSize' // max_queue_size reached
  | 'Stopped' // the pool is being destroyed
  | 'Decode'; // a response frame without exactly one option

export class PoolError extends Error {
  constructor(
    readonly kind: PoolErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PoolError';
  }
}

/** Worker states and their names live with the state machine; re-exported here for the pool's users. */
export { WorkerState, STATE_NAMES } from './state.js';

/** The JSON shape of one worker in informer.Workers (roadrunner-protocol.md §5.2). */
export interface WorkerInfo {
  pid: number;
  status: number;
  numExecs: number;
  /** Unix time in nanoseconds. */
  created: number;
  /** RSS in bytes. */
  memoryUsage: number;
  CPUPercent: number;
  command: string;
  statusStr: string;
}

export interface SupervisorOptions {
  watchTick: number;
  ttl: number;
  idleTtl: number;
  /** RSS limit in MB (0 = off). */
  maxWorkerMemory: number;
  execTtl: number;
}

export interface PoolOptions {
  /** argv of the worker process. */
  command: string[];
  /** Extra environment (already upper-cased keys); merged over process.env. Includes RR_RELAY, RR_MODE, RR_VERSION, RR_RPC. */
  env: Record<string, string>;
  /** Working directory of workers (default: process.cwd()). */
  cwd?: string;
  /** 'pipes', 'tcp://host:port' or 'unix:///path.sock'. */
  relay: string;
  numWorkers: number;
  maxJobs: number;
  allocateTimeout: number;
  destroyTimeout: number;
  resetTimeout: number;
  streamTimeout: number;
  maxQueueSize: number;
  debug: boolean;
  /**
   * Burner's own (not in RoadRunner): while every worker is busy and requests wait, write a request ahead to a busy
   * worker that said in its handshake it can take it, so it reads its next request without waiting for a round trip
   * through the server. http.pool.pipelining, on by default; absent here = off.
   */
  pipelining?: boolean;
  /** Requests written ahead to one busy worker at most, and the time window they must fit in by its pace (in-flight.ts). Tests set them; the server uses the defaults. */
  pipelineMaxAhead?: number;
  pipelineWindowMs?: number;
  supervisor?: SupervisorOptions;
}

/** Minimal logger shape (pino's Logger satisfies it). */
export interface Log {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** What the HTTP plugin, RPC and status/metrics use. */
export interface WorkerPool {
  /** Run one request on a free worker (FIFO wait up to allocate_timeout). Rejects with PoolError. */
  exec(payload: Payload, options?: ExecOptions): Promise<WorkerResponse>;
  /** Snapshot of every worker, for informer.Workers and metrics. */
  workers(): Promise<WorkerInfo[]>;
  /** Requests waiting for a worker plus running ones. */
  queueSize(): number;
  /** Replace every worker without losing requests (new requests wait, in-flight ones finish). */
  reset(): Promise<void>;
  /** Stop taking work, wait for in-flight requests up to destroy_timeout, stop workers (SIGKILL after destroy_timeout). */
  destroy(): Promise<void>;
}
