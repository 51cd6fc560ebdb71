/**
 * The one response writer: every worker answer (complete, streamed, a file, 1xx interim) and every plain answer of
 * the server goes out here. One path turns a worker's status and headers into the head: validate the status,
 * split RoadRunner's trailers, flatten with the middleware's preset headers, write. Also: backpressure on streams
 * and write_timeout for clients that do not read.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Log, WorkerResponse } from '../pool/types.js';
import type { Answer, Middleware, MiddlewareChain } from './middleware/index.js';
import { sendFile } from './middleware/sendfile.js';
import type { HttpOptions } from './options.js';
import type { HeaderMap } from './proto.js';
import { decodeResponseHead, flattenHeaders, isSafeHeader, splitTrailers, type ResponseHead } from './response.js';

const NO_BODY_STATUS = new Set([204, 304]);
const EMPTY = Buffer.alloc(0);
/** How long an early answer waits for the client to stop sending before the connection is closed. */
const LINGER_MS = 3000;
const ignore = () => undefined;

/** What the head is for: the framing and trailer rules differ. */
const enum Kind {
  Full,
  File,
  Stream,
  StreamEnd,
}

/** State of one streamed answer. */
export interface StreamState {
  /** Declared by the first header of the stream, sent after the last chunk. */
  trailers: HeaderMap | undefined;
}

/** What the server tells the writer: whether it is closing (answers then close their connection). */
export interface ServerState {
  closing: boolean;
}

export type FailHandler = (res: ServerResponse, err: unknown, req: IncomingMessage) => void;

export class ResponseWriter {
  private readonly transforms: Middleware[];

  constructor(
    private readonly options: Pick<HttpOptions, 'writeTimeout' | 'maxResponseBuffer'>,
    private readonly log: Log,
    private readonly state: ServerState,
    private readonly chain: MiddlewareChain,
    private readonly fail: FailHandler,
  ) {
    this.transforms = chain.transform;
  }

  /** A plain answer of the server itself (errors, limits). */
  plain(res: ServerResponse, status: number, text: string, close = false): void {
    if (close || this.state.closing) res.shouldKeepAlive = false;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /**
   * An answer given before the request body was read (413, or an error while reading it). The client may still be
   * sending: closing now would make the kernel reset the connection, and a reset can discard the answer before the
   * client reads it. So the answer is written whole but ended only once the client has sent everything or after
   * LINGER_MS; meanwhile what arrives is read and discarded (never buffered). Then the connection closes.
   */
  early(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
    res.shouldKeepAlive = false;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    // A client waiting for `100 Continue` (not sent when the body is refused) sends no body: nothing to wait for.
    if (req.complete || awaitsContinue(req)) {
      res.end(text);
      return;
    }
    if (text === '') res.flushHeaders();
    else res.write(text);
    const finish = () => {
      clearTimeout(timer);
      req.off('end', finish);
      if (!res.writableEnded) res.end();
    };
    const timer = setTimeout(finish, LINGER_MS);
    timer.unref();
    res.once('close', finish);
    req.once('end', finish);
    req.on('data', ignore);
    req.resume();
  }

  /** A complete worker answer; returns a promise only when it takes more than one write (a file, gzip). */
  answer(req: IncomingMessage, res: ServerResponse, r: WorkerResponse): Promise<void> | undefined {
    const head = decodeResponseHead(r.flags, r.context);
    if (!this.validStatus(res, head.status)) return undefined;
    let body = r.body;
    if (head.status < 200) {
      // RoadRunner master: a lone 1xx is sent as an interim response; the handler then ends with Go's implicit 200.
      this.interim(res, head, body.length);
      head.status = 200;
      head.headers = {};
      body = EMPTY;
    }
    const answer: Answer = { status: head.status, headers: head.headers, body };
    return this.transforms.length === 0 ? this.finish(req, res, answer) : this.transformFrom(req, res, answer, 0);
  }

  /** Runs the answer transforms in order, awaiting only those that return a promise. */
  private transformFrom(req: IncomingMessage, res: ServerResponse, answer: Answer, from: number): Promise<void> | undefined {
    for (let i = from; i < this.transforms.length; i++) {
      const out = this.transforms[i]!.transform!(answer, req);
      if (out instanceof Promise) return out.then((next) => this.transformFrom(req, res, next, i + 1));
      answer = out;
    }
    return this.finish(req, res, answer);
  }

  private finish(req: IncomingMessage, res: ServerResponse, answer: Answer): Promise<void> | undefined {
    if (res.destroyed) return undefined;
    if (answer.file !== undefined) {
      return sendFile(
        res,
        answer.file,
        req.method === 'HEAD',
        (size) => this.head(req, res, answer.status, answer.headers, Kind.File, size) !== false,
      );
    }
    const trailers = this.head(req, res, answer.status, answer.headers, Kind.Full, answer.body.length);
    if (trailers === false) return undefined;
    if (trailers) {
      if (answer.body.length > 0) res.write(answer.body);
      res.addTrailers(trailerList(trailers));
      res.end();
    } else res.end(answer.body);
    // A body the client has not taken yet stays in memory: write_timeout bounds how long. Once the response is out
    // the connection has no timeout again (idle keep-alive connections are the server's sweep's).
    const socket = res.socket;
    if (socket && res.writableLength > 0 && this.options.writeTimeout > 0) {
      socket.setTimeout(this.options.writeTimeout);
      res.once('close', () => socket.setTimeout(0));
    }
    return undefined;
  }

  /**
   * One frame of a streamed answer. The first non-1xx header is applied once; 1xx frames become interim responses.
   * A promise means: the client has a backlog, read no more of this worker until it resolves.
   */
  chunk(req: IncomingMessage, res: ServerResponse, chunk: WorkerResponse, state: StreamState): Promise<void> | undefined {
    // After an error answer the worker may still be streaming: its chunks have nowhere to go.
    if (res.destroyed || res.writableEnded) return undefined;
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
      const trailers = this.head(req, res, head.status, head.headers, Kind.Stream, 0);
      if (trailers === false) return undefined;
      state.trailers = trailers;
    }
    if (chunk.body.length === 0) return undefined;
    if (!res.headersSent) this.head(req, res, 200, {}, Kind.Stream, 0);
    return res.write(chunk.body) ? undefined : this.backlog(res);
  }

  /** The last frame of a stream. */
  endStream(req: IncomingMessage, res: ServerResponse, last: WorkerResponse, state: StreamState): void {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) {
      const head = last.context.length > 0 ? decodeResponseHead(last.flags, last.context) : { status: 200, headers: {} };
      if (head.status >= 100 && head.status < 200) head.status = 200;
      if (this.head(req, res, head.status, head.headers, Kind.StreamEnd, 0) === false) return;
    }
    if (state.trailers && res.chunkedEncoding) {
      if (last.body.length > 0) res.write(last.body);
      res.addTrailers(trailerList(state.trailers));
      res.end();
    } else res.end(last.body);
  }

  /**
   * Writes the head of a worker answer. Returns the trailers to send after the body (undefined: none), or false
   * when the status was refused (a 500 went out instead).
   */
  private head(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: HeaderMap,
    kind: Kind,
    length: number,
  ): HeaderMap | undefined | false {
    if (!this.validStatus(res, status)) return false;
    const split = splitTrailers(headers);
    const isHead = req.method === 'HEAD';
    const h = flattenHeaders(split.headers, this.chain.presetHeaders(req), kind === Kind.Full && isHead);
    if (h.rejected.length > 0) this.logRejected(h.rejected);
    // Trailers need chunked framing: HTTP/1.1 and a body. Elsewhere they are dropped.
    let trailers: HeaderMap | undefined;
    if (split.trailers && req.httpVersion === '1.1') {
      if (kind === Kind.Stream || (kind === Kind.Full && !isHead && !NO_BODY_STATUS.has(status))) trailers = split.trailers;
    }
    if (trailers) h.flat.push('Trailer', Object.keys(trailers).join(', '));
    else if (kind === Kind.File || (kind === Kind.Full && !h.hasContentLength && !NO_BODY_STATUS.has(status)))
      h.flat.push('Content-Length', String(length));
    if (this.state.closing) res.shouldKeepAlive = false;
    res.writeHead(status, h.flat);
    return trailers;
  }

  interim(res: ServerResponse, head: ResponseHead, bodyLength: number): void {
    if (bodyLength > 0)
      this.log.warn({ status: head.status, bytes: bodyLength }, 'body of an informational response from the worker dropped');
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

  /** RoadRunner passes any status Go's WriteHeader takes (100-999); Go names an unknown one "status code N". */
  private validStatus(res: ServerResponse, status: number): boolean {
    if (Number.isInteger(status) && status >= 100 && status <= 999) {
      if (STATUS_CODES[status] === undefined) res.statusMessage = `status code ${status}`;
      return true;
    }
    const text = `unknown status code from worker: ${status}`;
    this.log.error({ status }, text);
    if (!res.headersSent) this.plain(res, 500, text);
    else res.destroy();
    return false;
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

  private logRejected(names: string[]): void {
    this.log.warn({ headers: names }, 'response headers with invalid names or CR/LF/NUL in values were dropped');
  }
}

function awaitsContinue(req: IncomingMessage): boolean {
  const expect = req.headers.expect;
  return expect !== undefined && expect.toLowerCase() === '100-continue' && req.readableLength === 0 && !req.readableDidRead;
}

/** Trailers as node's addTrailers takes them: repeated names as [name, value] pairs. */
function trailerList(trailers: HeaderMap): [string, string][] {
  const out: [string, string][] = [];
  for (const name in trailers) for (const value of trailers[name]!) out.push([name, value]);
  return out;
}
