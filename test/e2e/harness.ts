/** Starts the real `rr serve` CLI on a temp config and waits for it to answer; used by the end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RR = path.join(ROOT, 'bin/rr.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

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

export interface Served {
  port: number;
  url: string;
  dir: string;
  child: ChildProcess;
  /** Resolves with the exit code once the server process has exited. */
  exited: Promise<number | null>;
  /** Everything the server wrote to stderr so far. */
  logs(): string;
  /** SIGTERM, wait for exit, remove the temp dir. Returns the exit code. */
  stop(): Promise<number | null>;
}

/** `yaml` may use {{PORT}}, {{FIXTURES}}, {{DIR}} placeholders. */
export async function serve(
  yaml: string,
  options: {
    args?: string[];
    env?: NodeJS.ProcessEnv;
    waitMs?: number;
    files?: Record<string, string>;
    /** A command that runs Node (e.g. `['chrt', '-i', '0']`). */
    prefix?: string[];
  } = {},
): Promise<Served> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-e2e-'));
  const text = yaml.replaceAll('{{PORT}}', String(port)).replaceAll('{{FIXTURES}}', FIXTURES).replaceAll('{{DIR}}', dir);
  const file = path.join(dir, '.rr.yaml');
  writeFileSync(file, text);
  for (const [name, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const [cmd, ...pre] = [...(options.prefix ?? []), process.execPath];
  const child = spawn(cmd!, [...pre, RR, 'serve', '-c', file, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const served: Served = {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    child,
    exited,
    logs: () => logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`rr serve exited with ${child.exitCode}:\n${logs}`);
    }
    if (await canConnect(port)) return served;
    await new Promise((r) => setTimeout(r, 50));
  }
  await served.stop();
  throw new Error(`rr serve did not listen on ${port} in time:\n${logs}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs `rr` to completion. */
export function runRr(
  args: string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RR, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Polls `check` until it holds or the time is up (for effects that follow a response asynchronously). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs whose parent is `pid` (Linux /proc): the workers of a server process. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** True once `pid` is gone or a zombie (killed, waiting for a reaper that may never come in a container). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return !pidAlive(pid);
  }
}
