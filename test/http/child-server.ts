/**
 * The HTTP plugin in its own process, for tests that must watch the server as a whole: that it survives (an
 * unhandled 'error' would end this process, not the test runner), its peak memory (VmHWM), graceful close on
 * SIGTERM. Inert unless BURNER_HTTP_CHILD holds its options as JSON; prints one line `{"port":N}` when listening.
 */
import { createPool } from '../../src/pool/pool.js';
import { createHttpServer } from '../../src/http/server.js';
import { httpOptionsWithDefaults, type HttpOptions } from '../../src/http/options.js';
import type { Log } from '../../src/pool/types.js';

export interface ChildOptions {
  worker: string;
  numWorkers: number;
  http: Partial<HttpOptions>;
  graceMs?: number;
}

const raw = process.env.BURNER_HTTP_CHILD;
if (raw !== undefined) await main(JSON.parse(raw) as ChildOptions);

async function main(o: ChildOptions): Promise<void> {
  const line = (level: string) => (obj: object | string, msg?: string) => {
    if (level === 'debug') return;
    process.stderr.write(
      JSON.stringify({ level, msg: typeof obj === 'string' ? obj : msg, ...(typeof obj === 'object' ? obj : {}) }) + '\n',
    );
  };
  const log: Log = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  const pool = await createPool(
    {
      command: ['php', o.worker],
      env: { RR_MODE: 'http', RR_RELAY: 'pipes' },
      relay: 'pipes',
      numWorkers: o.numWorkers,
      maxJobs: 0,
      allocateTimeout: 20_000,
      destroyTimeout: 3000,
      resetTimeout: 5000,
      streamTimeout: 3000,
      maxQueueSize: 0,
      debug: false,
    },
    log,
  );
  const plugin = createHttpServer(httpOptionsWithDefaults({ address: '127.0.0.1:0', ...o.http }), pool, log);
  const { port } = await plugin.listen();
  process.stdout.write(JSON.stringify({ port }) + '\n');
  process.once('SIGTERM', () => {
    void plugin
      .close(o.graceMs ?? 5000)
      .then(() => pool.destroy())
      .then(() => process.exit(0));
  });
}
