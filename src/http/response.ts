/**
 * The worker's answer (roadrunner-protocol.md §3.5): a JSON or protobuf header with status and headers, then the body.
 * Header names and values that could split the response (CR, LF, NUL) are dropped, never written.
 */
import { CODEC_PROTO } from '../goridge/frame.js';
import { decodeProtoResponse, type HeaderMap } from './proto.js';

export interface ResponseHead {
  status: number;
  headers: HeaderMap;
}

export class ResponseDecodeError extends Error {
  override name = 'ResponseDecodeError';
}

/** 0x80 means protobuf; anything else (0x08, or 0 from older PHP libraries) is JSON. */
export function decodeResponseHead(flags: number, context: Buffer): ResponseHead {
  if (context.length === 0) return { status: 0, headers: {} };
  if (flags & CODEC_PROTO) {
    try {
      return decodeProtoResponse(context, 'latin1');
    } catch (err) {
      throw new ResponseDecodeError(`invalid protobuf response header from worker: ${(err as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(context.toString('utf8'));
  } catch {
    throw new ResponseDecodeError(`invalid JSON response header from worker: ${JSON.stringify(context.subarray(0, 80).toString('utf8'))}`);
  }
  if (typeof parsed !== 'object' || parsed === null)
    throw new ResponseDecodeError('the response header from the worker is not a JSON object');
  const { status, headers } = parsed as { status?: unknown; headers?: unknown };
  const out: HeaderMap = {};
  if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      if (Array.isArray(value)) out[name] = value.filter((v): v is string => typeof v === 'string').map(textToWire);
      else if (typeof value === 'string') out[name] = [textToWire(value)];
    }
  }
  return { status: typeof status === 'number' ? status : Number(status ?? 0), headers: out };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What node:http refuses to write (it throws): CR, LF, NUL and the other control characters, and anything past
// one byte. Such a header is dropped instead of failing the whole response.
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const NON_ASCII = /[^\u0000-\u007f]/; // eslint-disable-line no-control-regex

/** True when node:http can write this header without throwing and without splitting the response. */
export function isSafeHeader(name: string, value: string): boolean {
  return TOKEN.test(name) && !UNSAFE_VALUE.test(value);
}

/** A text value as the bytes of its UTF-8 form, one latin1 character per byte: node:http writes those bytes. */
export function textToWire(value: string): string {
  return NON_ASCII.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

export interface FlatHeaders {
  /** [name, value, name, value, ...] for res.writeHead; repeated names keep every value (each Set-Cookie separate). */
  flat: string[];
  hasContentLength: boolean;
  hasTransferEncoding: boolean;
  hasContentType: boolean;
  /** Names of headers that were dropped because they could inject a response split. */
  rejected: string[];
}

/** Worker headers plus preset ones (the headers middleware), validated. */
export function flattenHeaders(headers: HeaderMap, preset: Record<string, string> | undefined, keepContentLength: boolean): FlatHeaders {
  const out: FlatHeaders = { flat: [], hasContentLength: false, hasTransferEncoding: false, hasContentType: false, rejected: [] };
  const push = (name: string, value: string) => {
    if (!isSafeHeader(name, value)) {
      out.rejected.push(name);
      return;
    }
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      // The server frames the body itself; a worker's length is kept only where no body follows (HEAD).
      if (out.hasContentLength || !keepContentLength) return;
      out.hasContentLength = true;
    } else if (lower === 'transfer-encoding') {
      out.hasTransferEncoding = true;
      return;
    } else if (lower === 'trailer') {
      // Only the exact `Trailer` key declares trailers (splitTrailers); node refuses this header without chunking.
      return;
    } else if (lower === 'content-type') out.hasContentType = true;
    out.flat.push(name, value);
  };
  if (preset) for (const [name, value] of Object.entries(preset)) push(name, textToWire(value));
  for (const name in headers) {
    for (const value of headers[name]!) push(name, value);
  }
  return out;
}

/**
 * RoadRunner's trailer convention (§3.5): the exact key `Trailer` lists, comma-separated, header names of the map
 * that are sent after the body instead of before it; `Trailer` itself is not a header.
 */
export function splitTrailers(headers: HeaderMap): { headers: HeaderMap; trailers: HeaderMap | undefined } {
  const declared = headers.Trailer;
  if (declared === undefined) return { headers, trailers: undefined };
  const names = new Set<string>();
  for (const v of declared) for (const n of v.split(',')) if (n.trim() !== '') names.add(n.trim());
  const rest: HeaderMap = {};
  const trailers: HeaderMap = {};
  let any = false;
  for (const name in headers) {
    if (name === 'Trailer') continue;
    if (names.has(name)) {
      const safe = headers[name]!.filter((v) => isSafeHeader(name, v));
      if (safe.length > 0) {
        trailers[name] = safe;
        any = true;
      }
    } else rest[name] = headers[name]!;
  }
  return { headers: rest, trailers: any ? trailers : undefined };
}
