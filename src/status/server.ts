/**
 * The status plugin (roadrunner-protocol.md §7.1): `GET /health` and `/ready` on `status.address`, answering a JSON
 * array of `{plugin_name, error_message, status_code}`; `?plugin=name` may repeat. 200 unless a plugin reports >= 500,
 * then `unavailable_status_code`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerPool } from '../pool/types.js';
import { WorkerState } from '../pool/types.js';

export interface PluginReport {
  plugin_name: string;
  error_message: string;
  status_code: number;
}

export interface StatusChecker {
  /** 200 when the plugin can serve (some worker ready or working), else 503. */
  status(): Promise<{ code: number; message: string }>;
  /** 200 when the plugin can take a request right now (some worker ready), else 503. */
  ready(): Promise<{ code: number; message: string }>;
}

/** Health of a worker pool, as RoadRunner's HTTP plugin reports it. */
export function poolChecker(pool: WorkerPool, isStopping: () => boolean): StatusChecker {
  const count = async (states: WorkerState[]) => (await pool.workers()).filter((w) => states.includes(w.status)).length;
  return {
    async status() {
      if (isStopping()) return { code: 503, message: 'service is shutting down' };
      const n = await count([WorkerState.Ready, WorkerState.Working]);
      return n > 0 ? { code: 200, message: '' } : { code: 503, message: 'no active workers' };
    },
    async ready() {
      if (isStopping()) return { code: 503, message: 'service is shutting down' };
      const n = await count([WorkerState.Ready]);
      return n > 0 ? { code: 200, message: '' } : { code: 503, message: 'no ready workers' };
    },
  };
}

export interface StatusOptions {
  address: string;
  unavailableStatusCode: number;
}

export class StatusServer {
  private readonly server: http.Server;

  constructor(
    private readonly options: StatusOptions,
    private readonly checkers: Map<string, StatusChecker>,
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
  }

  async listen(): Promise<number> {
    const { host, port } = splitAddress(this.options.address);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://status');
    const kind = url.pathname === '/health' ? 'status' : url.pathname === '/ready' ? 'ready' : undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!kind) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: use /health or /ready\n');
      return;
    }
    const asked = url.searchParams.getAll('plugin');
    const names = asked.length > 0 ? asked.filter((n) => this.checkers.has(n)) : [...this.checkers.keys()];
    const reports: PluginReport[] = [];
    let failed = false;
    for (const name of names) {
      const r = await this.checkers.get(name)![kind]();
      if (r.code >= 500) failed = true;
      reports.push({ plugin_name: name, error_message: r.message, status_code: r.code });
    }
    const body = JSON.stringify(reports);
    res
      .writeHead(failed ? this.options.unavailableStatusCode : 200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      })
      .end(body);
  }
}

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port: Number(address.slice(i + 1)) };
}
