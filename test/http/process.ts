/** Starts test/http/child-server.ts as a separate node process in front of real PHP workers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpOptions } from '../../src/http/options.js';
import type { ChildOptions } from './child-server.js';
import { WORKER } from './helpers.js';

const CHILD = fileURLToPath(new URL('./child-server.js', import.meta.url));

export interface ServerProcess {
  port: number;
  pid: number;
  dir: string;
  uploadsDir: string;
  child: ChildProcess;
  /** Everything the server logged (JSON lines on stderr). */
  stderr(): string;
  /** Exit code once it has exited, else undefined. */
  exitCode(): number | null | undefined;
  /** Peak resident memory of the server process so far, in bytes (the kernel's VmHWM). */
  peakRss(): Promise<number>;
  rss(): Promise<number>;
  /** SIGTERM and wait for exit; SIGKILL after `ms`. Removes the temp dir. */
  stop(ms?: number): Promise<number | null>;
}

export async function startServerProcess(
  http: (dir: string) => Partial<HttpOptions> = () => ({}),
  options: { numWorkers?: number; graceMs?: number; nodeArgs?: string[]; nofile?: number } = {},
): Promise<ServerProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'burner-httpproc-'));
  const uploadsDir = path.join(dir, 'uploads');
  await mkdir(uploadsDir);
  const spec: ChildOptions = {
    worker: WORKER,
    numWorkers: options.numWorkers ?? 2,
    graceMs: options.graceMs ?? 5000,
    http: { uploads: { dir: uploadsDir, forbid: [], allow: [] }, ...http(dir) },
  };
  const argv = [process.execPath, ...(options.nodeArgs ?? []), CHILD];
  // With `nofile`, bash lowers the open-files limit and then becomes node (exec), so the pid is the server's.
  const [cmd, args] = options.nofile
    ? ['bash', ['-c', `ulimit -n ${options.nofile} && exec "$@"`, 'bash', ...argv]]
    : [argv[0]!, argv.slice(1)];
  const child = spawn(cmd as string, args as string[], {
    env: { ...process.env, BURNER_HTTP_CHILD: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve((code = c))));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((c) => reject(new Error(`server process exited (${c}) before listening: ${err}`)));
  });
  const status = async (field: string) => {
    const text = await readFile(`/proc/${child.pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return Number(m![1]) * 1024;
  };
  return {
    port,
    pid: child.pid!,
    dir,
    uploadsDir,
    child,
    stderr: () => err,
    exitCode: () => code,
    peakRss: () => status('VmHWM'),
    rss: () => status('VmRSS'),
    async stop(ms = 15_000) {
      if (code === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), ms);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
      return code ?? null;
    },
  };
}
