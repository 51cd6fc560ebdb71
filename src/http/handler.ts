/**
 * One request, start to end: request hooks of the middleware (which may answer it), the size limit, the context
 * (then the context hooks), the body, one exec on a worker, the answer through the response writer, temp-file
 * cleanup. Failures go to the one error mapping. Also the per-request bookkeeping: observer, access log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CODEC_JSON, CODEC_PROTO, PAYLOAD_HEAD, allocPayloadFrame } from '../goridge/frame.js';
import type { CancelSignal, ExecOptions, Log, Payload, WorkerPool, WorkerResponse } from '../pool/types.js';
import { hasNoBody, isRawBody, readBody, readRaw, removeTempFiles, type Body } from './body.js';
import { buildContext, encodeJsonContext } from './context.js';
import type { ErrorMapper } from './errors.js';
import type { MiddlewareChain } from './middleware/index.js';
import type { HttpOptions } from './options.js';
import { encodeProtoRequest, type RequestContext } from './proto.js';
import type { ResponseWriter, ServerState, StreamState } from './writer.js';

const EMPTY = Buffer.alloc(0);
const NO_BODY = { body: EMPTY, parsed: false, uploads: null };

export class RequestHandler {
  private readonly codec: number;
  /** pino tells whether debug is on; a logger that cannot tell gets every line. */
  private readonly debugLog: boolean;
  private readonly timed: boolean;

  constructor(
    private readonly options: HttpOptions,
    private readonly pool: WorkerPool,
    private readonly log: Log,
    private readonly chain: MiddlewareChain,
    readonly writer: ResponseWriter,
    private readonly errors: ErrorMapper,
    private readonly state: ServerState,
  ) {
    this.codec = options.codec === 'proto' ? CODEC_PROTO : CODEC_JSON;
    const levels = log as Log & { isLevelEnabled?: (level: string) => boolean };
    this.debugLog = typeof levels.isLevelEnabled === 'function' ? levels.isLevelEnabled('debug') : true;
    this.timed = Boolean(options.observer || options.accessLogs || this.debugLog);
  }

  /** Handles the request; `tracker.closed(res)` runs once its response is closed (finished or aborted). */
  handle(req: IncomingMessage, res: ServerResponse, tracker: ResponseTracker): void {
    const flight = new OpenRequest(this, req, res, tracker, this.timed ? process.hrtime.bigint() : 0n);
    (res as TrackedResponse)[OPEN_REQUEST] = flight;
    res.on('close', onResponseClose);
    void this.run(req, res, flight);
  }

  /** Never rejects: every failure goes to the error mapping. */
  private async run(req: IncomingMessage, res: ServerResponse, signal: OpenRequest): Promise<void> {
    this.options.observer?.requestStarted();
    if (this.state.closing) res.shouldKeepAlive = false;
    const tempFiles: string[] = [];
    try {
      if (hasSecondHost(req.rawHeaders)) {
        // RFC 9112 §3.2: a request with more than one Host header gets a 400 (Go does the same).
        this.writer.plain(res, 400, '400 Bad Request: two Hosts\n', true);
        return;
      }
      const requestHooks = this.chain.request;
      for (let i = 0; i < requestHooks.length; i++) {
        const r = requestHooks[i]!.request!(req, res);
        if ((typeof r === 'string' ? r : await r) === 'done') return;
      }
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) > this.options.maxRequestSize) {
        this.errors.tooLarge(req, res, `request body exceeds max_request_size (${this.options.maxRequestSize} bytes)`);
        return;
      }

      const { ctx, contentType } = buildContext(req);
      const contextHooks = this.chain.context;
      for (let i = 0; i < contextHooks.length; i++) contextHooks[i]!.context!(ctx, req);
      let payload: Payload;
      const noBody = hasNoBody(req, contentType);
      if (!noBody && isRawBody(req, contentType, this.options)) {
        // The context does not depend on a raw body: encoded first, so the body is read straight into its frame.
        ctx.parsed = false;
        const context = this.encodeContext(ctx, null);
        const offset = PAYLOAD_HEAD + context.length;
        let frame: Buffer | undefined;
        const into = (declared: number): Buffer => (frame = allocPayloadFrame(this.codec, context, declared));
        const body = await readRaw(req, this.options.maxRequestSize, undefined, into, offset);
        payload = { codec: this.codec, context, body, frame: frame?.length === offset + body.length ? frame : undefined };
      } else {
        const body = noBody ? NO_BODY : await readBody(req, contentType, this.options, tempFiles);
        ctx.parsed = body.parsed;
        payload = { codec: this.codec, context: this.encodeContext(ctx, body.uploads), body: body.body };
      }
      const result = await this.pool.exec(payload, signal);
      if (signal.stream) this.writer.endStream(req, res, result, signal.stream);
      else {
        const sending = this.writer.answer(req, res, result);
        if (sending) await sending;
      }
    } catch (err) {
      this.errors.fail(res, err, req);
    } finally {
      if (tempFiles.length > 0) void removeTempFiles(tempFiles);
    }
  }

  private encodeContext(ctx: RequestContext, uploads: Body['uploads']): Buffer {
    if (this.codec !== CODEC_PROTO) return encodeJsonContext(ctx, uploads);
    ctx.uploads = uploads ? JSON.stringify(uploads) : '';
    return encodeProtoRequest(ctx);
  }

  /** A response closed: bookkeeping, observer, access log. */
  finished(req: IncomingMessage, res: ServerResponse, start: bigint): void {
    const seconds = start ? Number(process.hrtime.bigint() - start) / 1e9 : 0;
    this.options.observer?.requestFinished(res.statusCode, seconds);
    if (this.options.accessLogs) {
      this.log.info(
        {
          status: res.statusCode,
          method: req.method,
          uri: req.url,
          remote_address: req.socket.remoteAddress,
          host: req.headers.host,
          content_len: req.headers['content-length'],
          user_agent: req.headers['user-agent'],
          referer: req.headers.referer,
          elapsed: `${(seconds * 1000).toFixed(3)}ms`,
        },
        'http access log',
      );
    } else if (this.debugLog) {
      this.log.debug({ status: res.statusCode, method: req.method, uri: req.url, elapsed: `${(seconds * 1000).toFixed(3)}ms` }, 'http log');
    }
  }
}

function hasSecondHost(raw: string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      if (seen) return true;
      seen = true;
    }
  }
  return false;
}

/** Whom the handler tells that a response closed (the server's count of requests in flight). */
export interface ResponseTracker {
  closed(res: ServerResponse): void;
}

const OPEN_REQUEST = Symbol('burner.openRequest');
type TrackedResponse = ServerResponse & { [OPEN_REQUEST]?: OpenRequest };

/**
 * One shared 'close' listener for every response (called with the response as `this`): no closure and no `once`
 * wrapper per request. It runs once: node emits a response's 'close' once.
 */
function onResponseClose(this: TrackedResponse): void {
  const flight = this[OPEN_REQUEST];
  if (flight === undefined) return;
  this[OPEN_REQUEST] = undefined;
  flight.closed();
}

/**
 * What one request needs until its response closes, in one object: it is the pool's exec options and cancel signal
 * (aborted when the client goes away before the response is complete; cheaper than an AbortController), the stream
 * callback, and the close bookkeeping.
 */
class OpenRequest implements CancelSignal, ExecOptions {
  aborted = false;
  private listener: (() => void) | undefined;
  /** Set by the first chunk of a streamed answer. */
  stream: StreamState | undefined = undefined;
  readonly signal: CancelSignal = this;

  constructor(
    private readonly handler: RequestHandler,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly tracker: ResponseTracker,
    private readonly start: bigint,
  ) {}

  /**
   * A promise asks the pool to read no more of this worker's output until the client has taken the backlog. A method,
   * not a closure per request: the pool calls it as `options.onChunk(chunk)`.
   */
  onChunk(chunk: WorkerResponse): void | Promise<void> {
    return this.handler.writer.chunk(this.req, this.res, chunk, (this.stream ??= { trailers: undefined }));
  }

  closed(): void {
    this.tracker.closed(this.res);
    this.handler.finished(this.req, this.res, this.start);
    if (!this.res.writableFinished) this.abort(); // closed before the answer was complete: the client is gone
  }

  abort(): void {
    this.aborted = true;
    const fn = this.listener;
    this.listener = undefined;
    fn?.();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }
}
