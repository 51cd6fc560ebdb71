/**
 * Incremental goridge frame reader. Chunks may be split at any byte; small frames that sit inside one chunk are
 * returned as views (no copy), a large payload is copied once into a buffer allocated when its length is known.
 */
import { HEADER_SIZE, MAX_OPTIONS, headerCrc, type Frame } from './frame.js';

export const STDOUT_CRC_HINT = 'https://docs.roadrunner.dev/error-codes/stdout-crc';
const COULD_NOT_OPEN = Buffer.from('Could not op');
/** How many bytes after a broken header are kept for the error message. */
const MAX_SEEN = 4096;
/** Header length in 32-bit words: 3 fixed words plus up to 10 options (PHP's goridge rejects anything else too). */
const MIN_HL = 3;
const MAX_HL = 3 + MAX_OPTIONS;

export type FrameErrorKind = 'crc' | 'header' | 'truncated' | 'file-not-found' | 'too-large';

/** Hex dump plus printable text of the first `max` bytes: `48 65 6c 6c 6f ... 'Hello...'`. */
export function describeBytes(bytes: Buffer, max = 48): string {
  const shown = bytes.subarray(0, max);
  let hex = '';
  for (let i = 0; i < shown.length; i++) hex += (i ? ' ' : '') + shown[i]!.toString(16).padStart(2, '0');
  if (bytes.length > max) hex += ' ...';
  const textBytes = bytes.subarray(0, Math.max(max, 512));
  let text = '';
  for (const b of textBytes) text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 0x0a ? '\\n' : '.';
  if (bytes.length > textBytes.length) text += '...';
  return `${hex} '${text}'`;
}

/** A frame that cannot be read: bad CRC, impossible header, truncated stream, or PHP's "Could not open input file". */
export class FrameError extends Error {
  constructor(
    readonly kind: FrameErrorKind,
    /** The bytes received from the start of the bad frame (capped). */
    readonly bytes: Buffer,
    readonly source = 'peer',
    /** For 'too-large': the payload length the header claims and the reader's limit. */
    readonly size?: { length: number; limit: number },
  ) {
    super(FrameError.format(kind, bytes, source, size));
    this.name = 'FrameError';
  }

  static format(kind: FrameErrorKind, bytes: Buffer, source: string, size?: { length: number; limit: number }): string {
    if (kind === 'file-not-found') {
      return `${source} could not start: ${bytes.toString('utf8').trim()}`;
    }
    if (kind === 'too-large' && size) {
      return `frame from ${source} too large: its header claims a ${size.length}-byte payload, the limit is ${size.limit} bytes; refused before reading it`;
    }
    const what =
      kind === 'crc'
        ? 'header CRC mismatch'
        : kind === 'header'
          ? `impossible header length (must be ${MIN_HL} to ${MAX_HL} words)`
          : 'connection closed in the middle of a frame';
    let msg = `invalid frame from ${source} (${what}): ${bytes.length} byte${bytes.length === 1 ? '' : 's'} ${describeBytes(bytes)}`;
    if (source === 'worker' && kind !== 'truncated') {
      msg +=
        '; the worker wrote something other than a frame to its relay (echo/print/var_dump or a PHP warning on STDOUT before' +
        ` the worker loop?), validation failed on the message sent to STDOUT, see: ${STDOUT_CRC_HINT}`;
    }
    return msg;
  }
}

export interface FrameReaderOptions {
  /**
   * Largest payload accepted, in bytes. A header that claims more is a FrameError ('too-large') thrown before any
   * payload byte is buffered, so a peer cannot make the reader allocate what a header merely claims. Default: no limit.
   */
  maxPayload?: number;
}

/**
 * Reads goridge frames from a byte stream. The only exception push() and end() throw is FrameError (documented per
 * kind above); after the first one the reader only collects bytes for the error message.
 */
export class FrameReader {
  /** Receives every complete frame, in order. May be replaced (e.g. after a handshake hands the relay over). */
  onFrame: (frame: Frame) => void;
  private readonly maxPayload: number;

  private readonly head = Buffer.allocUnsafe(HEADER_SIZE + 40);
  private headLen = 0;
  private headNeed = HEADER_SIZE;
  private inPayload = false;
  private flags = 0;
  private stream = 0;
  private length = 0;
  private options: number[] = [];
  private payload: Buffer | null = null;
  private payloadLen = 0;
  private failure: FrameErrorKind | null = null;
  private tooLarge: { length: number; limit: number } | undefined;
  private seenParts: Buffer[] = [];
  private seenLen = 0;

  constructor(
    onFrame: (frame: Frame) => void,
    readonly source = 'peer',
    options: FrameReaderOptions = {},
  ) {
    this.onFrame = onFrame;
    this.maxPayload = options.maxPayload ?? Infinity;
  }

  /** True when no partial frame is buffered. */
  get idle(): boolean {
    return this.failure === null && !this.inPayload && this.headLen === 0;
  }

  /** True once a bad frame was seen; later bytes are only collected for diagnostics. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Feeds a chunk. Throws FrameError on a bad header (once); afterwards bytes are only collected, see error(). */
  push(chunk: Buffer): void {
    if (this.failure !== null) {
      this.collect(chunk, 0);
      return;
    }
    const n = chunk.length;
    let off = 0;
    while (off < n) {
      if (!this.inPayload) {
        if (this.headLen === 0 && n - off >= HEADER_SIZE) {
          // Fast path: the header is inside this chunk.
          if (!this.checkHeader(chunk, off, chunk, off)) return;
          const headBytes = (chunk[off]! & 0x0f) * 4;
          if (n - off >= headBytes) {
            this.readHeader(chunk, off, headBytes);
            off += headBytes;
            if (this.length === 0) this.emit(Buffer.alloc(0));
            continue;
          }
        }
        const take = Math.min(this.headNeed - this.headLen, n - off);
        chunk.copy(this.head, this.headLen, off, off + take);
        this.headLen += take;
        off += take;
        if (this.headLen < this.headNeed) return;
        if (this.headNeed === HEADER_SIZE) {
          if (!this.checkHeader(this.head, 0, chunk, off)) return;
          this.headNeed = (this.head[0]! & 0x0f) * 4;
          if (this.headNeed > HEADER_SIZE) continue;
        }
        this.readHeader(this.head, 0, this.headNeed);
        this.headLen = 0;
        this.headNeed = HEADER_SIZE;
        if (this.length === 0) this.emit(Buffer.alloc(0));
      } else {
        const length = this.length;
        if (this.payload === null) {
          if (n - off >= length) {
            const view = chunk.subarray(off, off + length);
            off += length;
            this.emit(view);
            continue;
          }
          this.payload = Buffer.allocUnsafe(length);
          this.payloadLen = 0;
        }
        const take = Math.min(length - this.payloadLen, n - off);
        chunk.copy(this.payload, this.payloadLen, off, off + take);
        this.payloadLen += take;
        off += take;
        if (this.payloadLen === length) {
          const full = this.payload;
          this.payload = null;
          this.emit(full);
        }
      }
    }
  }

  /**
   * The peer closed the stream. Throws FrameError when a frame was cut short, or with the peer's text when the
   * stream started with "Could not op" (PHP's "Could not open input file: ..."). Returns quietly otherwise.
   */
  end(): void {
    if (this.failure === 'file-not-found') throw this.error();
    if (this.failure !== null) return;
    if (this.idle) return;
    // Mid-payload, the header may have been parsed straight from an earlier chunk: show the payload bytes received.
    const bytes = this.inPayload
      ? Buffer.from(this.payload ? this.payload.subarray(0, this.payloadLen) : Buffer.alloc(0))
      : Buffer.from(this.head.subarray(0, this.headLen));
    this.failure = 'truncated';
    this.seenParts = [bytes.subarray(0, MAX_SEEN)];
    this.seenLen = this.seenParts[0]!.length;
    throw this.error();
  }

  /** The error for the bad frame, with every byte collected so far (including bytes that arrived after it). */
  error(): FrameError {
    return new FrameError(this.failure ?? 'truncated', this.seen(), this.source, this.tooLarge);
  }

  /** Bytes from the start of the bad frame on (capped at 4 KiB). */
  seen(): Buffer {
    return this.seenParts.length === 1 ? this.seenParts[0]! : Buffer.concat(this.seenParts, this.seenLen);
  }

  /** False when reading must stop quietly ("Could not op": the rest of the text is collected until end()). */
  private checkHeader(buf: Buffer, at: number, chunk: Buffer, rest: number): boolean {
    let kind: FrameErrorKind | null = null;
    if (buf.compare(COULD_NOT_OPEN, 0, 12, at, at + 12) === 0) kind = 'file-not-found';
    else if (buf.readUInt32LE(at + 6) !== headerCrc(buf, at)) kind = 'crc';
    else if ((buf[at]! & 0x0f) < MIN_HL || (buf[at]! & 0x0f) > MAX_HL) kind = 'header';
    else if (buf.readUInt32LE(at + 2) > this.maxPayload) {
      kind = 'too-large';
      this.tooLarge = { length: buf.readUInt32LE(at + 2), limit: this.maxPayload };
    }
    if (kind === null) return true;
    this.failure = kind;
    if (buf === chunk) {
      this.collect(chunk, at);
    } else {
      this.collect(Buffer.from(buf.subarray(at, at + HEADER_SIZE)), 0);
      this.collect(chunk, rest);
    }
    if (kind === 'file-not-found') return false;
    throw this.error();
  }

  private readHeader(buf: Buffer, at: number, headBytes: number): void {
    this.flags = buf[at + 1]!;
    this.length = buf.readUInt32LE(at + 2);
    this.stream = buf[at + 10]!;
    const options: number[] = [];
    for (let i = HEADER_SIZE; i < headBytes; i += 4) options.push(buf.readUInt32LE(at + i));
    this.options = options;
    this.inPayload = true;
  }

  private emit(payload: Buffer): void {
    this.inPayload = false;
    this.onFrame({ flags: this.flags, stream: this.stream, options: this.options, payload });
  }

  private collect(chunk: Buffer, from: number): void {
    if (this.seenLen >= MAX_SEEN || from >= chunk.length) return;
    const part = Buffer.from(chunk.subarray(from, from + (MAX_SEEN - this.seenLen)));
    this.seenParts.push(part);
    this.seenLen += part.length;
  }
}
