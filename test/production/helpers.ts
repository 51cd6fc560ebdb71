/**
 * CodeIgniter apps and Burner instances for the production tests: one app per test file and CI version (made by
 * scripts/ci4-app.sh, with test/fixtures/production over it and a .env pointing at the test's services), and
 * `rr serve` processes that can be restarted on the same port (a rolling restart behind a load balancer).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, RR } from '../e2e/harness.js';
import { canConnect, freePort } from '../support/services.js';

export { ROOT, freePort };

/** Every CodeIgniter version the bridge supports; ci4-app.sh sets each up. */
export const CI_VERSIONS = ['4.1.3', '4.4.8', '4.6.5', '4.7.2'] as const;
export type CiVersion = (typeof CI_VERSIONS)[number];

export type AppResult = { app: string } | { skip: string };

/**
 * A CI app of `version` under tmp/<name>-<version> with the shared test fixtures and test/fixtures/production, the
 * production routes included, and `.env` holding `env` (CI's dotted keys: database.default.hostname = ...).
 * Resolves `{skip}` with the reason when the version cannot be set up here (tarball absent, ci4-app.sh without it).
 */
export function prodApp(name: string, version: CiVersion, env: Record<string, string | number | boolean>): AppResult {
  const target = path.join(ROOT, 'tmp', `${name}-${version}`);
  const script = (args: string[]) =>
    spawnSync('bash', [path.join(ROOT, 'scripts/ci4-app.sh'), target, ...args, '--fixtures'], { encoding: 'utf8', timeout: 180_000 });
  let res = script(['--version', version]);
  // A ci4-app.sh from before --version makes 4.1.3 only.
  if (res.status === 2 && /unknown option --version/.test(res.stderr) && version === '4.1.3') res = script([]);
  if (res.status === 3) return { skip: `CodeIgniter ${version}: ${res.stderr.trim()}` };
  if (res.status === 2 && /unknown option|unsupported version/.test(res.stderr)) {
    return { skip: `CodeIgniter ${version}: scripts/ci4-app.sh cannot set it up (${res.stderr.trim()})` };
  }
  if (res.status !== 0) throw new Error(`scripts/ci4-app.sh ${version} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  cpSync(path.join(ROOT, 'test/fixtures/production'), target, { recursive: true });
  const routes = path.join(target, 'app/Config/Routes.php');
  const include = "require APPPATH . 'Config/ProdRoutes.php';";
  if (!readFileSync(routes, 'utf8').includes(include)) appendFileSync(routes, `\n${include}\n`);
  const lines = Object.entries(env).map(([k, v]) => `${k} = ${typeof v === 'string' ? `'${v}'` : String(v)}`);
  writeFileSync(path.join(target, '.env'), lines.join('\n') + '\n');
  rmSync(path.join(target, 'writable/session'), { recursive: true, force: true });
  mkdirSync(path.join(target, 'writable/session'), { recursive: true });
  return { app: target };
}

/** .env lines for CI's default database group on MySQLi. */
export function dbEnv(port: number, database = 'app', user = 'app', password = 'secret'): Record<string, string | number | boolean> {
  return {
    'database.default.hostname': '127.0.0.1',
    'database.default.port': port,
    'database.default.database': database,
    'database.default.username': user,
    'database.default.password': password,
    'database.default.DBDriver': 'MySQLi',
    'database.default.DBDebug': true,
  };
}

/** .env lines for sessions (RedisHandler, database 1) and cache (Redis handler, database 0) in Redis. */
export function redisEnv(port: number): Record<string, string | number | boolean> {
  const handler = 'CodeIgniter\\Session\\Handlers\\RedisHandler';
  const savePath = `tcp://127.0.0.1:${port}?database=1`;
  return {
    // CI 4.1-4.4 read the session settings from Config\App, 4.3+ from Config\Session (unknown keys are ignored).
    'app.sessionDriver': handler,
    'app.sessionSavePath': savePath,
    'app.sessionCookieName': 'ci_session',
    'session.driver': handler,
    'session.savePath': savePath,
    'session.cookieName': 'ci_session',
    'cache.handler': 'redis',
    'cache.backupHandler': 'dummy',
    'cache.redis.host': '127.0.0.1',
    'cache.redis.port': port,
    'cache.redis.database': 0,
  };
}

export interface Instance {
  readonly app: string;
  readonly port: number;
  readonly url: string;
  readonly statusPort: number;
  /** Config file and temp dir of this instance. */
  readonly dir: string;
  logs(): string;
  /** Starts `rr serve` (again) on the same ports; resolves once HTTP accepts connections. */
  start(): Promise<void>;
  /** Sends SIGTERM once (a second SIGTERM would force the exit); returns the pid. */
  terminate(): number;
  /** SIGTERM (once) and wait for the exit (the graceful path: drain, in-flight requests finish). Resolves the exit code. */
  stop(): Promise<number | null>;
  /** Stop and remove the temp dir. */
  dispose(): Promise<void>;
  readonly child: ChildProcess | undefined;
}

export interface InstanceOptions {
  app: string;
  workers?: number;
  env?: Record<string, string>;
  /** Extra top-level YAML (e.g. `endure:` or more `status:` keys are NOT allowed here: use statusExtra). */
  extra?: string;
  /** Extra lines under `http:` (two-space indented). */
  httpExtra?: string;
  /** Extra lines under `status:` (two-space indented), e.g. `  drain_delay: 1s`. */
  statusExtra?: string;
  /** Kill it if it is not listening after this long (workers boot first). */
  waitMs?: number;
}

/** An `rr serve` of the bridge's worker on `app`, with a status endpoint, on fixed free ports (restartable). */
export async function instance(options: InstanceOptions): Promise<Instance> {
  const port = await freePort();
  const statusPort = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-prod-'));
  const env = { BURNER_APP_ROOT: options.app, CI_ENVIRONMENT: 'production', ...options.env };
  const yaml = `version: "3"
server:
  command: "php -d opcache.enable_cli=1 ${ROOT}/php/worker/codeigniter.php"
  env:
${Object.entries(env)
  .map(([k, v]) => `    ${k}: "${v}"`)
  .join('\n')}
http:
  address: 127.0.0.1:${port}
  uploads:
    dir: ${dir}
  pool:
    num_workers: ${options.workers ?? 2}
    allocate_timeout: 60s
    destroy_timeout: 10s
${options.httpExtra ?? ''}
status:
  address: 127.0.0.1:${statusPort}
${options.statusExtra ?? ''}
${options.extra ?? ''}`;
  const file = path.join(dir, '.rr.yaml');
  writeFileSync(file, yaml);
  let child: ChildProcess | undefined;
  let terminated = false;
  let exited: Promise<number | null> = Promise.resolve(null);
  let logs = '';
  const self: Instance = {
    app: options.app,
    port,
    statusPort,
    url: `http://127.0.0.1:${port}`,
    dir,
    logs: () => logs,
    get child() {
      return child;
    },
    async start() {
      const c = spawn(process.execPath, [RR, 'serve', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      terminated = false;
      c.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
      exited = new Promise((resolve) => c.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + (options.waitMs ?? 90_000);
      while (!(await canConnect(port))) {
        if (c.exitCode !== null || c.signalCode !== null) throw new Error(`rr serve exited with ${c.exitCode ?? c.signalCode}:\n${logs}`);
        if (Date.now() > deadline) {
          await self.stop();
          throw new Error(`rr serve did not listen on ${port} in time:\n${logs}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    terminate() {
      const c = child;
      if (!c) throw new Error('not running');
      if (!terminated && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      terminated = true;
      return c.pid!;
    },
    async stop() {
      const c = child;
      if (!c) return null;
      if (!terminated && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      terminated = true;
      const killer = setTimeout(() => c.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(killer);
      child = undefined;
      return code;
    },
    async dispose() {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await self.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return self;
}

/**
 * Starts an instance and checks the app answers `probe`; resolves `{skip}` with the reason (and the end of the server
 * log) when this CI version's worker does not boot or serve yet, so the tests can say so and go on. Never skips the
 * baseline CI 4.1.3 or a failure of Burner itself (a Node error): those throw.
 */
export async function bootOrSkip(
  options: InstanceOptions,
  version: CiVersion,
  probe = '/prod/slow?ms=0',
): Promise<{ inst: Instance } | { skip: string }> {
  const skipOrThrow = (reason: string) => {
    if (version === '4.1.3' || /file:\/\/\S+\/dist\/src\/|node:internal/.test(reason)) throw new Error(reason);
    return { skip: reason };
  };
  let inst: Instance;
  try {
    inst = await instance(options);
  } catch (err) {
    return skipOrThrow(`the worker does not boot: ${tail(String(err))}`);
  }
  try {
    const res = await fetch(inst.url + probe);
    const text = await res.text();
    if (res.status !== 200) {
      const logs = inst.logs();
      await inst.dispose();
      return skipOrThrow(`GET ${probe} answered ${res.status}: ${text.slice(0, 300)}\n${tail(logs)}`);
    }
  } catch (err) {
    const logs = inst.logs();
    await inst.dispose();
    return skipOrThrow(`GET ${probe} failed: ${String(err)}\n${tail(logs)}`);
  }
  return { inst };
}

export function tail(text: string, lines = 25): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export interface Reply {
  status: number;
  body: Record<string, any> | undefined;
  text: string;
  /** When the request was sent (ms since epoch). */
  sentAt: number;
}

export async function get(url: string, init: RequestInit = {}): Promise<Reply> {
  const sentAt = Date.now();
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, any> | undefined;
  try {
    body = JSON.parse(text) as Record<string, any>;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, sentAt };
}
