/**
 * Assembles the plugins from a loaded config: the worker pool, the HTTP server (and, as they land, RPC, status,
 * metrics, reload). Owns the start/stop order: pool first, then listeners; on stop, listeners first, then the pool.
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
import { RpcServer } from './rpc/server.js';
import { rpcMethods } from './rpc/methods.js';
import { StatusServer, poolChecker, type StatusChecker } from './status/server.js';
import { Metrics } from './metrics/index.js';
import { Reloader, type WatchService } from './reload/index.js';
import { runOnInit } from './on-init.js';

export interface App {
  readonly config: Config;
  readonly pool: WorkerPool | undefined;
  /** The HTTP port actually bound (useful with port 0). */
  readonly httpPort: number | undefined;
  reset(): Promise<void>;
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

export async function startApp(loaded: LoadedConfig, log: Logger, cwd: string = process.cwd()): Promise<App> {
  const { config } = loaded;
  for (const w of loaded.warnings) log.warn(w);
  let pool: WorkerPool | undefined;
  let http: ReturnType<typeof createHttpServer> | undefined;
  let httpPort: number | undefined;
  let stoppingFlag = false;
  const pools = new Map<string, WorkerPool>();
  const checkers = new Map<string, StatusChecker>();
  const closers: Array<() => Promise<void> | void> = [];
  const metrics = config.metrics ? new Metrics() : undefined;
  checkDirectories(loaded, cwd);
  if (config.server.on_init) {
    const env = workerEnv(config, '');
    delete env.RR_MODE;
    await runOnInit(config.server.on_init, env, cwd, log.child({ logger: 'server' }));
  }

  try {
    if (config.http) {
      const httpPool: WorkerPool = await createPool(poolOptions(config, config.http.pool, 'http', cwd), log.child({ logger: 'server' }));
      pool = httpPool;
      pools.set('http', httpPool);
      checkers.set('http', poolChecker(httpPool, () => stoppingFlag));
      closers.push(() => httpPool.destroy());
      http = createHttpServer({ ...httpOptions(config.http, cwd), observer: metrics }, httpPool, log.child({ logger: 'http' }));
      httpPort = (await http.listen()).port;
      closers.unshift(() => http!.close(config.endure?.grace_period ?? 30_000));
      log.info({ address: config.http.address, workers: config.http.pool.num_workers }, 'http server is listening');
    } else {
      log.warn('no http section: nothing to serve');
    }

    if (config.rpc) {
      const rpc = new RpcServer(rpcMethods({ pools, checkers, rawConfig: loaded.raw }), log.child({ logger: 'rpc' }));
      await rpc.listen(config.rpc.listen);
      closers.unshift(() => rpc.close());
      log.debug({ listen: config.rpc.listen }, 'rpc is listening');
    }
    if (config.status) {
      const status = new StatusServer(
        { address: config.status.address, unavailableStatusCode: config.status.unavailable_status_code },
        checkers,
      );
      await status.listen();
      closers.push(() => status.close());
    }
    if (metrics) {
      if (pool) metrics.watchPool(pool);
      await metrics.listen(config.metrics!.address);
      closers.push(() => metrics.close());
    }
    if (config.reload) {
      const services = new Map<string, WatchService>();
      for (const [name, svc] of Object.entries(config.reload.services)) {
        services.set(name, { dirs: svc.dirs.map((d) => path.resolve(cwd, d)), recursive: svc.recursive, ignore: svc.ignore.map((d) => path.resolve(cwd, d)), patterns: [...config.reload.patterns, ...svc.patterns] });
      }
      const reloader = new Reloader({
        interval: config.reload.interval,
        services,
        log: log.child({ logger: 'reload' }),
        reset: async (name) => {
          const p = pools.get(name);
          if (p) await p.reset();
        },
      });
      await reloader.start();
      closers.unshift(() => reloader.stop());
    }
  } catch (err) {
    for (const close of closers) await close();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    config,
    pool,
    httpPort,
    async reset() {
      for (const p of pools.values()) await p.reset();
    },
    stop() {
      stoppingFlag = true;
      stopping ??= (async () => {
        for (const close of closers) await close();
      })();
      return stopping;
    },
  };
}
