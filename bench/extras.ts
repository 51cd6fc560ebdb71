/**
 * The goals beyond throughput, measured on Burner with the hello-world app: idle RSS, RSS growth while a 1 GB
 * multipart upload streams in, and 10 000 idle keep-alive connections held.
 */
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import type { Server } from './servers.js';
import { get } from './servers.js';
import { rssKb } from './proc.js';

/** Samples the RSS of pid every intervalMs until stop() is called; returns the peak in kB. */
function sampleRss(pid: number, intervalMs = 50): { stop: () => Promise<number> } {
  let peak = 0;
  let active = true;
  const loop = (async () => {
    while (active) {
      peak = Math.max(peak, await rssKb(pid));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    stop: async () => {
      active = false;
      await loop;
      return peak;
    },
  };
}

export interface UploadResult {
  bytes: number;
  seconds: number;
  status: number;
  rssBeforeKb: number;
  rssPeakKb: number;
  growthKb: number;
}

/** Streams one multipart/form-data upload of `bytes` (a single file field) and samples the server's RSS. */
export async function measureUpload(server: Server, bytes: number): Promise<UploadResult> {
  const [pid] = await server.serverPids();
  const rssBeforeKb = await rssKb(pid!);
  const boundary = 'burnerbench' + Date.now();
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  const sampler = sampleRss(pid!);
  const started = Date.now();
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL('/', server.baseUrl);
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + bytes + tail.length),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    void (async () => {
      req.write(head);
      let left = bytes;
      while (left > 0) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        if (!req.write(part)) {
          await new Promise<void>((r) => req.once('drain', () => r()));
        }
      }
      req.end(tail);
    })();
  });
  const seconds = (Date.now() - started) / 1000;
  const rssPeakKb = await sampler.stop();
  return { bytes, seconds, status, rssBeforeKb, rssPeakKb, growthKb: Math.max(0, rssPeakKb - rssBeforeKb) };
}

export interface KeepAliveResult {
  count: number;
  opened: number;
  answered: number;
  openSeconds: number;
  holdSeconds: number;
  stillOpen: number;
  servedAgain: number;
  probeStatus: number;
  rssWithConnectionsKb: number;
  rssBeforeKb: number;
  errors: Record<string, number>;
}

/** 10 000 keep-alive connections from a child process (its own open-files limit raised by a bash wrapper). */
export async function measureKeepAlive(server: Server, count: number, holdSeconds: number): Promise<KeepAliveResult> {
  const [pid] = await server.serverPids();
  const rssBeforeKb = await rssKb(pid!);
  const port = new URL(server.baseUrl).port;
  const client = path.join(path.dirname(new URL(import.meta.url).pathname), 'keepalive-client.js');
  const child = spawn(
    'bash',
    [
      '-c',
      'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"',
      'bench',
      process.execPath,
      client,
      port,
      String(count),
      String(holdSeconds),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let probeStatus = 0;
  let rssWithConnectionsKb = 0;
  let done: Record<string, unknown> | null = null;
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line.startsWith('READY ')) {
      // While every connection sits idle: the server's memory, and whether it still answers a new client.
      rssWithConnectionsKb = await rssKb(pid!);
      probeStatus = await get(server.baseUrl + '/', 10_000).then(
        (r) => r.status,
        () => 0,
      );
    } else if (line.startsWith('DONE ')) {
      done = JSON.parse(line.slice(5)) as Record<string, unknown>;
    }
  }
  const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
  if (!done) throw new Error(`keep-alive client failed (exit ${code}): ${stderr}`);
  return {
    count,
    ...(done as unknown as Omit<KeepAliveResult, 'count' | 'probeStatus' | 'rssWithConnectionsKb' | 'rssBeforeKb'>),
    probeStatus,
    rssWithConnectionsKb,
    rssBeforeKb,
  };
}
