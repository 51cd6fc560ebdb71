/**
 * Assembles the plugins from a loaded config as lifecycle plugins (src/lifecycle.ts), in start order: the http worker
 * pool, http, rpc, status, metrics, reload. Stop runs drain on all, then stops them in reverse (listeners before the
 * pool). The plugin classes live in their own modules; the small adapters here give them the one lifecycle.
 */
import path from 'node:path';
import type { LoadedConfig } from './config/load.js';
import { checkDirectories } from './config/paths.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log/index.js';
import type { PoolOptions, WorkerPool } from './pool/types.js';
import { createPool } from './pool/pool.js';
import { createHttpServer } from './http/server.js';
import { httpOptionsWithDefaults, type HttpOptions } from './http/options.js';
import { RR_VERSION, BURNER_VERSION } from './version.js';
import { RpcServer, rpcServerOptions } from './rpc/server.js';
import { rpcMethods } from './rpc/methods.js';
import { StatusServer, poolChecker, type StatusChecker } from './status/server.js';
import { Metrics } from './metrics/index.js';
import { Reloader, type WatchService } from './reload/index.js';
import { runOnInit } from './on-init.js';
import { applyScheduling } from './scheduling.js';
import { Lifecycle, type Plugin } from './lifecycle.js';

export interface App {
  readonly config: Config;
  readonly pool: WorkerPool | undefined;
  /** The HTTP port actually bound (useful with port 0). */
  readonly httpPort: number | undefined;
  reset(): Promise<void>;
  /** PIDs of the workers right now (for a forced exit, which must not leave them behind). */
  workerPids(): Promise<number[]>;
  /** Graceful stop: every plugin drains (status answers 503 for status.drain_delay), then stops in reverse order. */
  stop(): Promise<void>;
}

/** Environment every worker gets (roadrunner-protocol.md §2.1). */
export function workerEnv(config: Config, mode: string): Record<string, string> {
  const env: Record<string, string> = { RR_RELAY: config.server.relay };
  if (config.rpc) env.RR_RPC = config.rpc.listen;
  for (const [k, v] of Object.entries(config.server.env ?? {})) env[k.toUpperCase()] = v;
  env.RR_VERSION = RR_VERSION;
  env.BURNER_VERSION = BURNER_VERSION;
  env.RR_MODE = mode;
  return env;
}

export function poolOptions(config: Config, pool: NonNullable<Config['http']>['pool'], mode: string, cwd: string): PoolOptions {
  const sup = pool.supervisor;
  return {
    command: pool.command ?? config.server.command,
    env: workerEnv(config, mode),
    cwd,
    relay: config.server.relay,
    numWorkers: pool.num_workers,
    maxJobs: pool.max_jobs,
    allocateTimeout: pool.allocate_timeout,
    destroyTimeout: pool.destroy_timeout,
    resetTimeout: pool.reset_timeout,
    streamTimeout: pool.stream_timeout,
    maxQueueSize: pool.max_queue_size,
    debug: pool.debug,
    pipelining: pool.pipelining,
    supervisor: sup
      ? {
          watchTick: sup.watch_tick,
          ttl: sup.ttl,
          idleTtl: sup.idle_ttl,
          maxWorkerMemory: sup.max_worker_memory,
          execTtl: sup.exec_ttl,
        }
      : undefined,
  };
}

export function httpOptions(http: NonNullable<Config['http']>, cwd: string): HttpOptions {
  const st = http.static;
  // Through httpOptionsWithDefaults: an option the HTTP plugin adds before the config has a key keeps its default.
  return httpOptionsWithDefaults({
    address: http.address,
    internalErrorCode: http.internal_error_code,
    maxRequestSize: Math.round(http.max_request_size * 1024 * 1024),
    readTimeout: http.read_timeout,
    writeTimeout: http.write_timeout,
    // Absent keys keep the HTTP plugin's defaults (spreading `undefined` would erase them).
    ...(http.max_form_size !== undefined ? { maxFormSize: Math.round(http.max_form_size * 1024 * 1024) } : {}),
    ...(http.max_connections !== undefined ? { maxConnections: http.max_connections } : {}),
    ...(http.max_response_buffer !== undefined ? { maxResponseBuffer: Math.round(http.max_response_buffer * 1024 * 1024) } : {}),
    rawBody: http.raw_body,
    accessLogs: http.access_logs,
    codec: http.codec,
    middleware: http.middleware,
    uploads: { dir: path.resolve(cwd, http.uploads.dir), forbid: http.uploads.forbid, allow: http.uploads.allow },
    static: st
      ? {
          dir: path.resolve(cwd, st.dir),
          forbid: st.forbid,
          allow: st.allow,
          calculateEtag: st.calculate_etag,
          weak: st.weak,
          request: st.request ?? {},
          response: st.response ?? {},
        }
      : undefined,
    headers: http.headers
      ? { request: http.headers.request ?? {}, response: http.headers.response ?? {}, cors: http.headers.cors }
      : undefined,
    trustedSubnets: http.trusted_subnets,
    poolDebug: http.pool.debug,
  });
}

/** The worker pool of one plugin (today: http), as a lifecycle plugin. */
function poolPlugin(name: string, options: PoolOptions, log: Logger, onStart: (pool: WorkerPool) => void): Plugin {
  let pool: WorkerPool | undefined;
  return {
    name: `${name} pool`,
    async start() {
      pool = await createPool(options, log);
      onStart(pool);
    },
    async stop() {
      await pool?.destroy(); // bounded by the pool's own destroy_timeout
    },
  };
}

/** A server with listen()/close(), started on `address` (the http, rpc, status and metrics listeners). */
function listenerPlugin(name: string, listen: () => Promise<unknown>, close: (grace: number) => Promise<void> | void): Plugin {
  let listening = false;
  return {
    name,
    async start() {
      await listen();
      listening = true;
    },
    async stop(grace) {
      if (listening) await close(grace);
    },
  };
}

/**
 * The status plugin drains first on shutdown: its checks answer 503 at once (load balancers take the instance out)
 * while http still serves, for `status.drain_delay`. A StatusServer with its own drain() (which then owns the delay) is
 * used as is.
 */
function statusPlugin(status: StatusServer & { drain?: () => Promise<void> }, drainDelay: number, markDraining: () => void): Plugin {
  return {
    ...listenerPlugin(
      'status',
      () => status.listen(),
      () => status.close(),
    ),
    async drain() {
      markDraining();
      if (typeof status.drain === 'function') await status.drain();
      else if (drainDelay > 0) await new Promise((resolve) => setTimeout(resolve, drainDelay));
    },
  };
}

/** server.scheduling "workers": each worker starts through `chrt --batch 0` (scheduling.ts). */
function withPrefix(o: PoolOptions, prefix: string[]): PoolOptions {
  return prefix.length ? { ...o, command: [...prefix, ...o.command] } : o;
}

export async function startApp(loaded: LoadedConfig, log: Logger, cwd: string = process.cwd()): Promise<App> {
  const { config } = loaded;
  for (const w of loaded.warnings) log.warn(w);
  checkDirectories(loaded, cwd);
  const grace = config.endure?.grace_period ?? 30_000;
  let pool: WorkerPool | undefined;
  let httpPort: number | undefined;
  let draining = false;
  const pools = new Map<string, WorkerPool>();
  const checkers = new Map<string, StatusChecker>();
  // metrics.collect as YAML types it (numbers in buckets/objectives), not as the schema's text.
  const collect = (loaded.raw.metrics as { collect?: Record<string, unknown> } | undefined)?.collect;
  const metrics = config.metrics ? new Metrics({ collect }) : undefined;
  const plugins: Plugin[] = [];

  // Before on_init and the pools: their processes inherit it.
  const workerPrefix = await applyScheduling(config.server.scheduling, log.child({ logger: 'server' }));
  if (config.server.on_init) {
    const env = workerEnv(config, '');
    delete env.RR_MODE;
    await runOnInit(config.server.on_init, env, cwd, log.child({ logger: 'server' }));
  }

  if (config.http) {
    const httpConfig = config.http;
    plugins.push(
      poolPlugin(
        'http',
        withPrefix(poolOptions(config, httpConfig.pool, 'http', cwd), workerPrefix),
        log.child({ logger: 'server' }),
        (p) => {
          pool = p;
          pools.set('http', p);
          checkers.set(
            'http',
            poolChecker(p, () => draining),
          );
        },
      ),
    );
    let http: ReturnType<typeof createHttpServer> | undefined;
    plugins.push(
      listenerPlugin(
        'http',
        async () => {
          http = createHttpServer({ ...httpOptions(httpConfig, cwd), observer: metrics }, pool!, log.child({ logger: 'http' }));
          httpPort = (await http.listen()).port;
          log.info({ address: httpConfig.address, workers: httpConfig.pool.num_workers }, 'http server is listening');
        },
        (g) => http!.close(g),
      ),
    );
  } else {
    log.warn('no http section: nothing to serve');
  }
  if (config.rpc) {
    const listen = config.rpc.listen;
    const rpc = new RpcServer(
      rpcMethods({ pools, checkers, rawConfig: loaded.raw, metrics: metrics?.app }),
      log.child({ logger: 'rpc' }),
      rpcServerOptions(config.rpc),
    );
    plugins.push(
      listenerPlugin(
        'rpc',
        () => rpc.listen(listen),
        () => rpc.close(),
      ),
    );
  }
  if (config.status) {
    // drainDelay is for a StatusServer that drains by itself; passed as a variable so older option types still accept it.
    const statusOptions = {
      address: config.status.address,
      unavailableStatusCode: config.status.unavailable_status_code,
      drainDelay: config.status.drain_delay,
    };
    plugins.push(statusPlugin(new StatusServer(statusOptions, checkers), config.status.drain_delay, () => (draining = true)));
  }
  if (metrics) {
    const address = config.metrics!.address;
    plugins.push(
      listenerPlugin(
        'metrics',
        async () => {
          if (pool) metrics.watchPool(pool);
          await metrics.listen(address);
        },
        () => metrics.close(),
      ),
    );
  }
  if (config.reload) {
    const reload = config.reload;
    const services = new Map<string, WatchService>();
    for (const [name, svc] of Object.entries(reload.services)) {
      services.set(name, {
        dirs: svc.dirs.map((d) => path.resolve(cwd, d)),
        recursive: svc.recursive,
        ignore: svc.ignore.map((d) => path.resolve(cwd, d)),
        patterns: [...reload.patterns, ...svc.patterns],
      });
    }
    const reloader = new Reloader({
      interval: reload.interval,
      services,
      log: log.child({ logger: 'reload' }),
      reset: async (name) => {
        await pools.get(name)?.reset();
      },
    });
    plugins.push({ name: 'reload', start: () => reloader.start(), stop: () => reloader.stop() });
  }

  const lifecycle = new Lifecycle(log.child({ logger: 'server' }));
  await lifecycle.start(plugins, grace);

  let stopping: Promise<void> | undefined;
  return {
    config,
    pool,
    httpPort,
    async reset() {
      for (const p of pools.values()) await p.reset();
    },
    async workerPids() {
      const lists = await Promise.all(Array.from(pools.values(), (p) => p.workers().catch(() => [])));
      return lists.flat().map((w) => w.pid);
    },
    stop() {
      stopping ??= (async () => {
        draining = true;
        await lifecycle.drain();
        await lifecycle.stopAll(grace);
      })();
      return stopping;
    },
  };
}
