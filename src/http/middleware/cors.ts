/** CORS for the `headers` middleware (`http.headers.cors`): answers preflights, decorates actual responses. */
import type { IncomingMessage } from 'node:http';
import type { CorsOptions } from '../options.js';

export class Cors {
  private readonly origins: string[];
  private readonly originRegex: RegExp | undefined;

  constructor(private readonly options: CorsOptions) {
    this.origins = (options.allowed_origin ?? '*')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    this.originRegex = options.allowed_origin_regex ? new RegExp(options.allowed_origin_regex) : undefined;
  }

  private allowedOrigin(origin: string): string | undefined {
    if (this.origins.includes('*')) return this.options.allow_credentials ? origin : '*';
    if (this.origins.includes(origin) || this.originRegex?.test(origin)) return origin;
    return undefined;
  }

  /** A preflight answer (status + headers), or undefined when the request is not a preflight. */
  preflight(req: IncomingMessage): { status: number; headers: Record<string, string> } | undefined {
    const origin = req.headers.origin;
    if (req.method !== 'OPTIONS' || !origin || !req.headers['access-control-request-method']) return undefined;
    const headers: Record<string, string> = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
    const allowed = this.allowedOrigin(origin);
    if (allowed) {
      headers['access-control-allow-origin'] = allowed;
      headers['access-control-allow-methods'] = this.options.allowed_methods ?? 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS';
      headers['access-control-allow-headers'] =
        this.options.allowed_headers ?? String(req.headers['access-control-request-headers'] ?? '*');
      if (this.options.allow_credentials) headers['access-control-allow-credentials'] = 'true';
      if (this.options.max_age) headers['access-control-max-age'] = String(this.options.max_age);
    }
    return { status: this.options.options_success_status ?? 204, headers };
  }

  /** Headers added to an actual (non-preflight) response. */
  responseHeaders(req: IncomingMessage): Record<string, string> | undefined {
    const origin = req.headers.origin;
    if (!origin) return undefined;
    const allowed = this.allowedOrigin(origin);
    if (!allowed) return { vary: 'Origin' };
    const headers: Record<string, string> = { 'access-control-allow-origin': allowed, vary: 'Origin' };
    if (this.options.allow_credentials) headers['access-control-allow-credentials'] = 'true';
    if (this.options.exposed_headers) headers['access-control-expose-headers'] = this.options.exposed_headers;
    return headers;
  }
}
