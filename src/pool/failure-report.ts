/**
 * The report of a broken worker, once WorkerProcess.fail has moved its state (to errored or execTTLReached). The
 * worker gets a moment to exit or print the rest of its message, then its process group is killed and the failure is
 * told once, with the full story (failure.ts): to the start it broke (WorkerStartError), else to the request in
 * flight (a PoolError of the failure's kind), else to the log. The requests written ahead never began: they go back
 * to the pool. Then the owner hears that the worker is dead.
 */
import type { WorkerBoot } from './boot.js';
import type { WorkerChild } from './child.js';
import type { FailOptions } from './exchange.js';
import type { InFlight } from './in-flight.js';
import type { Relay } from './relay.js';
import { PoolError, type Log, type PoolErrorKind } from './types.js';

/** How long a broken worker gets to print the rest of its message / exit, so the error can quote it. */
const DIAGNOSE_MS = 300;

export interface FailureHooks {
  /** The owner is stopping the worker (read when the report is told): a failure nobody waits for is not worth a warning. */
  stopRequested(): boolean;
  /** Tells the owner that the worker is dead (LaunchOptions.onDead). */
  dead(): void;
}

/** One worker's failure report; report() runs once (WorkerProcess.fail runs once). */
export class FailureReport {
  constructor(
    private readonly child: WorkerChild,
    /** Its start, answered by the report while it is pending. */
    private readonly boot: Pick<WorkerBoot<unknown>, 'pending' | 'abandon' | 'reject'>,
    private readonly requests: InFlight,
    private readonly log: Log,
    private readonly hooks: FailureHooks,
  ) {}

  /** The worker broke for `reason` just now. With `quoteFrame`, the bytes that are not a frame are quoted from `relay`. */
  report(relay: Relay | null, reason: string, kind: PoolErrorKind, o: FailOptions): void {
    const exchange = this.requests.current;
    exchange?.halt();
    if (this.boot.pending) this.boot.abandon(reason);
    if (o.killNow || kind === 'ExecTTL') this.child.kill();
    if (kind === 'ExecTTL' && exchange?.pending) {
      // exec_ttl is a deadline: answer now, do not wait for the kill to be observed.
      this.requests.clear();
      exchange.fail(new PoolError('ExecTTL', reason));
      this.requests.dropAhead(this.child.pid); // it never began: the worker was busy until killed
      this.hooks.dead();
      return;
    }
    let settled = false; // the diagnosis timer and the exit may both fire: the report is told once
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.tell(reason, kind, o.quoteFrame === true ? relay : null);
    };
    if (this.child.exit !== null) {
      setImmediate(settle);
      return;
    }
    const timer = setTimeout(settle, DIAGNOSE_MS);
    void this.child.exited.then(() => {
      clearTimeout(timer);
      setTimeout(settle, 20); // let the last stderr/stdout chunks be read before quoting them
    });
  }

  /** `quoteFrom`: the relay whose reader holds the bytes that are not a frame, quoted instead of `reason`. */
  private tell(reason: string, kind: PoolErrorKind, quoteFrom: Relay | null): void {
    this.child.kill();
    const message = this.child.describe(quoteFrom ? quoteFrom.reader.error().message : reason, kind);
    const exchange = this.requests.current;
    this.requests.clear();
    if (this.boot.reject(message)) return;
    if (exchange?.pending) exchange.fail(new PoolError(kind, message));
    else if (!this.hooks.stopRequested()) this.log.warn({ pid: this.child.pid }, `worker failed: ${message}`);
    // Every frame the worker wrote has been read by now (the diagnosis waits for its exit): the request in front was
    // not answered, so the one written ahead never began.
    this.requests.dropAhead(this.child.pid);
    this.hooks.dead();
  }
}
