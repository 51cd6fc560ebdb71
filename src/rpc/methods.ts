/**
 * RoadRunner's RPC services with their names and JSON shapes (roadrunner-protocol.md §5.2):
 * rpc.Version/Config, resetter.List/Reset, informer.List/Workers, status.Status/Ready.
 */
import type { WorkerPool } from '../pool/types.js';
import type { StatusChecker } from '../status/server.js';
import { RR_VERSION } from '../version.js';
import { Coalescer } from './coalesce.js';
import { redactConfig } from './redact.js';
import type { RpcMethods } from './server.js';

export interface RpcContext {
  /** Plugins with a worker pool (informer + resetter), by name. */
  pools: Map<string, WorkerPool>;
  /** Health checkers by plugin name. */
  checkers: Map<string, StatusChecker>;
  /** The expanded config, as plain data. */
  rawConfig: Record<string, unknown>;
  /** The metrics plugin's application collectors (`metrics.*` methods), when a metrics section exists. */
  metrics?: { rpcMethods(): Array<[string, (arg: unknown) => unknown]> };
}

function pluginName(method: string, arg: unknown): string {
  if (typeof arg !== 'string') throw new Error(`rpc: ${method}: the argument must be a plugin name (a JSON string such as "http")`);
  return arg;
}

export function rpcMethods(ctx: RpcContext): RpcMethods {
  const m: RpcMethods = new Map();
  m.set('rpc.Version', () => RR_VERSION);
  // Redacted once: the config does not change while the server runs (a reload starts a new process).
  const safeConfig = Buffer.from(JSON.stringify(redactConfig(ctx.rawConfig))).toString('base64');
  m.set('rpc.Config', () => safeConfig);
  const resets = new Coalescer();

  m.set('resetter.List', () => [...ctx.pools.keys()]);
  m.set('resetter.Reset', async (arg) => {
    const name = pluginName('resetter.Reset', arg);
    const pool = ctx.pools.get(name);
    if (!pool) throw new Error(`no such plugin: ${name}`);
    await resets.run(name, () => pool.reset());
    return true;
  });

  m.set('informer.List', () => [...ctx.pools.keys()]);
  m.set('informer.Workers', async (arg) => {
    const pool = ctx.pools.get(pluginName('informer.Workers', arg));
    return { workers: pool ? await pool.workers() : null };
  });

  // Spiral\RoadRunner\WorkerPool::addWorker/removeWorker: Burner's pool keeps num_workers, so say that plainly
  // instead of "can't find method".
  for (const verb of ['AddWorker', 'RemoveWorker'] as const) {
    m.set(`informer.${verb}`, (arg) => {
      const name = pluginName(`informer.${verb}`, arg);
      if (!ctx.pools.has(name)) throw new Error(`no such plugin: ${name}`);
      throw new Error(
        `informer.${verb}: not supported by Burner: the ${name} pool keeps ${name}.pool.num_workers workers (change it in .rr.yaml and restart)`,
      );
    });
  }

  const status = (kind: 'status' | 'ready') => async (arg: unknown) => {
    const name =
      arg && typeof arg === 'object' && typeof (arg as { plugin?: unknown }).plugin === 'string'
        ? (arg as { plugin: string }).plugin
        : undefined;
    if (name === undefined) throw new Error(`rpc: status: the argument must be {"plugin":"<name>"}`);
    const checker = ctx.checkers.get(name);
    if (!checker) throw new Error(`no such plugin: ${name}`);
    return checker[kind]();
  };
  m.set('status.Status', status('status'));
  m.set('status.Ready', status('ready'));
  for (const [name, fn] of ctx.metrics?.rpcMethods() ?? []) m.set(name, fn);
  return m;
}
