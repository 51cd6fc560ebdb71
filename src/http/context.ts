/**
 * The request context exactly as RoadRunner builds it (roadrunner-protocol.md §3.2): Go-canonical header names
 * without Host, an absolute uri, the client IP without port, URL-unescaped cookies, the raw query.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { HeaderMap, RequestContext } from './proto.js';

const canonicalCache = new Map<string, string>();

function isTokenChar(c: number): boolean {
  // RFC 7230 tchar
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x21 ||
    (c >= 0x23 && c <= 0x27) ||
    c === 0x2a ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5e ||
    c === 0x5f ||
    c === 0x60 ||
    c === 0x7c ||
    c === 0x7e
  );
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-foo-bar` → `X-Foo-Bar`; names with invalid characters are left alone. */
export function canonicalHeaderName(name: string): string {
  const cached = canonicalCache.get(name);
  if (cached !== undefined) return cached;
  let out = name;
  let valid = name.length > 0;
  for (let i = 0; i < name.length; i++) {
    if (!isTokenChar(name.charCodeAt(i))) {
      valid = false;
      break;
    }
  }
  if (valid) {
    let upper = true;
    let s = '';
    for (let i = 0; i < name.length; i++) {
      const ch = name[i]!;
      s += upper ? ch.toUpperCase() : ch.toLowerCase();
      upper = ch === '-';
    }
    out = s;
  }
  if (canonicalCache.size < 10_000) canonicalCache.set(name, out);
  return out;
}

/** Go's url.QueryUnescape: `+` is a space, `%XX` must be valid; undefined when it is not. */
export function queryUnescape(s: string): string | undefined {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** Go's validCookieValueByte: printable ASCII except `"`, `;` and `\`; other cookies are skipped. */
function validCookieValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x3b || c === 0x5c) return false;
  }
  return true;
}

/** Cookies as Go's Request.Cookies() reads them, unescaped; a later duplicate wins; undecodable ones are dropped. */
export function parseCookies(headers: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of headers) {
    for (const part of header.split(';')) {
      const trimmed = part.trim();
      if (trimmed === '') continue;
      const eq = trimmed.indexOf('=');
      const name = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim();
      if (name === '' || !isToken(name)) continue;
      let value = eq < 0 ? '' : trimmed.slice(eq + 1);
      if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (!validCookieValue(value)) continue;
      const unescaped = queryUnescape(value);
      if (unescaped !== undefined) out[name] = unescaped;
    }
  }
  return out;
}

/** The client IP without port; IPv4-mapped IPv6 addresses become dotted quads, as Go reports them. */
export function remoteIp(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

const CRLF = /[\r\n]/g;
const HIGH_BYTE = /[\x80-\xff]/;

/**
 * node:http gives header bytes as latin1 characters; workers expect the bytes the client sent (Go passes them
 * through), which for non-ASCII values is UTF-8. Re-reading such a value as UTF-8 restores it.
 */
export function wireToText(value: string): string {
  return HIGH_BYTE.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

export interface BuiltContext {
  ctx: RequestContext;
  /** Lower-cased content-type, for the body rules. */
  contentType: string;
}

/** Builds the context; the body-dependent fields (parsed, uploads) are filled by the caller. */
export function buildContext(req: IncomingMessage, extraHeaders?: Record<string, string>): BuiltContext {
  const headers: HeaderMap = {};
  const raw = req.rawHeaders;
  const cookieHeaders: string[] = [];
  let host = '';
  let contentType = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = wireToText(raw[i + 1]!);
    const lower = name.length === 4 || name.length === 6 || name.length === 12 ? name.toLowerCase() : '';
    if (lower === 'host') {
      if (host === '') host = value;
      continue;
    }
    if (lower === 'cookie') cookieHeaders.push(value);
    else if (lower === 'content-type') contentType = value.toLowerCase();
    const key = canonicalHeaderName(name);
    const list = headers[key];
    if (list) list.push(value);
    else headers[key] = [value];
  }
  if (extraHeaders) {
    for (const [name, value] of Object.entries(extraHeaders)) {
      const key = canonicalHeaderName(name);
      (headers[key] ??= []).push(value);
    }
  }
  const target = wireToText(req.url ?? '/').replace(CRLF, '');
  const q = target.indexOf('?');
  const absolute = target.startsWith('http://') || target.startsWith('https://');
  const scheme = (req.socket as TLSSocket).encrypted ? 'https://' : 'http://';
  const ctx: RequestContext = {
    remoteAddr: remoteIp(req),
    protocol: `HTTP/${req.httpVersion}`,
    method: req.method ?? 'GET',
    uri: absolute ? absoluteFormUri(target, scheme, host) : scheme + host.replace(CRLF, '') + target,
    headers,
    cookies: cookieHeaders.length > 0 ? parseCookies(cookieHeaders) : {},
    rawQuery: q < 0 ? '' : target.slice(q + 1),
    parsed: false,
    uploads: '',
    attributes: {},
  };
  return { ctx, contentType };
}

/**
 * An absolute-form target (`GET https://other.example/x HTTP/1.1`, as sent to proxies) never decides the scheme (the
 * connection does) nor, when a Host header came with it, the host: an app behind a proxy that checked Host must not
 * be handed another one, nor `https` over plain HTTP. RoadRunner passes such a target on as sent.
 */
function absoluteFormUri(target: string, scheme: string, host: string): string {
  const authorityStart = target.indexOf('//') + 2;
  let pathStart = authorityStart;
  while (pathStart < target.length && target[pathStart] !== '/' && target[pathStart] !== '?') pathStart++;
  const path = target.slice(pathStart);
  const authority = host !== '' ? host : target.slice(authorityStart, pathStart);
  return scheme + authority.replace(CRLF, '') + (path.startsWith('/') ? path : `/${path}`);
}

/** The JSON codec's context (RoadRunner ≤ 2023.3 and every PHP worker version). */
export function encodeJsonContext(ctx: RequestContext, uploads: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      remoteAddr: ctx.remoteAddr,
      protocol: ctx.protocol,
      method: ctx.method,
      uri: ctx.uri,
      headers: ctx.headers,
      cookies: ctx.cookies,
      rawQuery: ctx.rawQuery,
      parsed: ctx.parsed,
      uploads: uploads ?? null,
      attributes: ctx.attributes,
    }),
  );
}
