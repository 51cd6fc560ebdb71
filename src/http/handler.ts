/**
 * One request, start to end: request hooks of the middleware (which may answer it), the size limit, the context
 * (then the context hooks), the body, one exec on a worker, the answer through the response writer, temp-file
 * cleanup. Failures go to the one error mapping. Also the per-request bookkeeping: observer, access log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CODEC_JSON, CODEC_PROTO } from '../goridge/frame.js';
import type { CancelSignal, Log, Payload, WorkerPool } from '../pool/types.js';
import { hasNoBody, readBody, removeTempFiles } from './body.js';
import { buildContext, encodeJsonContext } from './context.js';
import type { ErrorMapper } from './errors.js';
import type { MiddlewareChain } from './middleware/index.js';
import type { HttpOptions } from './options.js';
import { encodeProtoRequest } from './proto.js';
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
    private readonly writer: ResponseWriter,
    private readonly errors: ErrorMapper,
    private readonly state: ServerState,
  ) {
    this.codec = options.codec === 'proto' ? CODEC_PROTO : CODEC_JSON;
    const levels = log as Log & { isLevelEnabled?: (level: string) => boolean };
    this.debugLog = typeof levels.isLevelEnabled === 'function' ? levels.isLevelEnabled('debug') : true;
    this.timed = Boolean(options.observer || options.accessLogs || this.debugLog);
  }

  /** Handles the request; `closed` runs once its response is closed (finished or aborted). */
  handle(req: IncomingMessage, res: ServerResponse, closed: () => void): void {
    this.run(req, res, closed).catch((err: unknown) => this.errors.fail(res, err, req));
  }

  private async run(req: IncomingMessage, res: ServerResponse, closed: () => void): Promise<void> {
    const start = this.timed ? process.hrtime.bigint() : 0n;
    this.options.observer?.requestStarted();
    const signal = new ClientGoneSignal();
    res.once('close', () => {
      closed();
      this.finished(req, res, start);
      if (!res.writableFinished) signal.abort(); // closed before the answer was complete: the client is gone
    });
    if (this.state.closing) res.shouldKeepAlive = false;
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
    const tempFiles: string[] = [];
    try {
      const body = hasNoBody(req, contentType) ? NO_BODY : await readBody(req, contentType, this.options, tempFiles);
      ctx.parsed = body.parsed;
      let context: Buffer;
      if (this.codec === CODEC_PROTO) {
        ctx.uploads = body.uploads ? JSON.stringify(body.uploads) : '';
        context = encodeProtoRequest(ctx);
      } else {
        context = encodeJsonContext(ctx, body.uploads);
      }
      const payload: Payload = { codec: this.codec, context, body: body.body };
      let stream: StreamState | undefined;
      const result = await this.pool.exec(payload, {
        signal,
        // A promise asks the pool to read no more of this worker's output until the client has taken the backlog.
        onChunk: (chunk) => this.writer.chunk(req, res, chunk, (stream ??= { trailers: undefined })),
      });
      if (stream) this.writer.endStream(req, res, result, stream);
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

  private finished(req: IncomingMessage, res: ServerResponse, start: bigint): void {
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

/** Aborted when the client goes away before the response is finished; cheaper than an AbortController per request. */
class ClientGoneSignal implements CancelSignal {
  aborted = false;
  private listener: (() => void) | undefined;

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
