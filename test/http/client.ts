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

export function multipart(parts: { name: string; filename?: string; type?: string; data: Buffer | string }[]): {
  body: Buffer;
  type: string;
} {
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
export function sendAndAbort(
  port: number,
  head: http.OutgoingHttpHeaders & { path: string; method: string },
  bytes: Buffer,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const { path, method, ...headers } = head;
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, headers });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.flushHeaders();
    req.write(bytes, () => setImmediate(() => req.destroy()));
  });
}

/** State (hex, 01 = established) and tx/rx queue bytes of the loopback TCP socket local:port → remote:port. */
export async function tcpQueues(localPort: number, remotePort: number): Promise<{ tx: number; rx: number; state: string } | undefined> {
  const { readFile } = await import('node:fs/promises');
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  for (const line of (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    if (f[1]!.endsWith(':' + hex(localPort)) && f[2]!.endsWith(':' + hex(remotePort))) {
      const [tx, rx] = f[4]!.split(':').map((h) => parseInt(h, 16));
      return { tx: tx!, rx: rx!, state: f[3]! };
    }
  }
  return undefined;
}

/** Waits until the server (serverPort) has read everything the client (clientPort) sent so far. */
export async function waitServerRead(serverPort: number, clientPort: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const client = await tcpQueues(clientPort, serverPort);
    const server = await tcpQueues(serverPort, clientPort);
    if (client && server && client.tx === 0 && server.rx === 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the server did not read what was sent');
}

/** Waits until the server (serverPort) has closed its side of the connection from clientPort; false on giving up. */
export async function waitServerClosed(serverPort: number, clientPort: number, tries = 3000): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const server = await tcpQueues(serverPort, clientPort);
    if (!server || server.state !== '01') return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
