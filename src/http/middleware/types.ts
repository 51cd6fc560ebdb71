/**
 * The HTTP middleware interface. Each hook is optional; a middleware implements the ones it needs:
 * - `request`: before the worker; may answer the request itself (static files, CORS preflight).
 * - `context`: adjusts what the worker receives (extra request headers, the client IP behind a proxy).
 * - `responseHeaders`: headers set before the worker's own on every worker answer (full, streamed, file).
 * - `transform`: rewrites a complete worker answer before it is written (gzip, sendfile).
 * Hooks are synchronous unless they need I/O: a promise is awaited only when one is returned.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderMap, RequestContext } from '../proto.js';

/** A complete worker answer on its way to the client. `file` replaces `body` with a file streamed from disk. */
export interface Answer {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  file?: string;
}

export type RequestResult = 'next' | 'done';

export interface Middleware {
  /** The name in `http.middleware`. */
  readonly name: string;
  request?(req: IncomingMessage, res: ServerResponse): RequestResult | Promise<RequestResult>;
  context?(ctx: RequestContext, req: IncomingMessage): void;
  responseHeaders?(req: IncomingMessage): Record<string, string> | undefined;
  transform?(answer: Answer, req: IncomingMessage): Answer | Promise<Answer>;
}
