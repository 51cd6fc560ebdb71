/**
 * Real OS pipes for the `pipes` relay.
 *
 * node:child_process gives a child AF_UNIX socketpairs for 'pipe' stdio. A pipe is cheaper per frame: the kernel
 * allocates no socket buffer per write, and PHP reads a pipe with a plain read(), where on a socket its stream layer
 * polls before every recv. On the hello-world bench that is ~10 % less server CPU and ~15 % less PHP CPU per request.
 * RoadRunner's workers get pipes too (Go's os/exec).
 *
 * Node has no pipe(2), so each pipe is made from a FIFO (mkfifo in a private 0700 temp dir), opened once for each
 * end and unlinked at once: what is left is an anonymous pipe. Each end gets its own open file description, so the
 * worker's ends are blocking (as PHP and the official SDKs expect from STDIN/STDOUT) and the server's are
 * non-blocking, and end-of-file works both ways: the worker sees EOF on STDIN when the server goes, the server sees
 * EOF when the worker exits. Where mkfifo is missing or fails, the pool falls back to socketpairs.
 */
import { execFile } from 'node:child_process';
import { close, constants, open, rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface WorkerPipes {
  /** The worker's STDIN (read end, blocking); hand it to spawn(), then call releaseChildEnds(). */
  childIn: number;
  /** The worker's STDOUT (write end, blocking). */
  childOut: number;
  /** Frames to the worker. */
  toWorker: net.Socket;
  /** Frames from the worker. */
  fromWorker: net.Socket;
}

function openFd(file: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => open(file, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}

function mkfifo(paths: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('mkfifo', ['-m', '600', ...paths], { timeout: 10_000 }, (err) => {
      if (!err) resolve();
      else if (err.code === 'ENOENT') reject(new NoFifoError(`mkfifo not found: ${err.message}`));
      else reject(err);
    }),
  );
}

/**
 * Opens both ends of one FIFO without ever blocking: a temporary read-write descriptor keeps a reader and a writer
 * present while the two real ends are opened, then goes.
 */
async function openEnds(file: string, childReads: boolean): Promise<{ child: number; server: number }> {
  const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK } = constants;
  const anchor = await openFd(file, O_RDWR | O_NONBLOCK);
  const opened: number[] = [];
  try {
    const child = await openFd(file, childReads ? O_RDONLY : O_WRONLY);
    opened.push(child);
    const server = await openFd(file, (childReads ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
    return { child, server };
  } catch (err) {
    await Promise.all(opened.map(closeFd));
    throw err;
  } finally {
    await closeFd(anchor);
  }
}

/** FIFO dirs that exist right now; removed synchronously if the process exits while one is being set up. */
const pendingDirs = new Set<string>();
let exitHookInstalled = false;

function removePendingDirs(): void {
  for (const dir of pendingDirs) rmSync(dir, { recursive: true, force: true });
  pendingDirs.clear();
}

/** FIFOs cannot be made here at all (as opposed to a passing failure such as EMFILE): no mkfifo, or Windows. */
export function fifosUnavailable(err: unknown): boolean {
  return err instanceof NoFifoError;
}

class NoFifoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoFifoError';
  }
}

/** Two pipes for one worker; rejects where FIFOs cannot be made (the caller then uses socketpairs). */
export async function createWorkerPipes(): Promise<WorkerPipes> {
  if (process.platform === 'win32') throw new NoFifoError('no FIFOs on Windows');
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', removePendingDirs);
  }
  let dir: string | undefined;
  let created = false;
  const fds: number[] = [];
  try {
    // Named and registered before it exists, so an exit at any point afterwards still removes it.
    dir = path.join(os.tmpdir(), `burner-pipes-${randomBytes(8).toString('hex')}`);
    pendingDirs.add(dir);
    await mkdir(dir, { mode: 0o700 });
    created = true;
    const inPath = path.join(dir, 'in');
    const outPath = path.join(dir, 'out');
    await mkfifo([inPath, outPath]);
    const input = await openEnds(inPath, true);
    fds.push(input.child, input.server);
    const output = await openEnds(outPath, false);
    fds.push(output.child, output.server);
    return {
      childIn: input.child,
      childOut: output.child,
      toWorker: new net.Socket({ fd: input.server, readable: false, writable: true }),
      fromWorker: new net.Socket({ fd: output.server, readable: true, writable: false }),
    };
  } catch (err) {
    await Promise.all(fds.map(closeFd));
    throw err;
  } finally {
    if (created) await rm(dir!, { recursive: true, force: true }).catch(() => undefined);
    if (dir !== undefined) pendingDirs.delete(dir);
  }
}

/** After spawn(): the worker has its own copies of its ends; the server's would keep the pipes from reaching EOF. */
export function releaseChildEnds(pipes: WorkerPipes): void {
  close(pipes.childIn, () => undefined);
  close(pipes.childOut, () => undefined);
}

/** Everything, when the worker never got its ends (spawn failed or the pool stopped first). */
export function destroyWorkerPipes(pipes: WorkerPipes): void {
  releaseChildEnds(pipes);
  pipes.toWorker.destroy();
  pipes.fromWorker.destroy();
}
