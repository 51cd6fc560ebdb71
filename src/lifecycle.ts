/**
 * One lifecycle for every plugin (pool, http, rpc, status, metrics, reload): started in order, drained together,
 * stopped in reverse order. A failing start stops what already started and rethrows the original error; a failing
 * drain or stop is logged and the others still run, so the pool is always destroyed.
 */
import type { Log } from './pool/types.js';

export interface Plugin {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking work and release everything; in-flight work gets up to `grace` ms. */
  stop(grace: number): Promise<void>;
  /**
   * First phase of a graceful shutdown, while everything still serves: e.g. /health answers 503 so that load
   * balancers move traffic away before the listeners close.
   */
  drain?(): Promise<void>;
}

export class Lifecycle {
  private readonly started: Plugin[] = [];
  private draining: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Log) {}

  /** Starts `plugins` in order. On failure, stops the started ones (reverse order) and rethrows the start error. */
  async start(plugins: Plugin[], grace: number): Promise<void> {
    for (const plugin of plugins) {
      try {
        await plugin.start();
      } catch (err) {
        this.log.error({ plugin: plugin.name, err: String(err) }, 'plugin failed to start; stopping the others');
        await this.stopAll(grace).catch(() => undefined); // each failure is logged there; the start error wins
        throw err;
      }
      this.started.push(plugin);
    }
  }

  /** Runs every started plugin's drain() at once and waits for all of them (once). */
  drain(): Promise<void> {
    this.draining ??= Promise.all(
      this.started.map(async (plugin) => {
        try {
          await plugin.drain?.();
        } catch (err) {
          this.log.error({ plugin: plugin.name, err: String(err) }, 'plugin failed to drain');
        }
      }),
    ).then(() => undefined);
    return this.draining;
  }

  /** Stops the started plugins in reverse order (once); rejects with the first stop error after all have run. */
  stopAll(grace: number): Promise<void> {
    this.stopping ??= (async () => {
      const failures: unknown[] = [];
      for (const plugin of [...this.started].reverse()) {
        try {
          await plugin.stop(grace);
        } catch (err) {
          failures.push(err);
          this.log.error({ plugin: plugin.name, err: String(err) }, 'plugin failed to stop; stopping the others');
        }
      }
      this.started.length = 0;
      if (failures.length > 0) throw failures[0];
    })();
    return this.stopping;
  }
}
