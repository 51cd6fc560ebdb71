/**
 * Builds the middleware list from `http.middleware`, in config order. As in RoadRunner, the last entry is the
 * outermost: its request hook runs first, and the first entry's answer transform runs first (closest to the worker).
 */
import type { IncomingMessage } from 'node:http';
import type { Log } from '../../pool/types.js';
import type { HttpOptions } from '../options.js';
import { gzipMiddleware } from './gzip.js';
import { headersMiddleware } from './headers.js';
import { proxyIpMiddleware } from './proxy-ip.js';
import { sendfileMiddleware } from './sendfile.js';
import { staticMiddleware } from './static.js';
import type { Middleware } from './types.js';

export type { Answer, Middleware, RequestResult } from './types.js';

export function buildMiddleware(options: HttpOptions, log: Log): Middleware[] {
  const out: Middleware[] = [];
  for (const name of new Set(options.middleware)) {
    switch (name) {
      case 'static':
        if (options.static) out.push(staticMiddleware(options.static));
        else log.warn('the static middleware is listed but http.static is not configured');
        break;
      case 'headers':
        if (options.headers) out.push(headersMiddleware(options.headers));
        break;
      case 'gzip':
        out.push(gzipMiddleware);
        break;
      case 'proxy_ip_parser':
        if (options.trustedSubnets.length > 0) out.push(proxyIpMiddleware(options.trustedSubnets));
        break;
      case 'sendfile':
        out.push(sendfileMiddleware);
        break;
      case 'http_metrics':
        break; // the metrics plugin observes every request through options.observer
      default:
        log.warn({ middleware: name }, 'unknown http middleware is ignored');
    }
  }
  return out;
}

/** The hooks of a middleware list, in the order they run. */
export class MiddlewareChain {
  readonly request: Middleware[];
  readonly context: Middleware[];
  readonly responseHeaders: Middleware[];
  readonly transform: Middleware[];

  constructor(list: Middleware[]) {
    const outerFirst = [...list].reverse();
    this.request = outerFirst.filter((m) => m.request);
    this.context = outerFirst.filter((m) => m.context);
    this.responseHeaders = list.filter((m) => m.responseHeaders);
    this.transform = list.filter((m) => m.transform);
  }

  /** Headers set before the worker's own; no allocation with one or no provider. */
  presetHeaders(req: IncomingMessage): Record<string, string> | undefined {
    const hooks = this.responseHeaders;
    if (hooks.length === 0) return undefined;
    if (hooks.length === 1) return hooks[0]!.responseHeaders!(req);
    let out: Record<string, string> | undefined;
    for (const m of hooks) {
      const h = m.responseHeaders!(req);
      if (h) out = { ...out, ...h };
    }
    return out;
  }
}
