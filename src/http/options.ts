/** Normalized HTTP plugin options (bytes, milliseconds); the config layer fills them from `http:`. */
import { tmpdir } from 'node:os';
import type { RequestObserver } from '../metrics/index.js';

export interface CorsOptions {
  allowed_origin?: string;
  allowed_origin_regex?: string;
  allowed_headers?: string;
  allowed_methods?: string;
  allow_credentials?: boolean;
  exposed_headers?: string;
  max_age?: number;
  options_success_status?: number;
  debug?: boolean;
}

export interface StaticOptions {
  dir: string;
  forbid: string[];
  allow: string[];
  calculateEtag: boolean;
  weak: boolean;
  request: Record<string, string>;
  response: Record<string, string>;
}

export interface HttpOptions {
  /** host:port; port 0 picks a free port. */
  address: string;
  internalErrorCode: number;
  /** Bytes. */
  maxRequestSize: number;
  /** Bytes of urlencoded body (or multipart non-file fields) parsed into a form; Go's net/http caps it at 10 MB. */
  maxFormSize: number;
  rawBody: boolean;
  accessLogs: boolean;
  /** Codec of the request context sent to workers. */
  codec: 'json' | 'proto';
  middleware: string[];
  uploads: { dir: string; forbid: string[]; allow: string[] };
  static?: StaticOptions;
  headers?: { request: Record<string, string>; response: Record<string, string>; cors?: CorsOptions };
  trustedSubnets: string[];
  /** pool.debug: error text in 500 bodies. */
  poolDebug: boolean;
  observer?: RequestObserver;
}

export const KNOWN_MIDDLEWARE = new Set(['static', 'headers', 'gzip', 'proxy_ip_parser', 'http_metrics', 'sendfile']);

/** RoadRunner's defaults (roadrunner-protocol.md §3.8); `address` has none there, tests pass port 0. */
export const HTTP_DEFAULTS: Readonly<Omit<HttpOptions, 'static' | 'headers' | 'observer'>> = Object.freeze({
  address: '127.0.0.1:8080',
  internalErrorCode: 500,
  maxRequestSize: 1000 * 1024 * 1024,
  maxFormSize: 10 * 1024 * 1024,
  rawBody: false,
  accessLogs: false,
  codec: 'json',
  middleware: [],
  uploads: { dir: tmpdir(), forbid: [], allow: [] },
  trustedSubnets: [],
  poolDebug: false,
});

/** Complete options from a partial set: `HTTP_DEFAULTS` for every missing field. */
export function httpOptionsWithDefaults(partial: Partial<HttpOptions>): HttpOptions {
  return { ...HTTP_DEFAULTS, uploads: { ...HTTP_DEFAULTS.uploads }, middleware: [], trustedSubnets: [], ...partial };
}
