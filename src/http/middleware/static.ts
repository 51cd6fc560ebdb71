/**
 * The `static` middleware: files under `static.dir` are served with `send` (Range, conditional GET, ETag); a path
 * with `..` gets 403, and so does a symlink that leads outside `dir` (RoadRunner would follow it); forbidden or
 * not-allowed extensions, paths without an extension and missing files fall through to PHP, as in RoadRunner.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import send from 'send';
import type { StaticOptions } from '../options.js';
import type { Middleware } from './types.js';

export type StaticResult = 'served' | 'forbidden' | 'next';

export class StaticFiles {
  private readonly root: string;
  /** `dir` with its own symlinks resolved, once: files are served by their real path under it. */
  private realRoot: string | undefined;

  constructor(private readonly options: StaticOptions) {
    this.root = path.resolve(options.dir);
  }

  /** Resolves the file for a request target, or tells why not. */
  async resolve(url: string): Promise<{ result: 'next' | 'forbidden' } | { result: 'file'; relative: string }> {
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return { result: 'next' };
    }
    if (decoded.includes('\0')) return { result: 'forbidden' };
    // RoadRunner refuses any decoded path containing `..`, whatever the method and whether or not a file exists.
    if (decoded.includes('..') || rawPath.includes('..')) return { result: 'forbidden' };
    const ext = path.extname(decoded).toLowerCase();
    if (ext === '' || this.options.forbid.includes(ext)) return { result: 'next' };
    if (this.options.allow.length > 0 && !this.options.allow.includes(ext)) return { result: 'next' };
    const full = path.join(this.root, decoded);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) return { result: 'forbidden' };
    let real: string;
    try {
      const s = await stat(full);
      if (!s.isFile()) return { result: 'next' };
      real = await realpath(full);
      this.realRoot ??= await realpath(this.root);
    } catch {
      return { result: 'next' };
    }
    if (!real.startsWith(this.realRoot + path.sep)) return { result: 'forbidden' };
    return { result: 'file', relative: real.slice(this.realRoot.length) };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<StaticResult> {
    const found = await this.resolve(req.url ?? '/');
    if (found.result === 'forbidden') {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden\n');
      return 'forbidden';
    }
    if (found.result !== 'file' || (req.method !== 'GET' && req.method !== 'HEAD')) return 'next';
    const relative = found.relative;
    return new Promise<StaticResult>((resolve) => {
      const stream = send(req, relative, {
        root: this.realRoot ?? this.root,
        index: false,
        dotfiles: 'ignore',
        etag: this.options.calculateEtag,
        lastModified: true,
      });
      stream.on('headers', (r: ServerResponse, _path: string, stat: Stats) => {
        for (const [name, value] of Object.entries(this.options.response)) r.setHeader(name, value);
        // send would make a weak tag; `weak: false` asks for a strong one. send compares against whichever is set.
        // (RoadRunner hashes the content with CRC32; size+mtime identifies the version without reading the file.)
        if (this.options.calculateEtag) {
          r.setHeader('ETag', `${this.options.weak ? 'W/' : ''}"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`);
        }
      });
      stream.on('error', (err: { status?: number }) => {
        if (err.status === 404 || err.status === undefined) resolve('next');
        else {
          res.writeHead(err.status, { 'content-type': 'text/plain; charset=utf-8' }).end();
          resolve('served');
        }
      });
      stream.on('end', () => resolve('served'));
      res.on('close', () => resolve('served'));
      stream.pipe(res);
    });
  }
}

export function staticMiddleware(options: StaticOptions): Middleware {
  const files = new StaticFiles(options);
  return {
    name: 'static',
    request: (req, res) => files.handle(req, res).then((r) => (r === 'next' ? 'next' : 'done')),
  };
}
