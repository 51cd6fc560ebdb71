/** The CodeIgniter 4 test apps (scripts/ci4-app.sh) and Burner servers running them, for the ci4 end-to-end tests. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, freePort, serve, type Served } from '../e2e/harness.js';

export { ROOT, freePort };

/** The CodeIgniter releases the bridge is tested on: 4.1.3 from npm, the others from ../shared/ci4. */
export const VERSIONS = ['4.1.3', '4.4.8', '4.6.5', '4.7.2'] as const;
export type Version = (typeof VERSIONS)[number];

/** Where scripts/ci4-app.sh finds the framework tarballs (CI has ../shared next to the repository). */
export const SHARED_CI4 = path.join(ROOT, '..', 'shared', 'ci4');

/** Why a version cannot be tested here (its tarball is absent), or false when it can. Use as a describe's `skip`. */
export function unavailable(version: Version): string | false {
  if (version === '4.1.3') return false;
  const tarball = path.join(SHARED_CI4, `codeigniter4-framework-${version}.tar.gz`);
  return existsSync(tarball) ? false : `CodeIgniter ${version}: tarball absent (${tarball})`;
}

/** Exit code of scripts/ci4-app.sh when the version's tarball is absent. */
export const TARBALL_ABSENT = 3;

/**
 * Creates (or reuses) a CI4 app under tmp/ with burner/burner required and the test fixtures copied in. An app
 * directory holds one version: name it per version.
 */
export function ciApp(name: string, options: { fixtures?: boolean; burner?: boolean; version?: Version } = {}): string {
  const target = path.isAbsolute(name) ? name : path.join(ROOT, 'tmp', name);
  const args = [path.join(ROOT, 'scripts/ci4-app.sh'), target, '--version', options.version ?? '4.1.3'];
  if (options.fixtures ?? true) args.push('--fixtures');
  if (options.burner === false) args.push('--no-burner');
  const res = spawnSync('bash', args, { encoding: 'utf8', timeout: 180_000 });
  if (res.status !== 0) throw new Error(`scripts/ci4-app.sh failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  return target;
}

/**
 * `rr serve` with the bridge's worker on the app: a free port, uploads in a temp dir, CI_ENVIRONMENT as given.
 * The app keeps its baseURL (http://localhost:8080/): absolute URLs CI builds (redirects) point there.
 */
export function serveCi(app: string, options: { env?: string; workers?: number; extra?: string } = {}): Promise<Served> {
  const workers = options.workers ?? 1;
  const yaml = `version: "3"
server:
  command: "php -d opcache.enable_cli=1 ${ROOT}/php/worker/codeigniter.php"
  env:
    BURNER_APP_ROOT: "${app}"
    CI_ENVIRONMENT: "${options.env ?? 'production'}"
http:
  address: 127.0.0.1:{{PORT}}
  middleware: ["static"]
  static:
    dir: "${app}/public"
    forbid: [".php", ".htaccess"]
  uploads:
    dir: {{DIR}}
  pool:
    num_workers: ${workers}
    allocate_timeout: 30s
    destroy_timeout: 5s
${options.extra ?? ''}`;
  return serve(yaml, { waitMs: 60_000 });
}

/** A minimal cookie jar: name => value, fed from Set-Cookie lines. */
export class Jar {
  readonly cookies = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '' || value === 'deleted';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.header());
    const res = await fetch(url, { redirect: 'manual', ...init, headers });
    this.take(res);
    return res;
  }
}

export async function json(res: Response): Promise<Record<string, any>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    throw new Error(`not JSON (status ${res.status}): ${text.slice(0, 500)}`);
  }
}

export function portBusy(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** `php -S` serving the app's public/ (unknown paths fall back to index.php, as with a web server), on a free port. */
export async function phpBuiltin(app: string): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', path.join(app, 'public')], {
    cwd: path.join(app, 'public'),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await portBusy(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('php -S did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Runs a command to completion (no shell) and returns its whole output: resolves on 'close' (every byte read), not on
 * 'exit' (which may come before the last output chunk, and did on a busy machine).
 */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
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
