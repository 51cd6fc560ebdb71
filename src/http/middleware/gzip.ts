/** The `gzip` middleware: compresses worker responses that are worth it, off the event loop (zlib thread pool). */
import type { IncomingMessage } from 'node:http';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Answer, Middleware } from './types.js';

const gzipAsync = promisify(gzip);
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|x-javascript|ld\+json|problem\+json|manifest\+json)|image\/svg\+xml)/i;
const MIN_SIZE = 1024;

export function wantsGzip(acceptEncoding: string | undefined): boolean {
  return acceptEncoding !== undefined && /\bgzip\b/i.test(acceptEncoding) && !/\bgzip;\s*q=0(\.0*)?\b/i.test(acceptEncoding);
}

export function worthCompressing(body: Buffer, contentType: string | undefined, contentEncoding: string | undefined): boolean {
  return body.length >= MIN_SIZE && contentEncoding === undefined && contentType !== undefined && COMPRESSIBLE.test(contentType);
}

export function compress(body: Buffer): Promise<Buffer> {
  return gzipAsync(body);
}

function header(headers: Answer['headers'], lowerName: string): string | undefined {
  for (const name in headers) if (name.length === lowerName.length && name.toLowerCase() === lowerName) return headers[name]![0];
  return undefined;
}

export const gzipMiddleware: Middleware = {
  name: 'gzip',
  transform(answer: Answer, req: IncomingMessage): Answer | Promise<Answer> {
    // A file answer (X-Sendfile, still present when gzip runs first) keeps its own length and encoding.
    if (answer.file !== undefined || answer.body.length === 0 || !wantsGzip(req.headers['accept-encoding'])) return answer;
    if (header(answer.headers, 'x-sendfile') !== undefined) return answer;
    if (!worthCompressing(answer.body, header(answer.headers, 'content-type'), header(answer.headers, 'content-encoding'))) return answer;
    return compress(answer.body).then((body) => {
      answer.body = body;
      answer.headers['Content-Encoding'] = ['gzip'];
      (answer.headers.Vary ??= []).push('Accept-Encoding');
      return answer;
    });
  },
};
