/** Normalized HTTP plugin options (bytes, milliseconds); the config layer fills them from `http:`. */
import { readFileSync } from 'node:fs';
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
  /**
   * Milliseconds to receive a whole request, headers and body (Go's ReadTimeout, 5 min in RoadRunner); a client
   * that stalls gets a 408 and is closed. 0: no limit.
   */
  readTimeout: number;
  /** Milliseconds a response write may wait for a client that does not read (RoadRunner: 5 min). 0: no limit. */
  writeTimeout: number;
  /**
   * Bytes of a streamed response held for a client that reads slower than the worker writes; past it the client is
   * cut and the worker's stream stopped. Reached only while the pool cannot pause a worker's output.
   */
  maxResponseBuffer: number;
  /** Open client connections at most; more are closed at once. 0: no cap. */
  maxConnections: number;
  /**
   * Milliseconds an idle keep-alive connection stays open after its last response (not a RoadRunner key: Go's
   * http.Server keeps them as long as its IdleTimeout). Default 60 s.
   */
  keepAliveTimeout?: number;
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

/** RoadRunner's defaults (roadrunner-protocol.md §3.8); `address` has none there, tests pass port 0. */
export const HTTP_DEFAULTS: Readonly<Omit<HttpOptions, 'static' | 'headers' | 'observer'>> = Object.freeze({
  address: '127.0.0.1:8080',
  internalErrorCode: 500,
  maxRequestSize: 1000 * 1024 * 1024,
  maxFormSize: 10 * 1024 * 1024,
  readTimeout: 5 * 60_000,
  writeTimeout: 5 * 60_000,
  maxResponseBuffer: 64 * 1024 * 1024,
  maxConnections: defaultMaxConnections(),
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

/**
 * Three quarters of the open-files limit (at least 64 descriptors kept back): workers' pipes, upload temp files,
 * static files and a replacement worker still get descriptors when clients hold every connection they can.
 * 0 (no cap) where the limit cannot be read or is unlimited.
 */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8'); // once, at startup
  } catch {
    return 0;
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m || m[1] === 'unlimited') return 0;
  const soft = Number(m[1]);
  return Math.max(1, soft - Math.max(64, Math.ceil(soft / 4)));
}
