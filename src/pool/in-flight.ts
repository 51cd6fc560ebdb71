/**
 * A worker's requests in flight: the one it runs and, with http.pool.pipelining, at most one written ahead, which the
 * worker reads from its input once it has answered the first. Owned by the worker (worker.ts), which alone moves its
 * state; this only keeps the two in order.
 */
import { RequestNotStarted, type Exchange } from './exchange.js';

/** Shared by all workers: orders the moments they began their current request. */
let begun = 0;

export class InFlight {
  private running: Exchange | null = null;
  private ahead: Exchange | null = null;
  private began = 0;

  /** The listener every request's cancel signal gets (no closure per request): the client that left is the one whose signal fired. */
  readonly onAbort = (): void => {
    if (this.running?.clientGone) this.running.abort();
    if (this.ahead?.clientGone) this.ahead.abort();
  };

  /** The request the worker is running (null when idle). */
  get current(): Exchange | null {
    return this.running;
  }

  get hasAhead(): boolean {
    return this.ahead !== null;
  }

  /** Sequence number of the moment the current request began (higher = began later). */
  get busySince(): number {
    return this.began;
  }

  /** The worker begins `exchange` now: exec_ttl starts. */
  begin(exchange: Exchange): void {
    this.running = exchange;
    this.began = ++begun;
    exchange.begin();
  }

  writeAhead(exchange: Exchange): void {
    this.ahead = exchange;
  }

  /** The current request was answered: the one written ahead begins and is returned, or the worker is idle (null). */
  advance(): Exchange | null {
    const next = this.ahead;
    this.ahead = null;
    if (next === null) this.running = null;
    else this.begin(next);
    return next;
  }

  /** Forgets the current request (its failure is reported by the caller). */
  clear(): void {
    this.running = null;
  }

  /** The worker ends without reading the request written ahead: the pool gives it to another worker. */
  dropAhead(pid: number): void {
    const next = this.ahead;
    this.ahead = null;
    next?.fail(new RequestNotStarted(pid));
  }
}
