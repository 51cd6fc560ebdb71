/**
 * Goridge v3 frame encoding (roadrunner-protocol.md §1): a 12-byte header (version/HL, flags, payload length, CRC-32
 * of bytes 0–5, stream byte, reserved), 0–10 uint32 LE options, then the payload.
 */

/** Flag bits (byte 1). Codec bits are ORed into the byte, they are not exclusive. */
export const CONTROL = 0x01;
export const CODEC_RAW = 0x04;
export const CODEC_JSON = 0x08;
export const CODEC_MSGPACK = 0x10;
export const CODEC_GOB = 0x20;
export const ERROR = 0x40;
export const CODEC_PROTO = 0x80;

export const Flag = {
  CONTROL,
  RAW: CODEC_RAW,
  JSON: CODEC_JSON,
  MSGPACK: CODEC_MSGPACK,
  GOB: CODEC_GOB,
  ERROR,
  PROTO: CODEC_PROTO,
} as const;

/** Stream bits (byte 10). */
export const STREAM = 0x01;
export const STOP = 0x02;
export const PING = 0x04;
export const PONG = 0x08;

export const StreamBit = { STREAM, STOP, PING, PONG } as const;

export const HEADER_SIZE = 12;
export const MAX_OPTIONS = 10;
export const VERSION = 1;

/** A decoded frame. `payload` may be a view into a larger buffer received from the socket. */
export interface Frame {
  flags: number;
  /** Byte 10: STREAM/STOP/PING/PONG bits. */
  stream: number;
  options: number[];
  payload: Buffer;
}

let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array, start: number, end: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32/IEEE of `buf[offset .. offset+6)`, the part of the header the checksum covers. Six table lookups in JS:
 * cheaper than a call into zlib.crc32, which needs a subarray view per frame.
 */
export function headerCrc(buf: Buffer, offset = 0): number {
  return tableCrc32(buf, offset, offset + 6);
}

function writeHeader(buf: Buffer, hl: number, flags: number, length: number, stream: number): void {
  buf[0] = (VERSION << 4) | hl;
  buf[1] = flags;
  buf.writeUInt32LE(length, 2);
  buf.writeUInt32LE(headerCrc(buf), 6);
  buf[10] = stream;
  buf[11] = 0;
}

/**
 * Encodes one frame into a single buffer (header, options, payload), so the caller can send it with one write.
 * `payload` may be split in parts (e.g. context and body); they are copied once.
 */
export function encodeFrame(flags: number, options: readonly number[], payload: Buffer | readonly Buffer[] = [], stream = 0): Buffer {
  if (options.length > MAX_OPTIONS) throw new RangeError(`a frame carries at most ${MAX_OPTIONS} options, got ${options.length}`);
  const parts: readonly Buffer[] = Buffer.isBuffer(payload) ? [payload] : payload;
  let length = 0;
  for (const p of parts) length += p.length;
  if (length > 0xffffffff) throw new RangeError(`frame payload too large: ${length} bytes (max 4 GiB - 1)`);
  const head = HEADER_SIZE + options.length * 4;
  const buf = Buffer.allocUnsafe(head + length);
  writeHeader(buf, 3 + options.length, flags, length, stream);
  for (let i = 0; i < options.length; i++) buf.writeUInt32LE(options[i]! >>> 0, HEADER_SIZE + i * 4);
  let off = head;
  for (const p of parts) off += p.copy(buf, off);
  return buf;
}

/** The worker request/response frame: one option (context length), payload = context ‖ body. No intermediate arrays. */
export function encodePayloadFrame(flags: number, context: Buffer, body: Buffer, stream = 0): Buffer {
  const buf = allocPayloadFrame(flags, context, body.length, stream);
  body.copy(buf, PAYLOAD_HEAD + context.length);
  return buf;
}

/** Bytes of a payload frame before its context: the header and the one option. */
export const PAYLOAD_HEAD = HEADER_SIZE + 4;

/**
 * A payload frame whose header and context are written and whose body (`bodyLength` bytes from
 * PAYLOAD_HEAD + context.length) the caller fills in, e.g. straight from the socket: the body is never copied again.
 */
export function allocPayloadFrame(flags: number, context: Buffer, bodyLength: number, stream = 0): Buffer {
  const length = context.length + bodyLength;
  if (length > 0xffffffff) throw new RangeError(`frame payload too large: ${length} bytes (max 4 GiB - 1)`);
  const buf = Buffer.allocUnsafe(PAYLOAD_HEAD + length);
  writeHeader(buf, 4, flags, length, stream);
  buf.writeUInt32LE(context.length, HEADER_SIZE);
  context.copy(buf, PAYLOAD_HEAD);
  return buf;
}

/** A control frame (CONTROL|JSON, no options) with a JSON document, e.g. `{"pid":1}` or `{"stop":true}`. */
export function encodeControlFrame(json: unknown): Buffer {
  return encodeFrame(CONTROL | CODEC_JSON, [], Buffer.from(JSON.stringify(json)));
}

/** Pre-built frames the server sends often. */
export const STOP_CONTROL_FRAME: Buffer = encodeControlFrame({ stop: true });
export const STREAM_STOP_FRAME: Buffer = encodeFrame(0, [], [], STOP);
export const PONG_FRAME: Buffer = encodeFrame(0, [], [], PONG);

/** Decodes exactly one complete frame from `buf` (test helper and small-message convenience). */
export function decodeFrame(buf: Buffer): Frame {
  if (buf.length < HEADER_SIZE) throw new RangeError(`frame too short: ${buf.length} bytes`);
  const hl = buf[0]! & 0x0f;
  const len = buf.readUInt32LE(2);
  if (hl < 3 || hl > 3 + MAX_OPTIONS || buf.readUInt32LE(6) !== headerCrc(buf)) throw new RangeError('invalid frame header (HL or CRC)');
  const head = hl * 4;
  if (buf.length !== head + len) throw new RangeError(`frame length mismatch: have ${buf.length} bytes, header says ${head + len}`);
  const options: number[] = [];
  for (let i = HEADER_SIZE; i < head; i += 4) options.push(buf.readUInt32LE(i));
  return { flags: buf[1]!, stream: buf[10]!, options, payload: buf.subarray(head) };
}
