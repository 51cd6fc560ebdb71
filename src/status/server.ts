/**
 * The status plugin (roadrunner-protocol.md §7.1): `GET /health` and `/ready` on `status.address`, answering a JSON
 * array of `{plugin_name, error_message, status_code}`; `?plugin=name` may repeat. 200 unless a plugin reports >= 500,
 * then `unavailable_status_code`.
 *
 * Which one a load balancer wants: `/health` stays 200 while every worker is busy and requests queue (the instance
 * still accepts and will serve them), so it is the balancer's and Kubernetes' readiness check. `/ready` keeps
 * RoadRunner's meaning, "a worker is idle right now": under steady load it flaps, and a balancer checking it takes
 * healthy instances out. Both answer 503 from the moment `drain()` is called, while the HTTP listener still accepts,
 * so the balancer moves traffic away before the instance stops taking connections.
 */
import http from 'node:http';
import { listen, parseAddress } from '../net/listen.js';
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
  /**
   * `status.drain_delay` in milliseconds (default 0): how long `drain()` keeps answering 503 before it resolves and
   * shutdown goes on; set it to at least the balancer's check interval × fall count.
   */
  drainDelay?: number;
}

const DRAINING = 'draining: the instance is shutting down';

export class StatusServer {
  private readonly server: http.Server;
  private draining: Promise<void> | undefined;
  private endDrainWait: (() => void) | undefined;

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

  listen(): Promise<number> {
    return listen(this.server, parseAddress(this.options.address, 'status.address'));
  }

  /** True once `drain()` was called: every check answers 503 from then on. */
  get isDraining(): boolean {
    return this.draining !== undefined;
  }

  /**
   * Starts answering 503 on /health and /ready (every plugin reports "draining") and resolves after `drainDelay`,
   * the time a balancer needs to see it. Idempotent: later calls return the same promise. `close()` ends the wait.
   */
  drain(): Promise<void> {
    this.draining ??= new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, this.options.drainDelay ?? 0));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.endDrainWait = done;
    });
    return this.draining;
  }

  close(): Promise<void> {
    this.endDrainWait?.();
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
    if (this.draining) {
      // Nothing else matters once the instance is leaving: a balancer must see 503 even with no plugin to report.
      failed = true;
      for (const name of names) reports.push({ plugin_name: name, error_message: DRAINING, status_code: 503 });
    } else {
      for (const name of names) {
        const r = await this.checkers.get(name)![kind]();
        if (r.code >= 500) failed = true;
        reports.push({ plugin_name: name, error_message: r.message, status_code: r.code });
      }
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
