/**
 * Request bodies (roadrunner-protocol.md §3.3, §3.4): raw bytes, urlencoded → form tree, multipart → form tree plus
 * upload temp files. `max_request_size` is enforced while streaming: nothing past the limit is read or kept;
 * forms are capped at `max_form_size` (Go's 10 MB) and parsed in slices between event-loop turns.
 */
import type { IncomingMessage } from 'node:http';
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { Busboy, type BusboyHeaders } from '@fastify/busboy';
import { FormError, FormTooLarge, buildTreeSliced, formToJson, groupPairs, mount, parseUrlencodedSliced } from './forms.js';

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
  constructor(limit: number) {
    super(`request body exceeds max_request_size (${limit} bytes)`);
  }
}

export class ClientGone extends Error {
  override name = 'ClientGone';
}

export { FormError, FormTooLarge };

export interface UploadEntry {
  name: string;
  mime: string;
  size: number;
  error: number;
  tmpName: string;
}

export interface Body {
  body: Buffer;
  parsed: boolean;
  uploads: Record<string, unknown> | null;
  tempFiles: string[];
}

export interface BodyOptions {
  maxRequestSize: number;
  /** Bytes of urlencoded body, or of multipart non-file fields, that are parsed into the form tree. */
  maxFormSize: number;
  rawBody: boolean;
  uploads: { dir: string; forbid: string[]; allow: string[] };
}

const EMPTY = Buffer.alloc(0);
const ignore = () => undefined;

/**
 * Reads the whole body into one Buffer, failing as soon as it passes the limit. With a Content-Length the buffer is
 * allocated once at that size and filled as data arrives: no list of chunks, no second copy. `into` (with a
 * Content-Length only) gives the buffer to fill instead, the body going at `offset`: e.g. the frame the body travels
 * in to the worker, so it is not copied again there.
 */
export function readRaw(
  req: IncomingMessage,
  limit: number,
  tooLarge: () => Error = () => new BodyTooLarge(limit),
  into?: (declared: number) => Buffer,
  offset = 0,
): Promise<Buffer> {
  // No Content-Length and no Transfer-Encoding: HTTP/1.1 says there is no body; skip the wait for 'end'.
  if (req.readableEnded || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)) {
    return Promise.resolve(EMPTY);
  }
  // node:http has checked the header; with Transfer-Encoding it is ignored (chunked wins).
  const declared = req.headers['transfer-encoding'] === undefined ? Number(req.headers['content-length']) : NaN;
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const whole = declared > 0 ? (into ? into(declared) : Buffer.allocUnsafe(declared)) : undefined;
    const base = whole && into ? offset : 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit || (whole && size + chunk.length > declared)) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      if (whole) chunk.copy(whole, base + size);
      else chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => {
      cleanup();
      if (whole) resolve(base === 0 && size === whole.length ? whole : whole.subarray(base, base + size));
      else resolve(chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ClientGone(err.message));
    };
    const onClose = () => {
      if (!req.complete) {
        cleanup();
        reject(new ClientGone('client closed the connection before sending the whole body'));
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function extensionAllowed(filename: string, forbid: string[], allow: string[]): boolean {
  const ext = path.extname(filename).toLowerCase();
  if (forbid.includes(ext)) return false;
  if (allow.length > 0 && !allow.includes(ext)) return false;
  return true;
}

async function saveFile(
  stream: Readable,
  filename: string,
  mime: string,
  options: BodyOptions['uploads'],
  tempFiles: string[],
): Promise<UploadEntry> {
  const entry: UploadEntry = { name: filename, mime, size: 0, error: 0, tmpName: '' };
  if (!extensionAllowed(filename, options.forbid, options.allow)) {
    entry.error = 8; // UPLOAD_ERR_EXTENSION
    stream.resume();
    return entry;
  }
  let handle;
  let tmp = '';
  for (let attempt = 0; attempt < 5 && !handle; attempt++) {
    tmp = path.join(options.dir, `upload${randomInt(1e9, 1e10)}`);
    try {
      handle = await open(tmp, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') break;
    }
  }
  if (!handle) {
    entry.error = 6; // UPLOAD_ERR_NO_TMP_DIR
    stream.resume();
    return entry;
  }
  tempFiles.push(tmp);
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(stream, counter, handle.createWriteStream());
    entry.size = size;
    entry.tmpName = tmp;
  } catch {
    entry.error = 7; // UPLOAD_ERR_CANT_WRITE
    entry.size = size;
    stream.resume();
  } finally {
    await handle.close().catch(() => undefined);
  }
  return entry;
}

function readMultipart(
  req: IncomingMessage,
  options: BodyOptions,
  tempFiles: string[],
): Promise<{ form: Buffer; uploads: Record<string, unknown> | null }> {
  return new Promise((resolve, reject) => {
    let bb;
    try {
      bb = Busboy({
        headers: req.headers as BusboyHeaders,
        limits: { fieldSize: options.maxFormSize, fieldNameSize: 4096, fields: Infinity, files: Infinity, parts: Infinity },
        // Go's rule: a part is a file only when it has a non-empty filename (an empty file input sends filename="").
        isPartAFile: (_name: string | undefined, _type: string | undefined, filename: string | undefined) =>
          filename !== undefined && filename !== '',
      });
    } catch (err) {
      reject(new FormError(`invalid multipart request: ${(err as Error).message}`));
      return;
    }
    const fields: [string, string][] = [];
    const files: Array<Promise<[string, UploadEntry]>> = [];
    const active = new Set<Readable>();
    let size = 0;
    let fieldBytes = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.pause();
      // Parts still being written would wait forever for data that will not come, holding their file open, and a
      // temp file still being created could appear after the caller's cleanup: end them all, then reject.
      for (const stream of active) stream.destroy(err);
      void Promise.allSettled(files).then(() => reject(err));
    };
    bb.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      // Go counts non-file parts against a fixed budget too (multipart.ReadForm); the tree is built from them.
      fieldBytes += name.length + value.length;
      if (valueTruncated || fieldBytes > options.maxFormSize) fail(new FormTooLarge('multipart form fields', options.maxFormSize));
      else fields.push([name, value]);
    });
    bb.on('file', (name: string, stream: Readable, filename: string, _enc: string, mime: string) => {
      if (failed) {
        stream.resume();
        return;
      }
      // saveFile() pipes the stream only after its temp file is open; an abort in between destroys the stream with
      // an error, and an 'error' event without a listener would end the process. The pipeline reports it anyway.
      stream.on('error', ignore);
      active.add(stream);
      const saved = saveFile(stream, filename, mime, options.uploads, tempFiles);
      files.push(
        saved.then((e) => {
          active.delete(stream);
          return [name, e] as [string, UploadEntry];
        }),
      );
    });
    bb.on('error', (err: unknown) => fail(new FormError(`invalid multipart body: ${err instanceof Error ? err.message : String(err)}`)));
    bb.on('finish', () => {
      if (failed) return;
      Promise.all(files)
        .then(async (entries) => {
          const form = await formToJson(await buildTreeSliced(groupPairs(fields)), fieldBytes);
          if (entries.length === 0) {
            resolve({ form, uploads: null });
            return;
          }
          const grouped = new Map<string, UploadEntry[]>();
          for (const [name, e] of entries) {
            const list = grouped.get(name);
            if (list) list.push(e);
            else grouped.set(name, [e]);
          }
          const uploads: Record<string, unknown> = {};
          // A plain name keeps its first file; `name[]` keeps them all.
          for (const [name, list] of grouped) mount(uploads, name, list, (v) => v[0]);
          resolve({ form, uploads });
        })
        .catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
    });
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxRequestSize) fail(new BodyTooLarge(options.maxRequestSize));
    });
    req.on('close', () => {
      if (!req.complete) fail(new ClientGone('client closed the connection during the upload'));
    });
    req.pipe(bb);
  });
}

/**
 * A request that has no body to read: no Content-Length, no Transfer-Encoding (HTTP/1.1: no body) and no form type
 * to parse. The server answers it without waiting on readBody().
 */
export function hasNoBody(req: IncomingMessage, contentType: string): boolean {
  return contentType === '' && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
}

/** The body goes to the worker as it came (not a form to parse, not HEAD/OPTIONS): readRaw, possibly into its frame. */
export function isRawBody(req: IncomingMessage, contentType: string, options: BodyOptions): boolean {
  if (req.method === 'HEAD' || req.method === 'OPTIONS') return false;
  return options.rawBody || !(contentType.includes('multipart/form-data') || contentType.includes('application/x-www-form-urlencoded'));
}

/** Reads the body by RoadRunner's rules. Temp files created are listed in `tempFiles` even on failure. */
export async function readBody(req: IncomingMessage, contentType: string, options: BodyOptions, tempFiles: string[]): Promise<Body> {
  const method = req.method;
  if (method === 'HEAD' || method === 'OPTIONS') {
    req.resume();
    return { body: EMPTY, parsed: false, uploads: null, tempFiles };
  }
  if (!options.rawBody && contentType.includes('multipart/form-data')) {
    // A parsed form is always JSON, `{}` when empty: roadrunner-http 3.4 json_decodes the body whenever `parsed` is
    // true and throws on an empty string (an upload without other fields).
    const { form, uploads } = await readMultipart(req, options, tempFiles);
    return { body: form, parsed: true, uploads, tempFiles };
  }
  if (!options.rawBody && contentType.includes('application/x-www-form-urlencoded')) {
    const limit = Math.min(options.maxFormSize, options.maxRequestSize);
    const tooLarge = () => (limit === options.maxFormSize ? new FormTooLarge('urlencoded form', limit) : new BodyTooLarge(limit));
    if (Number(req.headers['content-length']) > limit) throw tooLarge();
    const raw = await readRaw(req, limit, tooLarge);
    const form = await parseUrlencodedSliced(raw);
    return { body: await formToJson(form, raw.length), parsed: true, uploads: null, tempFiles };
  }
  const raw = await readRaw(req, options.maxRequestSize);
  return { body: raw, parsed: false, uploads: null, tempFiles };
}

export async function removeTempFiles(files: string[]): Promise<void> {
  await Promise.all(files.map((f) => unlink(f).catch(() => undefined)));
}
