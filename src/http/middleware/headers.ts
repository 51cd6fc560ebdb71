/** The `headers` middleware: `http.headers.request` into the context, `response` and CORS onto answers, preflights. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { canonicalHeaderName } from '../context.js';
import type { CorsOptions } from '../options.js';
import type { RequestContext } from '../proto.js';
import { Cors } from './cors.js';
import type { Middleware, RequestResult } from './types.js';

export function headersMiddleware(options: {
  request: Record<string, string>;
  response: Record<string, string>;
  cors?: CorsOptions;
}): Middleware {
  const cors = options.cors ? new Cors(options.cors) : undefined;
  const request = Object.entries(options.request).map(([name, value]) => [canonicalHeaderName(name), value] as const);
  const response = Object.keys(options.response).length > 0 ? options.response : undefined;
  const mw: { -readonly [K in keyof Middleware]: Middleware[K] } = { name: 'headers' };
  if (request.length > 0) {
    mw.context = (ctx: RequestContext) => {
      for (const [name, value] of request) (ctx.headers[name] ??= []).push(value);
    };
  }
  if (cors) {
    mw.request = (req: IncomingMessage, res: ServerResponse): RequestResult => {
      const pre = cors.preflight(req);
      if (!pre) return 'next';
      res.writeHead(pre.status, pre.headers).end();
      return 'done';
    };
    mw.responseHeaders = (req) => ({ ...response, ...cors.responseHeaders(req) });
  } else if (response) {
    mw.responseHeaders = () => response;
  }
  return mw;
}
