/**
 * A worker's start: the PID handshake on its link (ipc.ts, handshake.ts), bounded by allocate_timeout, and the
 * `booted` promise its owner waits on. The worker (worker.ts) moves its own state on either outcome; this keeps the
 * promise, the timer and the link, so that the start is answered exactly once.
 */
import type { WorkerChild } from './child.js';
import type { FailOptions } from './exchange.js';
import { WorkerStartError } from './failure.js';
import type { HandshakeReply } from './handshake.js';
import type { WorkerLink } from './ipc.js';
import type { Relay } from './relay.js';

export interface BootEvents {
  /** The handshake is done; called synchronously on the reply, so the worker attaches itself before the next frame. */
  ready(relay: Relay, reply: HandshakeReply): void;
  /** The handshake failed (a bad frame is quoted) or did not come in time (the process group is killed at once). */
  failed(reason: string, opts: FailOptions): void;
}

export class WorkerBoot<W> {
  readonly promise: Promise<W>;
  private resolveBoot!: (w: W) => void;
  private rejectBoot!: (e: Error) => void;
  private timer: NodeJS.Timeout | undefined;
  private open = true;

  constructor(
    private readonly link: WorkerLink,
    private readonly timeoutMs: number,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolveBoot = resolve;
      this.rejectBoot = reject;
    });
    this.promise.catch(() => undefined); // the owner handles it; avoid an unhandled rejection when it does not wait
  }

  /** Starts the allocate_timeout clock and, when the process started, the handshake. */
  start(child: WorkerChild, events: BootEvents): void {
    this.timer = setTimeout(() => events.failed(this.timeoutReason(child.pid), { killNow: true }), this.timeoutMs);
    if (child.started) {
      this.link.connect(child.pid, {
        ready: (relay, reply) => events.ready(relay, reply),
        failed: (reason, frameError) => events.failed(reason, { quoteFrame: frameError }),
      });
    }
  }

  /** Neither booted nor failed yet (a failure being diagnosed still counts: its report answers the start). */
  get pending(): boolean {
    return this.open;
  }

  /** The handshake is done: `worker` is ready. */
  resolve(worker: W): void {
    clearTimeout(this.timer);
    this.open = false;
    this.resolveBoot(worker);
  }

  /** The start failed (its report follows): the clock stops and the link lets go of what it holds. */
  abandon(reason: string): void {
    clearTimeout(this.timer);
    this.link.cancel(new Error(reason));
  }

  /** Rejects the start with WorkerStartError(message); false when it was no longer pending. */
  reject(message: string): boolean {
    if (!this.open) return false;
    clearTimeout(this.timer);
    this.open = false;
    this.rejectBoot(new WorkerStartError(message));
    return true;
  }

  private timeoutReason(pid: number): string {
    return (
      `no handshake within allocate_timeout (${this.timeoutMs} ms): ${this.link.timeoutHint(pid)}; ` +
      'possible reasons: https://docs.roadrunner.dev/error-codes/allocate-timeout'
    );
  }
}
