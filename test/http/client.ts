/** Small HTTP client helpers for the HTTP tests. */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function request(
  port: number,
  target: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: target, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function multipart(parts: { name: string; filename?: string; type?: string; data: Buffer | string }[]): { body: Buffer; type: string } {
  const boundary = '----burner' + randomBytes(8).toString('hex');
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}`;
    chunks.push(Buffer.from(head + '\r\n\r\n'), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

/** Polls until `dir` is empty (temp files are removed just after the answer) or gives up; returns what is left. */
export async function waitEmpty(dir: string, tries = 250): Promise<string[]> {
  let left = await readdir(dir);
  for (let i = 0; i < tries && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    left = await readdir(dir);
  }
  return left;
}

/** Sends `bytes` of a request (head and part of the body), then resets the connection. */
export function sendAndAbort(port: number, head: http.OutgoingHttpHeaders & { path: string; method: string }, bytes: Buffer): Promise<void> {
  return new Promise<void>((resolve) => {
    const { path, method, ...headers } = head;
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, headers });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.flushHeaders();
    req.write(bytes, () => setImmediate(() => req.destroy()));
  });
}
