/**
 * The `sendfile` middleware (roadrunner-protocol.md §3.9): a worker answer carrying `X-Sendfile: <path>` is replaced
 * by that file, streamed from disk (never buffered). A path with `..` is refused (403), a missing file is a 404.
 * Relative paths are relative to the server's working directory, as in RoadRunner.
 */
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { HeaderMap } from '../proto.js';

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

/** Writes the file as the response; `flat` are the worker's other headers (without Content-Length). */
export async function sendFile(res: ServerResponse, status: number, flat: string[], path: string, headOnly: boolean): Promise<void> {
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
    res.writeHead(status, [...flat, 'Content-Length', String(stat.size)]);
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
