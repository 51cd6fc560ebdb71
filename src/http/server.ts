/**
 * The HTTP plugin's server: node:http in front of the worker pool. This file is the lifecycle (listen, limits on
 * connections and slow clients, graceful close) and malformed-request handling; a request's way through the
 * middleware to a worker is handler.ts, every answer goes out through writer.ts, failures map in errors.ts.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import { listen, parseAddress } from '../net/listen.js';
import type { Log, WorkerPool } from '../pool/types.js';
import { ErrorMapper } from './errors.js';
import { RequestHandler, type ResponseTracker } from './handler.js';
import { MiddlewareChain, buildMiddleware } from './middleware/index.js';
import type { HttpOptions } from './options.js';
import { ResponseWriter, type ServerState } from './writer.js';

export type { HttpOptions } from './options.js';

export interface HttpPlugin {
  readonly server: http.Server;
  listen(): Promise<{ port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), closes idle keep-alive connections. */
  close(graceMs: number): Promise<void>;
}

/** How long a closing server lets idle keep-alive connections carry one more request. */
const IDLE_CLOSE_MS = 1000;
/**
 * Idle keep-alive connections stay open for a minute by default (RoadRunner keeps them an hour, Node's default is
 * 5 s): long enough for clients and load balancers that reuse connections; shutdown closes them anyway.
 */
const KEEP_ALIVE_MS = 60_000;
/** Idle connections are checked 12 times per keep-alive time: one is closed 1 to 13/12 of it after its last response. */
const IDLE_SWEEPS = 13;

export function createHttpServer(options: HttpOptions, pool: WorkerPool, log: Log): HttpPlugin {
  return new HttpServer(options, pool, log);
}

class HttpServer implements HttpPlugin, ResponseTracker {
  readonly server: http.Server;
  private readonly handler: RequestHandler;
  private readonly state: ServerState = { closing: false };
  /** Responses in progress; on close, those not yet started are told to close their connection. */
  private readonly active = new Set<ServerResponse>();
  /**
   * Open client connections, each with its response in progress (to tell garbage after a request from a request), or
   * when idle the sweep count at which it became idle.
   */
  private readonly sockets = new Map<Socket, ServerResponse | number>();
  private sweeps = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;

  constructor(
    private readonly options: HttpOptions,
    pool: WorkerPool,
    private readonly log: Log,
  ) {
    const chain = new MiddlewareChain(buildMiddleware(options, log));
    const errors = new ErrorMapper(options, log);
    const writer = new ResponseWriter(options, log, this.state, chain, (res, err, req) => errors.fail(res, err, req));
    errors.writer = writer;
    this.handler = new RequestHandler(options, pool, log, chain, writer, errors, this.state);

    // Slow headers are cut after 60 s, a whole request after read_timeout (node checks every interval). Idle
    // keep-alive connections are closed by closeIdle(), not by node's keepAliveTimeout: that re-arms a timer on
    // the socket per request (set after the response, cleared at the next request, pushed back on every read).
    const read = options.readTimeout;
    this.server = http.createServer(
      {
        requestTimeout: read,
        headersTimeout: read > 0 ? Math.min(60_000, read) : 60_000,
        connectionsCheckingInterval: read > 0 ? Math.min(30_000, Math.max(100, Math.floor(read / 10))) : 30_000,
        keepAliveTimeout: 0,
      },
      (req, res) => this.request(req, res),
    );
    // Past the cap node closes a new connection at once: descriptors stay for workers, uploads and files.
    if (options.maxConnections > 0) this.server.maxConnections = options.maxConnections;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, this.sweeps);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.clientError(err, socket));
    // `Expect: 100-continue`: a body already declared too large is refused before the client sends any of it.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!(Number(req.headers['content-length']) > this.options.maxRequestSize)) res.writeContinue();
      this.request(req, res);
    });
  }

  async listen(): Promise<{ port: number }> {
    const port = await listen(this.server, parseAddress(this.options.address, 'http.address'));
    const keepAlive = this.options.keepAliveTimeout ?? KEEP_ALIVE_MS;
    this.sweeper = setInterval(() => this.closeIdle(), Math.max(10, Math.floor(keepAlive / (IDLE_SWEEPS - 1)))).unref();
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
    this.state.closing = true;
    clearInterval(this.sweeper);
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
    this.server.close(); // only to stop node's connection-checking timer: the listener is already closed
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    this.active.add(res);
    this.sockets.set(req.socket, res);
    this.handler.handle(req, res, this);
  }

  /** A response closed (finished or aborted). */
  closed(res: ServerResponse): void {
    this.active.delete(res);
    const socket = res.req.socket;
    if (this.sockets.get(socket) === res) this.sockets.set(socket, this.sweeps);
    if (this.active.size === 0 && this.drained) this.drained();
  }

  /** Closes connections idle for the keep-alive time: no request since their last response (or since they opened). */
  private closeIdle(): void {
    const now = ++this.sweeps;
    for (const [socket, state] of this.sockets) {
      if (typeof state === 'number' && now - state >= IDLE_SWEEPS) socket.destroy();
    }
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
    const pending = this.sockets.get(socket);
    if (typeof pending === 'object' && pending.req.complete && !pending.writableEnded) {
      this.log.debug({ code: err.code }, 'malformed data after a request: closing once its response is sent');
      pending.shouldKeepAlive = false;
      pending.once('finish', () => socket.end());
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    this.log.debug({ code: err.code, status }, 'malformed request');
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
}
