/**
 * The HTTP plugin: node:http in front of the worker pool. Per request: middleware (CORS preflight, static files),
 * size limit (also before `100 Continue`), context, body, one exec on a worker, the answer (streamed when the worker
 * streams; 1xx as interim responses; RoadRunner's `Trailer` convention), temp-file cleanup.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import { listen, parseAddress } from '../net/listen.js';
import { CODEC_JSON, CODEC_PROTO } from '../goridge/frame.js';
import { PoolError, type CancelSignal, type Log, type Payload, type WorkerPool, type WorkerResponse } from '../pool/types.js';
import { BodyTooLarge, ClientGone, FormError, FormTooLarge, hasNoBody, readBody, removeTempFiles } from './body.js';
import { buildContext, encodeJsonContext } from './context.js';
import { Cors } from './middleware/cors.js';
import { compress, wantsGzip, worthCompressing } from './middleware/gzip.js';
import { ProxyIpParser } from './middleware/proxy-ip.js';
import { StaticFiles } from './middleware/static.js';
import { sendFile, takeSendfile } from './middleware/sendfile.js';
import { KNOWN_MIDDLEWARE, type HttpOptions } from './options.js';
import { encodeProtoRequest, type HeaderMap } from './proto.js';
import { ResponseDecodeError, decodeResponseHead, flattenHeaders, isSafeHeader, splitTrailers, type ResponseHead } from './response.js';

export type { HttpOptions } from './options.js';

export interface HttpPlugin {
  readonly server: http.Server;
  listen(): Promise<{ port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), closes idle keep-alive connections. */
  close(graceMs: number): Promise<void>;
}

const NO_BODY_STATUS = new Set([204, 304]);
const EMPTY = Buffer.alloc(0);

export function createHttpServer(options: HttpOptions, pool: WorkerPool, log: Log): HttpPlugin {
  return new HttpServer(options, pool, log);
}

class HttpServer implements HttpPlugin {
  readonly server: http.Server;
  private readonly staticFiles: StaticFiles | undefined;
  private readonly cors: Cors | undefined;
  private readonly proxyIp: ProxyIpParser | undefined;
  private readonly gzip: boolean;
  private readonly sendfile: boolean;
  private readonly requestHeaders: Record<string, string> | undefined;
  private readonly responseHeaders: Record<string, string> | undefined;
  private readonly codec: number;
  /** Responses in progress; on close, those not yet started are told to close their connection. */
  private readonly active = new Set<ServerResponse>();
  /** Open client connections, to know when a closing server has none left. */
  private readonly sockets = new Set<Socket>();
  private closing = false;
  private drained: (() => void) | undefined;
  /** pino tells whether debug is on; a logger that cannot tell gets every line. */
  private readonly debugLog: boolean;

  constructor(
    private readonly options: HttpOptions,
    private readonly pool: WorkerPool,
    private readonly log: Log,
  ) {
    const mw = new Set(options.middleware);
    for (const name of mw) if (!KNOWN_MIDDLEWARE.has(name)) log.warn({ middleware: name }, 'unknown http middleware is ignored');
    this.sendfile = mw.has('sendfile');
    this.staticFiles = mw.has('static') && options.static ? new StaticFiles(options.static) : undefined;
    if (mw.has('static') && !options.static) log.warn('the static middleware is listed but http.static is not configured');
    const headers = mw.has('headers') ? options.headers : undefined;
    this.cors = headers?.cors ? new Cors(headers.cors) : undefined;
    this.requestHeaders = headers && Object.keys(headers.request).length > 0 ? headers.request : undefined;
    this.responseHeaders = headers && Object.keys(headers.response).length > 0 ? headers.response : undefined;
    this.proxyIp = mw.has('proxy_ip_parser') && options.trustedSubnets.length > 0 ? new ProxyIpParser(options.trustedSubnets) : undefined;
    this.gzip = mw.has('gzip');
    this.codec = options.codec === 'proto' ? CODEC_PROTO : CODEC_JSON;
    const levels = log as Log & { isLevelEnabled?: (level: string) => boolean };
    this.debugLog = typeof levels.isLevelEnabled === 'function' ? levels.isLevelEnabled('debug') : true;

    // Idle keep-alive connections stay open for a minute (RoadRunner keeps them an hour, Node's default is 5 s):
    // long enough for clients and load balancers that reuse connections; shutdown closes them at once anyway.
    // Slow headers are cut after 60 s, a whole request after read_timeout (node checks every interval).
    const read = options.readTimeout;
    this.server = http.createServer(
      {
        requestTimeout: read,
        headersTimeout: read > 0 ? Math.min(60_000, read) : 60_000,
        connectionsCheckingInterval: read > 0 ? Math.min(30_000, Math.max(100, Math.floor(read / 10))) : 30_000,
        keepAliveTimeout: 60_000,
      },
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => this.fail(res, err));
      },
    );
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Past the cap node closes a new connection at once: descriptors stay for workers, uploads and files.
    if (options.maxConnections > 0) this.server.maxConnections = options.maxConnections;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.clientError(err, socket));
    // `Expect: 100-continue`: a body already declared too large is refused before the client sends any of it.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!(Number(req.headers['content-length']) > this.options.maxRequestSize)) res.writeContinue();
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
  }

  async listen(): Promise<{ port: number }> {
    const port = await listen(this.server, parseAddress(this.options.address, 'http.address'));
    // After listening, errors come from accept() (EMFILE, ENFILE): logged, never fatal; libuv keeps accepting.
    let lastLogged = 0;
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      const now = Date.now();
      if (now - lastLogged < 1000) return;
      lastLogged = now;
      this.log.error({ code: err.code, err: err.message }, 'cannot accept a connection');
    });
    return { port };
  }

  async close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const res of this.active) if (!res.headersSent) res.shouldKeepAlive = false;
    // Stop accepting, but do not drop idle keep-alive connections at once (http.Server.close would): a request may
    // be on its way on one. For a moment, every request is answered with `Connection: close`, so busy clients close
    // their connections themselves; only connections that stay silent that long are closed under them.
    const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(this.server, () => resolve()));
    const quiet = Math.min(graceMs, IDLE_CLOSE_MS);
    if (this.sockets.size > 0 && quiet > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, quiet);
        const check = () => (this.sockets.size === 0 ? resolve() : setTimeout(check, 10).unref());
        check();
      });
      clearTimeout(timer);
    }
    this.server.closeIdleConnections();
    if (this.active.size > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([drained, timeout]);
      clearTimeout(timer);
      if (this.active.size > 0) this.log.warn({ inFlight: this.active.size }, 'grace period over: closing the remaining connections');
    }
    this.server.closeAllConnections();
    await closed;
  }

  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    // The client reset or half-closed in the middle of a request: nobody is left to answer. Destroying the socket
    // also aborts that request, so its body reader stops and its temp files are removed.
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    // Garbage after a request whose answer is still being prepared (e.g. a body sent without Content-Length): a 400
    // written now would reach the client before, and in place of, that answer. Let the answer go out, then close.
    const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (pending && pending.req?.complete && !pending.writableEnded) {
      this.log.debug({ code: err.code }, 'malformed data after a request: closing once its response is sent');
      pending.shouldKeepAlive = false;
      pending.once('finish', () => socket.end());
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    this.log.debug({ code: err.code, status }, 'malformed request');
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.active.add(res);
    const start = this.options.observer || this.options.accessLogs || this.debugLog ? process.hrtime.bigint() : 0n;
    this.options.observer?.requestStarted();
    const signal = new ClientGoneSignal();
    res.once('close', () => {
      this.active.delete(res);
      if (this.active.size === 0 && this.drained) this.drained();
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
      if (!res.writableFinished) signal.abort(); // closed before the answer was complete: the client is gone
    });
    if (this.closing) res.shouldKeepAlive = false;
    if (hasSecondHost(req.rawHeaders)) {
      // RFC 9112 §3.2: a request with more than one Host header gets a 400 (Go does the same).
      res.shouldKeepAlive = false;
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 27 }).end('400 Bad Request: two Hosts\n');
      return;
    }

    if (this.cors) {
      const pre = this.cors.preflight(req);
      if (pre) {
        res.writeHead(pre.status, pre.headers).end();
        return;
      }
    }
    if (this.staticFiles) {
      const r = await this.staticFiles.handle(req, res);
      if (r !== 'next') return;
    }

    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.options.maxRequestSize) {
      this.tooLarge(req, res, `request body exceeds max_request_size (${this.options.maxRequestSize} bytes)`);
      return;
    }

    const { ctx, contentType } = buildContext(req, this.requestHeaders);
    if (this.proxyIp) ctx.remoteAddr = this.proxyIp.clientIp(req, ctx.remoteAddr);
    const tempFiles: string[] = [];
    try {
      const body = hasNoBody(req, contentType) ? { body: EMPTY, parsed: false, uploads: null } : await readBody(req, contentType, this.options, tempFiles);
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
        onChunk: (chunk) => {
          stream ??= { trailers: undefined };
          return this.writeChunk(req, res, chunk, stream);
        },
      });
      if (stream) this.endStream(req, res, result, stream);
      else {
        const sending = this.respond(req, res, result);
        if (sending) await sending;
      }
    } catch (err) {
      this.fail(res, err, req);
    } finally {
      if (tempFiles.length > 0) void removeTempFiles(tempFiles);
    }
  }

  /** Sends a complete answer; returns a promise only when that takes more than one write (a file, gzip). */
  private respond(req: IncomingMessage, res: ServerResponse, r: WorkerResponse): Promise<void> | undefined {
    const head = decodeResponseHead(r.flags, r.context);
    if (!this.validStatus(res, head)) return;
    if (head.status < 200) {
      // RoadRunner master: a lone 1xx is sent as an interim response; the handler then ends with Go's implicit 200.
      this.interim(res, head, r.body.length);
      head.status = 200;
      head.headers = {};
      r = { ...r, body: EMPTY };
    }
    const isHead = req.method === 'HEAD';
    const file = this.sendfile ? takeSendfile(head.headers) : undefined;
    if (file !== undefined) {
      const h = flattenHeaders(head.headers, this.presetHeaders(req), false);
      this.logRejected(h.rejected);
      return sendFile(res, head.status, h.flat, file, isHead);
    }
    const split = splitTrailers(head.headers);
    const h = flattenHeaders(split.headers, this.presetHeaders(req), isHead);
    this.logRejected(h.rejected);
    // Trailers need chunked framing: HTTP/1.1 and a status that has a body. Elsewhere they are dropped.
    const trailers = split.trailers && req.httpVersion === '1.1' && !isHead && !NO_BODY_STATUS.has(head.status) ? split.trailers : undefined;
    if (this.gzip && r.body.length > 0 && wantsGzip(req.headers['accept-encoding'])) {
      const type = headerValue(h.flat, 'content-type');
      if (worthCompressing(r.body, type, headerValue(h.flat, 'content-encoding'))) {
        return compress(r.body).then((body) => {
          h.flat.push('Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding');
          this.writeAnswer(res, head.status, h, body, trailers);
        });
      }
    }
    this.writeAnswer(res, head.status, h, r.body, trailers);
    return undefined;
  }

  private writeAnswer(
    res: ServerResponse,
    status: number,
    h: { flat: string[]; hasContentLength: boolean },
    body: Buffer,
    trailers: Record<string, string[]> | undefined,
  ): void {
    if (trailers) h.flat.push('Trailer', Object.keys(trailers).join(', '));
    else if (!h.hasContentLength && !NO_BODY_STATUS.has(status)) h.flat.push('Content-Length', String(body.length));
    res.writeHead(status, h.flat);
    if (trailers) {
      if (body.length > 0) res.write(body);
      res.addTrailers(trailerList(trailers));
      res.end();
    } else res.end(body);
    // A body the client has not taken yet stays in memory: write_timeout bounds how long (node resets the socket
    // timeout to keep-alive once the response is out).
    if (res.writableLength > 0 && this.options.writeTimeout > 0) res.socket?.setTimeout(this.options.writeTimeout);
  }

  /** The first non-1xx header of a stream is applied once; 1xx frames become interim responses. */
  private writeChunk(req: IncomingMessage, res: ServerResponse, chunk: WorkerResponse, state: StreamState): Promise<void> | undefined {
    // After an error answer the worker may still be streaming: its chunks have nowhere to go (and writing after
    // end would raise an 'error' event nobody listens to).
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent && chunk.context.length > 0) {
      let head: ResponseHead;
      try {
        head = decodeResponseHead(chunk.flags, chunk.context);
      } catch (err) {
        this.fail(res, err, req);
        return undefined;
      }
      if (head.status >= 100 && head.status < 200) {
        this.interim(res, head, chunk.body.length);
        return undefined;
      }
      if (!this.validStatus(res, head)) return undefined;
      const split = splitTrailers(head.headers);
      const h = flattenHeaders(split.headers, this.presetHeaders(req), false);
      this.logRejected(h.rejected);
      if (split.trailers && req.httpVersion === '1.1') {
        state.trailers = split.trailers;
        h.flat.push('Trailer', Object.keys(split.trailers).join(', '));
      }
      res.writeHead(head.status, h.flat);
    }
    if (chunk.body.length > 0) {
      if (!res.headersSent) res.writeHead(200, flattenHeaders({}, this.presetHeaders(req), false).flat);
      if (!res.write(chunk.body)) return this.backlog(res);
    }
    return undefined;
  }

  /**
   * The client reads slower than the worker writes. Past max_response_buffer it is cut (its stream gets STOP);
   * otherwise the returned promise ends at 'drain', and a client that takes nothing for write_timeout is cut.
   */
  private backlog(res: ServerResponse): Promise<void> | undefined {
    if (res.writableLength > this.options.maxResponseBuffer) {
      this.log.warn({ bytes: res.writableLength }, 'client does not read the stream: over max_response_buffer, connection closed');
      res.destroy();
      return undefined;
    }
    const socket = res.socket;
    const timeout = this.options.writeTimeout;
    // node destroys a socket whose timeout fires when nobody listens for 'timeout'.
    if (timeout > 0) socket?.setTimeout(timeout);
    return new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        if (timeout > 0 && !res.destroyed) socket?.setTimeout(0);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }

  private endStream(req: IncomingMessage, res: ServerResponse, last: WorkerResponse, state: StreamState): void {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) {
      const head = last.context.length > 0 ? decodeResponseHead(last.flags, last.context) : { status: 200, headers: {} };
      if (head.status >= 100 && head.status < 200) head.status = 200;
      if (!this.validStatus(res, head)) return;
      const h = flattenHeaders(splitTrailers(head.headers).headers, this.presetHeaders(req), false);
      this.logRejected(h.rejected);
      res.writeHead(head.status, h.flat);
    }
    if (state.trailers && res.chunkedEncoding) {
      if (last.body.length > 0) res.write(last.body);
      res.addTrailers(trailerList(state.trailers));
      res.end();
    } else res.end(last.body);
  }

  /** Headers set before the worker's own: `headers.response`, and CORS headers for the request's origin. */
  private presetHeaders(req: IncomingMessage): Record<string, string> | undefined {
    return this.cors ? { ...this.responseHeaders, ...this.cors.responseHeaders(req) } : this.responseHeaders;
  }

  private interim(res: ServerResponse, head: ResponseHead, bodyLength: number): void {
    if (bodyLength > 0) this.log.warn({ status: head.status, bytes: bodyLength }, 'body of an informational response from the worker dropped');
    if (head.status === 103) {
      const hints: Record<string, string | string[]> = {};
      for (const [name, values] of Object.entries(head.headers)) {
        if (values.every((v) => isSafeHeader(name, v))) hints[name.toLowerCase()] = values.length === 1 ? values[0]! : values;
        else this.logRejected([name]);
      }
      if (hints.link === undefined) {
        this.log.warn('103 from the worker without a Link header: not sent');
        return;
      }
      try {
        res.writeEarlyHints(hints as { link: string | string[] });
      } catch (err) {
        // node checks the Link syntax; a bad hint must not cost the final response.
        this.log.warn({ err: (err as Error).message }, 'early hints from the worker rejected');
      }
    } else if (head.status === 100) res.writeContinue();
    else if (head.status === 102) res.writeProcessing();
    else this.log.error({ status: head.status }, 'informational status from worker ignored');
  }

  private validStatus(res: ServerResponse, head: ResponseHead): boolean {
    // RoadRunner passes any status Go's WriteHeader takes (100-999); Go names an unknown one "status code N".
    if (Number.isInteger(head.status) && head.status >= 100 && head.status <= 999) {
      if (STATUS_CODES[head.status] === undefined) res.statusMessage = `status code ${head.status}`;
      return true;
    }
    const text = `unknown status code from worker: ${head.status}`;
    this.log.error({ status: head.status }, text);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
    else res.destroy();
    return false;
  }

  private logRejected(names: string[]): void {
    if (names.length > 0) this.log.warn({ headers: names }, 'response headers with invalid names or CR/LF/NUL in values were dropped');
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse, message: string): void {
    const text = message + '\n';
    res.shouldKeepAlive = false;
    lingerOnClose(req.socket);
    res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
    res.end(text);
  }

  private fail(res: ServerResponse, err: unknown, req?: IncomingMessage): void {
    if (err instanceof ClientGone) {
      res.destroy();
      return;
    }
    if ((err instanceof BodyTooLarge || err instanceof FormTooLarge) && req) {
      if (!res.headersSent) this.tooLarge(req, res, err.message);
      else res.destroy();
      return;
    }
    let status = this.options.internalErrorCode;
    let text = '';
    if (err instanceof PoolError) {
      if (err.kind === 'NoFreeWorkers') this.options.observer?.noFreeWorkers();
      this.log.error({ kind: err.kind, err: err.message }, 'worker error');
      if (this.options.poolDebug) text = err.message;
    } else if (err instanceof FormError) {
      // The client's form is malformed: its own error, with the parser's short reason.
      status = 400;
      text = err.message;
      this.log.warn({ err: err.message }, 'bad request body');
    } else if (err instanceof ResponseDecodeError) {
      this.log.error({ err: err.message }, 'bad response from worker');
      if (this.options.poolDebug) text = err.message;
    } else {
      this.log.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'internal error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (req && !req.complete) {
      // The rest of the body will not be read: the connection cannot carry another request.
      res.shouldKeepAlive = false;
      lingerOnClose(req.socket);
    }
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
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

const LINGER_MS = 3000;
/** How long a closing server lets idle keep-alive connections carry one more request. */
const IDLE_CLOSE_MS = 1000;

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

/**
 * After an early answer (413) the client may still be sending. Closing at once would make the kernel reset the
 * connection, and a reset can discard the answer before the client reads it. So: half-close, read and discard
 * (never buffer) what still arrives, and close when the client does, or after LINGER_MS.
 */
function lingerOnClose(socket: Socket): void {
  (socket as Socket & { destroySoon: () => void }).destroySoon = function linger(this: Socket) {
    this.end();
    this.on('data', () => undefined);
    this.resume();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('end', () => {
      clearTimeout(timer);
      this.destroy();
    });
    this.once('close', () => clearTimeout(timer));
  };
}

interface StreamState {
  /** Declared by the first header of the stream, sent after the last chunk. */
  trailers: HeaderMap | undefined;
}

/** Trailers as node's addTrailers takes them: repeated names as [name, value] pairs. */
function trailerList(trailers: HeaderMap): [string, string][] {
  const out: [string, string][] = [];
  for (const name in trailers) for (const value of trailers[name]!) out.push([name, value]);
  return out;
}

function headerValue(flat: string[], lowerName: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === lowerName) return flat[i + 1];
  return undefined;
}
