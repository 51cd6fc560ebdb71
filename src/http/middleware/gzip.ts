/** The `gzip` middleware: compresses worker responses that are worth it, off the event loop (zlib thread pool). */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

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
