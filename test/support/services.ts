/**
 * Real backing services for tests (and benchmarks): MariaDB, Redis, memcached and HAProxy, each started directly from
 * the Debian binaries on 127.0.0.1 and a free port, with its data in a temp dir and no systemd. Readiness is a real
 * client round trip (a query, PING, `version`, a TCP connect through the proxy), never a fixed sleep.
 *
 * Every service is stopped by its `stop()` (call it in `after`/`finally`); as a last resort, the ones still running
 * when the Node process exits are SIGKILLed so a crashed test run leaves no daemon behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Service {
  readonly host: string;
  readonly port: number;
  /** Temp dir holding the service's data, config and log. */
  readonly dir: string;
  /** Whatever the daemon wrote to stdout/stderr (MariaDB's error log is in `dir`). */
  logs(): string;
  /** SIGTERM (SIGKILL after 15 s), wait for the exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface RestartableService extends Service {
  /** Stops the daemon (keeping its data) and starts it again on the same port; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops the daemon, keeping its data and port, for outage tests; `start()` brings it back. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to completion (no shell); never rejects. */
export function exec(
  cmd: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err) });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running daemon: spawn, wait for `ready()`, stop with SIGTERM. */
class Daemon {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    private readonly name: string,
    private readonly cmd: string,
    private readonly args: () => string[],
    private readonly ready: () => Promise<boolean>,
    private readonly extraLogs: () => string = () => '',
  ) {}

  logs(): string {
    return this.output + this.extraLogs();
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(this.cmd, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    track(child);
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`${this.name}: cannot run ${this.cmd}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${this.logs()}`);
      }
      if (await this.ready()) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.name} was not ready after ${timeoutMs} ms:\n${this.logs()}`);
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(killer);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// MariaDB

/**
 * Starts `daemon` (then `setup`, if given) and returns what every service handle has; if either fails, the daemon is
 * stopped and its temp dir removed before the error is passed on.
 */
async function launch(
  daemon: Daemon,
  dir: string,
  port: number,
  setup?: () => Promise<void>,
  startMs?: number,
): Promise<RestartableService> {
  const stop = async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await daemon.start(startMs);
    await setup?.();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    dir,
    logs: () => daemon.logs(),
    stop,
    start: () => daemon.start(startMs),
    kill: () => daemon.stop(),
    async restart() {
      await daemon.stop();
      await daemon.start(startMs);
    },
  };
}

export interface MariaDb extends RestartableService {
  /** Runs SQL through the `mariadb` CLI as root; resolves with the tab-separated rows (no header), rejects on error. */
  query(sql: string): Promise<string[][]>;
  /** Connections currently open on the server for `user` (from the processlist), the CLI's own excluded. */
  connections(user: string): Promise<number>;
}

export interface MariaDbOptions {
  /** Extra mariadbd options, e.g. `--wait-timeout=2`. */
  args?: string[];
  /** Creates this database and a user `user`@`127.0.0.1` / `%` with all rights on it (password as given). */
  database?: { name: string; user: string; password: string };
}

/** MariaDB from `mariadb-install-db` + `mariadbd`, as root (`--user=root`), TCP on 127.0.0.1 only. */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-mariadb-'));
  const datadir = path.join(dir, 'data');
  const errLog = path.join(dir, 'error.log');
  const port = await freePort();
  const init = await exec(
    'mariadb-install-db',
    ['--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${datadir}`, '--user=root', '--skip-test-db'],
    { timeoutMs: 120_000 },
  );
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (${init.code}):\n${init.stdout}\n${init.stderr}`);
  }
  const cli = (sql: string, timeoutMs = 30_000) =>
    exec(
      'mariadb',
      ['--no-defaults', '-uroot', '-h127.0.0.1', `-P${port}`, '--batch', '--skip-column-names', '--connect-timeout=2', '-e', sql],
      {
        timeoutMs,
      },
    );
  const daemon = new Daemon(
    'mariadbd',
    'mariadbd',
    () => [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${path.join(dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      `--log-error=${errLog}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--max-connections=500',
      ...(options.args ?? []),
    ],
    async () => (await cli('SELECT 1', 5_000)).code === 0,
    () => readIfExists(errLog),
  );
  const base = await launch(
    daemon,
    dir,
    port,
    async () => {
      if (options.database) {
        const { name, user, password } = options.database;
        const q = (s: string) => s.replaceAll("'", "''");
        const res = await cli(
          `CREATE DATABASE IF NOT EXISTS \`${name}\`;` +
            `CREATE USER IF NOT EXISTS '${q(user)}'@'127.0.0.1' IDENTIFIED BY '${q(password)}';` +
            `CREATE USER IF NOT EXISTS '${q(user)}'@'%' IDENTIFIED BY '${q(password)}';` +
            `GRANT ALL ON \`${name}\`.* TO '${q(user)}'@'127.0.0.1';` +
            `GRANT ALL ON \`${name}\`.* TO '${q(user)}'@'%';` +
            `GRANT PROCESS ON *.* TO '${q(user)}'@'127.0.0.1';`,
        );
        if (res.code !== 0) throw new Error(`creating the database failed:\n${res.stderr}`);
      }
    },
    120_000,
  );
  const query = async (sql: string) => {
    const res = await cli(sql);
    if (res.code !== 0) throw new Error(`mariadb: ${res.stderr.trim()} (SQL: ${sql})`);
    return res.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
  };
  return {
    ...base,
    query,
    async connections(user: string) {
      const rows = await query(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '${user.replaceAll("'", "''")}'`);
      return Number(rows[0]?.[0] ?? 0);
    },
  };
}

function readIfExists(file: string): string {
  try {
    return '\n--- ' + file + '\n' + readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Redis

export interface Redis extends RestartableService {
  /** Sends one command (RESP) on a fresh connection and resolves with the decoded reply. */
  command(...args: string[]): Promise<RespValue>;
  /** The same in database `db` (SELECT first, on the same connection). */
  commandIn(db: number, ...args: string[]): Promise<RespValue>;
  /** The `CLIENT LIST` lines (one per connected client, this command's own connection excluded). */
  clients(): Promise<Array<Record<string, string>>>;
}

export type RespValue = string | number | null | RespValue[] | Error;

/** `redis-server` with no persistence, 127.0.0.1 only. */
export async function startRedis(options: { args?: string[] } = {}): Promise<Redis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-redis-'));
  const port = await freePort();
  const daemon = new Daemon(
    'redis-server',
    'redis-server',
    () => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      ...(options.args ?? []),
    ],
    async () => {
      try {
        return (await respCommand(port, ['PING'], 2_000)) === 'PONG';
      } catch {
        return false;
      }
    },
  );
  return {
    ...(await launch(daemon, dir, port)),
    command: (...args: string[]) => respCommand(port, args),
    commandIn: (db: number, ...args: string[]) => respCommand(port, args, 10_000, db),
    async clients() {
      const reply = await respCommand(port, ['CLIENT', 'LIST']);
      if (typeof reply !== 'string') throw new Error(`CLIENT LIST: unexpected reply ${String(reply)}`);
      return reply
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) =>
          Object.fromEntries(
            l
              .trim()
              .split(' ')
              .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
          ),
        )
        .filter((c) => c.cmd !== 'client|list' && c.cmd !== 'client');
    },
  };
}

/** One RESP command on its own connection (in database `db` if given). Error replies resolve as Error values. */
export function respCommand(port: number, args: string[], timeoutMs = 10_000, db?: number): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`redis ${args[0]}: no reply in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const selected = db === undefined ? { value: 'OK' as RespValue, next: 0 } : parseResp(buf, 0);
      if (!selected) return;
      if (selected.value instanceof Error) {
        clearTimeout(timer);
        sock.end();
        resolve(selected.value);
        return;
      }
      const parsed = parseResp(buf, selected.next);
      if (parsed) {
        clearTimeout(timer);
        sock.end();
        resolve(parsed.value);
      }
    });
    const encode = (cmd: string[]) => `*${cmd.length}\r\n` + cmd.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
    sock.write((db === undefined ? '' : encode(['SELECT', String(db)])) + encode(args));
  });
}

function parseResp(buf: Buffer, at: number): { value: RespValue; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      return { value: new Error(line), next: eol + 2 };
    case ':':
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return undefined;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + n), next: eol + 2 + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      const items: RespValue[] = [];
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parseResp(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(type)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// memcached

export interface Memcached extends RestartableService {
  /** One text-protocol command (`stats`, `version`...) on a fresh connection; resolves with the reply up to END. */
  command(line: string): Promise<string>;
  /** `stats` as a map (curr_connections counts this command's own connection too). */
  stats(): Promise<Record<string, string>>;
}

export async function startMemcached(options: { args?: string[] } = {}): Promise<Memcached> {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-memcached-'));
  const port = await freePort();
  const command = (line: string, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1');
      let text = '';
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`memcached ${line}: no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.on('data', (d: Buffer) => {
        text += d.toString();
        if (/(^|\r\n)(END|ERROR|VERSION [^\r]*|OK)\r\n$/.test(text)) {
          clearTimeout(timer);
          sock.end();
          resolve(text);
        }
      });
      sock.write(line + '\r\n');
    });
  const daemon = new Daemon(
    'memcached',
    'memcached',
    () => ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16', '-u', 'root', ...(options.args ?? [])],
    async () => {
      try {
        return (await command('version', 2_000)).startsWith('VERSION');
      } catch {
        return false;
      }
    },
  );
  return {
    ...(await launch(daemon, dir, port)),
    command: (line: string) => command(line),
    async stats() {
      const text = await command('stats');
      const out: Record<string, string> = {};
      for (const m of text.matchAll(/^STAT (\S+) (.*)\r$/gm)) out[m[1]!] = m[2]!;
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HAProxy

export interface Haproxy extends Service {
  /** The config file written for this instance. */
  readonly configFile: string;
  /** Ports bound for the `{{PORT:name}}` placeholders. */
  readonly ports: Record<string, number>;
  /** The admin socket (`stats socket`) path: `{{SOCKET}}` in the config. */
  readonly socket: string;
  /** One command on the admin socket (`show stat`, `show servers state`...). */
  admin(command: string): Promise<string>;
}

/**
 * HAProxy in the foreground (`-db`) on `config`, a haproxy.cfg text in which `{{PORT:name}}` becomes a free port
 * (`port` is the one named `main`, or the first), `{{DIR}}` the temp dir and `{{SOCKET}}` an admin socket path.
 * Ready once `show info` answers on the admin socket and the main port accepts a TCP connection.
 */
export async function startHaproxy(config: string): Promise<Haproxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-haproxy-'));
  const socket = path.join(dir, 'admin.sock');
  const ports: Record<string, number> = {};
  for (const m of config.matchAll(/\{\{PORT:([\w-]+)\}\}/g)) ports[m[1]!] ??= await freePort();
  const text = config
    .replace(/\{\{PORT:([\w-]+)\}\}/g, (_, name: string) => String(ports[name]))
    .replaceAll('{{DIR}}', dir)
    .replaceAll('{{SOCKET}}', socket);
  const configFile = path.join(dir, 'haproxy.cfg');
  writeFileSync(configFile, text);
  const main = ports.main ?? Object.values(ports)[0];
  if (main === undefined) throw new Error('haproxy config has no {{PORT:name}} placeholder');
  const check = await exec('haproxy', ['-c', '-f', configFile]);
  if (check.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`haproxy -c rejected the config:\n${check.stdout}${check.stderr}\n${text}`);
  }
  const admin = (command: string) =>
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(socket);
      let out = '';
      sock.once('error', reject);
      sock.on('data', (d: Buffer) => (out += d.toString()));
      sock.once('end', () => resolve(out));
      sock.write(command + '\n');
    });
  const usesSocket = text.includes(socket);
  const daemon = new Daemon(
    'haproxy',
    'haproxy',
    () => ['-db', '-f', configFile],
    async () => {
      if (usesSocket) {
        try {
          if (!(await admin('show info')).includes('Name: HAProxy')) return false;
        } catch {
          return false;
        }
      }
      return canConnect(main);
    },
  );
  const { logs, stop } = await launch(daemon, dir, main);
  return { host: '127.0.0.1', port: main, ports, dir, socket, configFile, logs, stop, admin };
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
