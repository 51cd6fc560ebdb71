/**
 * Hand-written protobuf for RoadRunner's `http.v1` messages (the hot path: no reflection, one allocation):
 *   Request  { string remote_addr=1; string protocol=2; string method=3; string uri=4; map<string,HeaderValue> header=5;
 *              map<string,HeaderValue> cookies=6; string raw_query=7; bool parsed=8; bytes uploads=9;
 *              map<string,HeaderValue> attributes=10 }
 *   Response { int64 status=1; map<string,HeaderValue> headers=2 }
 *   HeaderValue { repeated bytes value=1 }
 */

export type HeaderMap = Record<string, string[]>;

export interface RequestContext {
  remoteAddr: string;
  protocol: string;
  method: string;
  uri: string;
  headers: HeaderMap;
  cookies: Record<string, string>;
  rawQuery: string;
  parsed: boolean;
  /** JSON text of the uploads tree, or '' when there are none. */
  uploads: string;
  attributes: Record<string, string>;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  bytesField(tag: number, s: string, len: number): void {
    this.buf[this.pos++] = tag;
    this.varint(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }
}

function stringFieldSize(len: number): number {
  return len === 0 ? 0 : 1 + varintSize(len) + len;
}

/** Sizes of each map entry, computed once and reused by the writer. */
interface MapPlan {
  keys: string[];
  keyLens: number[];
  valueLens: number[][];
  hvLens: number[];
  entryLens: number[];
  total: number;
}

function planMap(map: Record<string, string[] | string>): MapPlan {
  const plan: MapPlan = { keys: [], keyLens: [], valueLens: [], hvLens: [], entryLens: [], total: 0 };
  for (const key in map) {
    const raw = map[key]!;
    const values = typeof raw === 'string' ? [raw] : raw;
    const keyLen = Buffer.byteLength(key);
    const lens: number[] = [];
    let hv = 0;
    for (const v of values) {
      const l = Buffer.byteLength(v);
      lens.push(l);
      hv += 1 + varintSize(l) + l;
    }
    const entry = stringFieldSize(keyLen) + 1 + varintSize(hv) + hv;
    plan.keys.push(key);
    plan.keyLens.push(keyLen);
    plan.valueLens.push(lens);
    plan.hvLens.push(hv);
    plan.entryLens.push(entry);
    plan.total += 1 + varintSize(entry) + entry;
  }
  return plan;
}

function writeMap(w: Writer, tag: number, map: Record<string, string[] | string>, plan: MapPlan): void {
  for (let i = 0; i < plan.keys.length; i++) {
    const key = plan.keys[i]!;
    const raw = map[key]!;
    const values = typeof raw === 'string' ? [raw] : raw;
    w.buf[w.pos++] = tag;
    w.varint(plan.entryLens[i]!);
    if (plan.keyLens[i]! > 0) w.bytesField(0x0a, key, plan.keyLens[i]!);
    w.buf[w.pos++] = 0x12;
    w.varint(plan.hvLens[i]!);
    const lens = plan.valueLens[i]!;
    for (let j = 0; j < values.length; j++) w.bytesField(0x0a, values[j]!, lens[j]!);
  }
}

export function encodeProtoRequest(ctx: RequestContext): Buffer {
  const lRemote = Buffer.byteLength(ctx.remoteAddr);
  const lProto = Buffer.byteLength(ctx.protocol);
  const lMethod = Buffer.byteLength(ctx.method);
  const lUri = Buffer.byteLength(ctx.uri);
  const lQuery = Buffer.byteLength(ctx.rawQuery);
  const lUploads = Buffer.byteLength(ctx.uploads);
  const headers = planMap(ctx.headers);
  const cookies = planMap(ctx.cookies);
  const attributes = planMap(ctx.attributes);
  const size =
    stringFieldSize(lRemote) +
    stringFieldSize(lProto) +
    stringFieldSize(lMethod) +
    stringFieldSize(lUri) +
    headers.total +
    cookies.total +
    stringFieldSize(lQuery) +
    (ctx.parsed ? 2 : 0) +
    stringFieldSize(lUploads) +
    attributes.total;
  const w = new Writer(Buffer.allocUnsafe(size));
  if (lRemote) w.bytesField(0x0a, ctx.remoteAddr, lRemote);
  if (lProto) w.bytesField(0x12, ctx.protocol, lProto);
  if (lMethod) w.bytesField(0x1a, ctx.method, lMethod);
  if (lUri) w.bytesField(0x22, ctx.uri, lUri);
  writeMap(w, 0x2a, ctx.headers, headers);
  writeMap(w, 0x32, ctx.cookies, cookies);
  if (lQuery) w.bytesField(0x3a, ctx.rawQuery, lQuery);
  if (ctx.parsed) {
    w.buf[w.pos++] = 0x40;
    w.buf[w.pos++] = 1;
  }
  if (lUploads) w.bytesField(0x4a, ctx.uploads, lUploads);
  writeMap(w, 0x52, ctx.attributes, attributes);
  return w.buf;
}

export class ProtoDecodeError extends Error {
  override name = 'ProtoDecodeError';
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end = buf.length,
  ) {}

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ProtoDecodeError('varint too long');
  }

  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.end) throw new ProtoDecodeError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ProtoDecodeError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new ProtoDecodeError('truncated field');
  }
}

function decodeHeaderValue(buf: Buffer, encoding: BufferEncoding): string[] {
  const r = new Reader(buf);
  const out: string[] = [];
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) out.push(r.bytes().toString(encoding));
    else r.skip(tag & 7);
  }
  return out;
}

function decodeMapEntry(buf: Buffer, into: HeaderMap, encoding: BufferEncoding = 'utf8'): void {
  const r = new Reader(buf);
  let key = '';
  let values: string[] = [];
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) key = r.bytes().toString('utf8');
    else if (tag === 0x12) values = decodeHeaderValue(r.bytes(), encoding);
    else r.skip(tag & 7);
  }
  const prev = into[key];
  into[key] = prev ? prev.concat(values) : values;
}

export interface DecodedResponse {
  status: number;
  headers: HeaderMap;
}

/**
 * `valueEncoding: 'latin1'` keeps header values as raw bytes (one character per byte), which is how node:http
 * writes them: the client then gets exactly the bytes the worker sent.
 */
export function decodeProtoResponse(buf: Buffer, valueEncoding: BufferEncoding = 'utf8'): DecodedResponse {
  const r = new Reader(buf);
  let status = 0;
  const headers: HeaderMap = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x08) {
      // int64: negative values arrive as 10-byte two's complement; anything outside 100..599 is rejected later.
      const v = r.varint();
      status = v > Number.MAX_SAFE_INTEGER ? -1 : v;
    } else if (tag === 0x12) decodeMapEntry(r.bytes(), headers, valueEncoding);
    else r.skip(tag & 7);
  }
  return { status, headers };
}

/** Decodes a Request (used by tests and by tools; the server only encodes requests). */
export function decodeProtoRequest(buf: Buffer): RequestContext {
  const r = new Reader(buf);
  const ctx: RequestContext = {
    remoteAddr: '',
    protocol: '',
    method: '',
    uri: '',
    headers: {},
    cookies: {},
    rawQuery: '',
    parsed: false,
    uploads: '',
    attributes: {},
  };
  const cookies: HeaderMap = {};
  const attributes: HeaderMap = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case 0x0a:
        ctx.remoteAddr = r.bytes().toString();
        break;
      case 0x12:
        ctx.protocol = r.bytes().toString();
        break;
      case 0x1a:
        ctx.method = r.bytes().toString();
        break;
      case 0x22:
        ctx.uri = r.bytes().toString();
        break;
      case 0x2a:
        decodeMapEntry(r.bytes(), ctx.headers);
        break;
      case 0x32:
        decodeMapEntry(r.bytes(), cookies);
        break;
      case 0x3a:
        ctx.rawQuery = r.bytes().toString();
        break;
      case 0x40:
        ctx.parsed = r.varint() !== 0;
        break;
      case 0x4a:
        ctx.uploads = r.bytes().toString();
        break;
      case 0x52:
        decodeMapEntry(r.bytes(), attributes);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  for (const [k, v] of Object.entries(cookies)) ctx.cookies[k] = v[0] ?? '';
  for (const [k, v] of Object.entries(attributes)) ctx.attributes[k] = v[0] ?? '';
  return ctx;
}

/** Encodes a Response (used by tests and fixtures; the server only decodes responses). */
export function encodeProtoResponse(status: number, headers: HeaderMap): Buffer {
  const plan = planMap(headers);
  const w = new Writer(Buffer.allocUnsafe(1 + varintSize(status) + plan.total));
  w.buf[w.pos++] = 0x08;
  w.varint(status);
  writeMap(w, 0x12, headers, plan);
  return w.buf.subarray(0, w.pos);
}
