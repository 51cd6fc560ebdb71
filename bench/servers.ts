/**
 * The two servers under test, each started from its own config files in a temp dir, on 127.0.0.1 and a free port:
 * Burner (bin/rr.js serve) and nginx + php-fpm (Debian's binaries, `pm = static`); plus the two floors
 * (bench/floor/server.ts) measured next to them. Every process started here is in its own process group and is registered, so stopAll() can end it on success, error or Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { descendants } from './proc.js';

export interface Server {
  label: string;
  baseUrl: string;
  /** The front process(es): Node for Burner; nginx master + workers. */
  serverPids(): Promise<number[]>;
  /** The PHP processes: Burner's workers; php-fpm master + children. */
  workerPids(): Promise<number[]>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Ends every process started here (SIGTERM to the leader, then SIGKILL to its group after 5 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopGroup(child)));
}

async function stopGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    running.delete(child);
    return;
  }
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The leader first (Burner, nginx and php-fpm each stop their own workers); the group only if it hangs.
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
  // Anything left in the group (e.g. a worker that ignored the signal) goes too.
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is empty
  }
  running.delete(child);
}

/** The command line that runs `cmd` under SCHED_BATCH (`chrt -b 0`, inherited by its children) when `batch`. */
function underBatch(batch: boolean | undefined, cmd: string, args: string[]): [string, string[]] {
  return batch ? ['chrt', ['-b', '0', cmd, ...args]] : [cmd, args];
}

function start(command: string, args: string[], opts: { cwd?: string; logFile: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  // A bash wrapper raises the open-files limit (the keep-alive test holds 10 000 connections) before exec.
  const wrapped = [
    '-c',
    'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@" >>"$LOGFILE" 2>&1',
    'bench',
    command,
    ...args,
  ];
  const child = spawn('bash', wrapped, {
    cwd: opts.cwd,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...opts.env, LOGFILE: opts.logFile },
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function get(
  url: string,
  timeoutMs = 5000,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; setCookie?: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, setCookie: res.headers['set-cookie'] }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitReady(url: string, child: ChildProcess, logFile: string, label: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await get(url, 2000);
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const log = await readFile(logFile, 'utf8').catch(() => '');
  throw new Error(`${label} did not answer 200 on ${url} (${last})\n--- ${logFile}:\n${log.slice(-3000)}`);
}

/** The process that bash exec'd into has the wrapper's pid. */
function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('process did not start');
  return child.pid;
}

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface BurnerOptions {
  dir: string;
  workers: number;
  /** The worker command (argv, no shell). */
  command: string[];
  env?: Record<string, string>;
  readyPath: string;
  /** Options for Burner's node process (e.g. `--cpu-prof`), before bin/rr.js. */
  nodeArgs?: string[];
  /** http.pool.pipelining (Burner's default: on). */
  pipelining?: boolean;
  /** server.scheduling (Burner's default: batch). */
  scheduling?: 'batch' | 'normal';
}

export async function startBurner(opts: BurnerOptions): Promise<Server> {
  await mkdir(path.join(opts.dir, 'uploads'), { recursive: true });
  const port = await freePort();
  const config = [
    'version: "3"',
    'server:',
    `  command: ${JSON.stringify(opts.command)}`,
    `  scheduling: ${opts.scheduling ?? 'batch'}`,
    ...(opts.env ? ['  env:', ...Object.entries(opts.env).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'http:',
    `  address: 127.0.0.1:${port}`,
    '  max_request_size: 2048',
    '  uploads:',
    `    dir: ${JSON.stringify(path.join(opts.dir, 'uploads'))}`,
    '  pool:',
    `    num_workers: ${opts.workers}`,
    `    pipelining: ${opts.pipelining !== false}`,
    'logs:',
    '  level: warn',
    '',
  ].join('\n');
  const configFile = path.join(opts.dir, '.rr.yaml');
  await writeFile(configFile, config);
  const logFile = path.join(opts.dir, 'burner.log');
  const child = start(process.execPath, [...(opts.nodeArgs ?? []), path.join(REPO, 'bin/rr.js'), 'serve', '-c', configFile], {
    logFile,
    cwd: opts.dir,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(baseUrl + opts.readyPath, child, logFile, 'Burner');
  const pid = pidOf(child);
  return {
    label: 'Burner',
    baseUrl,
    serverPids: async () => [pid],
    workerPids: () => descendants(pid),
    stop: () => stopGroup(child),
  };
}

export interface FpmOptions {
  dir: string;
  workers: number;
  /** nginx root; requests for missing files go to <docRoot>/index.php (CI4's front controller). */
  docRoot: string;
  readyPath: string;
  /** Environment of the PHP workers (`env[NAME] = value` in the pool; php-fpm clears the rest). */
  env?: Record<string, string>;
  /** nginx and php-fpm under SCHED_BATCH (`chrt -b 0`, inherited by their workers): an A/B run, not how they start. */
  batch?: boolean;
}

const isRoot = process.getuid?.() === 0;

export async function startNginxFpm(opts: FpmOptions): Promise<Server> {
  const dir = opts.dir;
  for (const sub of ['nginx-tmp/body', 'nginx-tmp/fastcgi', 'nginx-tmp/proxy', 'nginx-tmp/uwsgi', 'nginx-tmp/scgi']) {
    await mkdir(path.join(dir, sub), { recursive: true });
  }
  const port = await freePort();
  const socket = path.join(dir, 'fpm.sock');
  const fpmConf = [
    '[global]',
    `pid = ${dir}/fpm.pid`,
    `error_log = ${dir}/fpm-error.log`,
    'daemonize = no',
    'log_level = warning',
    '',
    '[bench]',
    ...(isRoot ? ['user = root', 'group = root'] : []),
    `listen = ${socket}`,
    'listen.backlog = 4096',
    'pm = static',
    `pm.max_children = ${opts.workers}`,
    'pm.max_requests = 0',
    'catch_workers_output = yes',
    `chdir = ${opts.docRoot}`,
    'php_admin_value[opcache.enable] = 1',
    ...Object.entries(opts.env ?? {}).map(([k, v]) => `env[${k}] = ${JSON.stringify(v)}`),
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'php-fpm.conf'), fpmConf);
  const nginxConf = [
    ...(isRoot ? ['user root;'] : []),
    'worker_processes 1;',
    'worker_rlimit_nofile 65536;',
    'daemon off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/nginx-error.log warn;`,
    'events { worker_connections 16384; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/nginx-tmp/body;`,
    `  fastcgi_temp_path ${dir}/nginx-tmp/fastcgi;`,
    `  proxy_temp_path ${dir}/nginx-tmp/proxy;`,
    `  uwsgi_temp_path ${dir}/nginx-tmp/uwsgi;`,
    `  scgi_temp_path ${dir}/nginx-tmp/scgi;`,
    '  keepalive_requests 1000000;',
    '  client_max_body_size 2g;',
    '  server {',
    `    listen 127.0.0.1:${port};`,
    `    root ${opts.docRoot};`,
    '    location / { try_files $uri /index.php$is_args$args; }',
    '    location = /index.php {',
    '      include /etc/nginx/fastcgi_params;',
    '      fastcgi_param SCRIPT_FILENAME $document_root/index.php;',
    `      fastcgi_pass unix:${socket};`,
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'nginx.conf'), nginxConf);

  const fpmLog = path.join(dir, 'fpm.out');
  const fpm = start(
    ...underBatch(opts.batch, 'php-fpm8.2', [
      '--nodaemonize',
      ...(isRoot ? ['-R'] : []),
      '-y',
      path.join(dir, 'php-fpm.conf'),
      '-p',
      dir,
      '-d',
      'opcache.enable=1',
    ]),
    { logFile: fpmLog },
  );
  const nginxLog = path.join(dir, 'nginx.out');
  const nginx = start(
    ...underBatch(opts.batch, 'nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'nginx-error.log')]),
    {
      logFile: nginxLog,
    },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(baseUrl + opts.readyPath, nginx, nginxLog, 'nginx + php-fpm');
  } catch (e) {
    const fpmErr = await readFile(path.join(dir, 'fpm-error.log'), 'utf8').catch(() => '');
    await Promise.all([stopGroup(nginx), stopGroup(fpm)]);
    throw new Error(`${(e as Error).message}\n--- fpm-error.log:\n${fpmErr.slice(-2000)}`, { cause: e });
  }
  const nginxPid = pidOf(nginx);
  const fpmPid = pidOf(fpm);
  return {
    label: 'nginx+FPM',
    baseUrl,
    serverPids: async () => [nginxPid, ...(await descendants(nginxPid))],
    workerPids: async () => [fpmPid, ...(await descendants(fpmPid))],
    stop: async () => {
      await Promise.all([stopGroup(nginx), stopGroup(fpm)]);
    },
  };
}

export interface FloorOptions {
  dir: string;
  workers: number;
  /** true: node:http + the minimal relay to `workers` echo workers; false: node:http alone, no PHP. */
  php: boolean;
  /** Extra options of floor/server.js (e.g. `--pause-when-queued`) and environment (e.g. FLOOR_SLEEP_US). */
  args?: string[];
  env?: Record<string, string>;
  /** Under SCHED_BATCH (`chrt -b 0`, inherited by its workers), as Burner runs by default. */
  batch?: boolean;
}

/** The floor (bench/floor/server.ts): what node:http costs here, alone or with a minimal relay to PHP. */
export async function startFloor(opts: FloorOptions): Promise<Server> {
  const port = await freePort();
  const logFile = path.join(opts.dir, opts.php ? 'floor-relay.log' : 'floor-http.log');
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'floor/server.js');
  const args = [script, '--port', String(port), '--workers', String(opts.workers), ...(opts.php ? [] : ['--no-php']), ...(opts.args ?? [])];
  const child = start(...underBatch(opts.batch, process.execPath, args), { logFile, cwd: REPO, env: opts.env });
  const label = opts.php ? 'floor: node:http + minimal relay' : 'floor: node:http alone';
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(baseUrl + '/', child, logFile, label);
  const pid = pidOf(child);
  return {
    label,
    baseUrl,
    serverPids: async () => [pid],
    workerPids: () => (opts.php ? descendants(pid) : Promise.resolve([])),
    stop: () => stopGroup(child),
  };
}
