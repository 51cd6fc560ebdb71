/**
 * A worker's OS process: spawned in its own process group on the stdio its link asks for, its output logged line by
 * line (with a tail kept to quote), its exit observed, and a hard kill of the whole group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { WorkerStartError, describeFailure, type ExitInfo } from './failure.js';
import type { WorkerLink } from './ipc.js';
import { OutputTail, PARTIAL_LINE_FLUSH_MS, splitLines } from './output.js';
import type { Relay } from './relay.js';
import type { Log, PoolErrorKind } from './types.js';

export interface ChildEvents {
  /** spawn reported an error for a process that did start (rare; ENOENT and EMFILE come as an exit). */
  onError(err: Error): void;
  onExit(): void;
}

export class WorkerChild {
  readonly pid: number;
  /** The relay the link made before the handshake (pipes), if any. */
  readonly relay: Relay | null;
  /** False when no process started (no pid or no stdio): an exit follows at once. */
  readonly started: boolean;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;
  private resolveExited!: (e: ExitInfo) => void;
  private readonly child: ChildProcess;
  private readonly tail = new OutputTail();
  private spawnError: Error | null = null;
  private killed = false;

  /** Throws WorkerStartError when spawn() itself throws (the link is released). */
  constructor(
    private readonly command: string[],
    options: { env: NodeJS.ProcessEnv; cwd: string; log: Log },
    link: WorkerLink,
    events: ChildEvents,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    const [cmd, ...args] = command;
    try {
      // detached: an own process group, so Ctrl-C on the terminal does not hit workers and kill() takes the group.
      this.child = spawn(cmd!, args, { env: options.env, cwd: options.cwd, detached: true, stdio: link.stdio });
    } catch (err) {
      link.cancel(err as Error);
      throw new WorkerStartError(`cannot run ${JSON.stringify(cmd)}: ${(err as Error).message}`);
    }
    this.pid = this.child.pid ?? 0;
    // No pid: 'error' follows (ENOENT, EACCES); no stdio: spawn() ran out of descriptors (EMFILE) before the pipes.
    this.started = this.pid !== 0 && !!this.child.stderr;
    this.relay = link.spawned(this.child, this.started);
    const exit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.exitInfo !== null) return;
      this.exitInfo = { code, signal };
      this.resolveExited(this.exitInfo);
      events.onExit();
    };
    this.child.on('error', (err) => {
      this.spawnError = err;
      if (this.pid === 0) exit(null, null);
      else events.onError(err);
    });
    this.child.on('exit', exit);
    const logLine = (line: string): void => {
      options.log.info({ pid: this.pid }, line);
      this.tail.add(line);
    };
    if (this.child.stderr) splitLines(this.child.stderr, logLine, PARTIAL_LINE_FLUSH_MS);
    if (!link.stdoutIsRelay && this.child.stdout) splitLines(this.child.stdout, logLine, PARTIAL_LINE_FLUSH_MS);
  }

  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  /** Hard kill of the whole process group. */
  kill(): void {
    if (this.exitInfo !== null || this.pid === 0) return;
    this.killed = true;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  /** The last lines the process wrote to stderr (and stdout in socket mode). */
  outputTail(): string {
    return this.tail.text();
  }

  /** `reason`, then how the process ended and what it printed. */
  describe(reason: string, kind: PoolErrorKind): string {
    return describeFailure({
      reason,
      kind,
      pid: this.pid,
      program: this.command[0]!,
      exit: this.exitInfo,
      killed: this.killed,
      spawnError: this.spawnError,
      output: this.tail.text(),
    });
  }
}
