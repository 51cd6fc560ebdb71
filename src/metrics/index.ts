/**
 * Prometheus metrics (roadrunner-protocol.md §7.2) with RoadRunner's names, so existing dashboards keep working:
 * worker gauges computed at scrape time, the request counter/histogram, queue size, plus Node process metrics.
 */
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { listen, parseAddress } from '../net/listen.js';
import type { WorkerPool } from '../pool/types.js';
import { WorkerState } from '../pool/types.js';
import { AppMetrics } from './app-metrics.js';

export { AppMetrics, MetricsError } from './app-metrics.js';

export interface MetricsOptions {
  /** `metrics.collect` from .rr.yaml: application collectors declared at startup. */
  collect?: Record<string, unknown>;
}

/** What the HTTP server reports per request. */
export interface RequestObserver {
  requestStarted(): void;
  requestFinished(status: number, seconds: number): void;
  noFreeWorkers(): void;
}

export class Metrics implements RequestObserver {
  readonly registry = new Registry();
  /** Application collectors (metrics.collect and the metrics.* RPC methods), in the same registry. */
  readonly app: AppMetrics;
  private readonly requests: Counter<'status'>;
  private readonly duration: Histogram<'status'>;
  private readonly inFlight: Gauge;
  private readonly noWorkers: Counter;
  private server: http.Server | undefined;
  private readonly uptime: NodeJS.Timeout;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'rr_http_request_total',
      help: 'Total number of handled http requests after server restart.',
      labelNames: ['status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'rr_http_request_duration_seconds',
      help: 'HTTP request duration.',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
      registers,
    });
    this.inFlight = new Gauge({ name: 'rr_http_requests_queue', help: 'Total number of queued requests.', registers });
    this.noWorkers = new Counter({ name: 'rr_http_no_free_workers_total', help: 'Total number of NoFreeWorkers occurrences.', registers });
    const uptime = new Counter({ name: 'rr_http_uptime_seconds', help: 'Uptime in seconds', registers });
    this.uptime = setInterval(() => uptime.inc(), 1000);
    this.uptime.unref();
    this.app = new AppMetrics(this.registry);
    try {
      this.app.declareFromConfig(options.collect);
    } catch (err) {
      clearInterval(this.uptime);
      throw err;
    }
  }

  requestStarted(): void {
    this.inFlight.inc();
  }

  requestFinished(status: number, seconds: number): void {
    const label = String(status);
    this.inFlight.dec();
    this.requests.inc({ status: label });
    this.duration.observe({ status: label }, seconds);
  }

  noFreeWorkers(): void {
    this.noWorkers.inc();
  }

  /** Adds the rr_http_* worker gauges for a pool, computed at scrape time. */
  watchPool(pool: WorkerPool): void {
    const registers = [this.registry];
    // One snapshot per scrape, shared by every gauge's collect().
    let snapshot: ReturnType<WorkerPool['workers']> | undefined;
    const workers = () => (snapshot ??= pool.workers().finally(() => setImmediate(() => (snapshot = undefined))));
    new Gauge({
      name: 'rr_http_total_workers',
      help: 'Total number of workers used by the HTTP plugin',
      registers,
      async collect() {
        this.set((await workers()).length);
      },
    });
    new Gauge({
      name: 'rr_http_workers_memory_bytes',
      help: 'Memory usage by HTTP workers.',
      registers,
      async collect() {
        this.set((await workers()).reduce((sum, w) => sum + w.memoryUsage, 0));
      },
    });
    new Gauge({
      name: 'rr_http_worker_memory_bytes',
      help: 'Worker current memory usage',
      labelNames: ['pid'],
      registers,
      async collect() {
        this.reset();
        for (const w of await workers()) this.set({ pid: String(w.pid) }, w.memoryUsage);
      },
    });
    new Gauge({
      name: 'rr_http_worker_state',
      help: 'Worker current state',
      labelNames: ['state', 'pid'],
      registers,
      async collect() {
        this.reset();
        for (const w of await workers()) this.set({ state: w.statusStr, pid: String(w.pid) }, 0);
      },
    });
    const count = (name: string, help: string, match: (s: number) => boolean) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set((await workers()).filter((w) => match(w.status)).length);
        },
      });
    count('rr_http_workers_ready', 'HTTP workers currently in ready state', (s) => s === WorkerState.Ready);
    count('rr_http_workers_working', 'HTTP workers currently in working state', (s) => s === WorkerState.Working);
    count(
      'rr_http_workers_invalid',
      'HTTP workers currently in invalid,killing,destroyed,errored,inactive states',
      (s) => s !== WorkerState.Ready && s !== WorkerState.Working,
    );
  }

  async listen(address: string): Promise<number> {
    const parsed = parseAddress(address, 'metrics.address');
    this.server = http.createServer((req, res) => {
      this.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)));
      void req;
    });
    return listen(this.server, parsed);
  }

  async close(): Promise<void> {
    clearInterval(this.uptime);
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
