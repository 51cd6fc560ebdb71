/**
 * The `sendfile` middleware (roadrunner-protocol.md §3.9): a worker answer carrying `X-Sendfile: <path>` is replaced
 * by that file, streamed from disk (never buffered). A path with `..` is refused (403), a missing file is a 404.
 * Relative paths are relative to the server's working directory, as in RoadRunner.
 */
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { HeaderMap } from '../proto.js';
import type { Answer, Middleware } from './types.js';

/** Removes the X-Sendfile header (any case) and returns its first value. */
export function takeSendfile(headers: HeaderMap): string | undefined {
  for (const name in headers) {
    if (name.length === 10 && name.toLowerCase() === 'x-sendfile') {
      const path = headers[name]![0];
      delete headers[name];
      return path;
    }
  }
  return undefined;
}

/**
 * Streams the file as the response. `writeHead(size)` writes the worker's status and headers with that length
 * (the one response writer does it); a `..` path is a 403, a missing file a 404.
 */
export async function sendFile(res: ServerResponse, path: string, headOnly: boolean, writeHead: (size: number) => boolean): Promise<void> {
  if (path.includes('..')) {
    res.writeHead(403, { 'content-length': 0 }).end();
    return;
  }
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('file not found\n');
    return;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('file not found\n');
      return;
    }
    if (!writeHead(stat.size)) return;
    if (headOnly) {
      res.end();
      return;
    }
    await pipeline(handle.createReadStream({ autoClose: false }), res);
  } catch {
    // The client left or the disk failed mid-file: the response cannot be completed.
    res.destroy();
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export const sendfileMiddleware: Middleware = {
  name: 'sendfile',
  transform(answer: Answer): Answer {
    const file = takeSendfile(answer.headers);
    if (file !== undefined) answer.file = file;
    return answer;
  },
};
