/**
 * A worker's requests in flight: the one it runs and, with http.pool.pipelining, those written ahead, which the worker
 * reads from its input, in order, as it answers the ones in front. Owned by the worker (worker.ts), which alone moves
 * its state; this keeps them in order and decides how many may wait in the worker's input:
 *   - as many as the worker is expected to answer within WINDOW_MS by its recent pace (an average of its last
 *     requests' times), at least one, at most MAX_AHEAD: quick pages get several (the worker never waits, and the
 *     server handles several answers per wake-up), slow pages one;
 *   - none behind a request that has already run for longer than SLOW_FACTOR times that pace and WINDOW_MS: it may be
 *     a slow one (a report, a stuck query), and what is written ahead waits behind it.
 */
import { performance } from 'node:perf_hooks';
import { RequestNotStarted, type Exchange } from './exchange.js';

export const WINDOW_MS = 2;
export const MAX_AHEAD = 8;
const SLOW_FACTOR = 4;
/** Weight of the newest request in the pace (an exponential moving average). */
const PACE_WEIGHT = 0.2;

/** Shared by all workers: orders the moments they began their current request. */
let begun = 0;

export class InFlight {
  private running: Exchange | null = null;
  /** Written ahead, oldest first (a few at most: shift() on a short array is cheap). */
  private readonly ahead: Exchange[] = [];
  private began = 0;
  private beganAt = 0;
  /** ms per request, recent average; 0 until the first answer. */
  private pace = 0;

  constructor(
    private readonly maxAhead: number = MAX_AHEAD,
    private readonly windowMs: number = WINDOW_MS,
  ) {}

  /** The listener every request's cancel signal gets (no closure per request): the client that left is the one whose signal fired. */
  readonly onAbort = (): void => {
    if (this.running?.clientGone) this.running.abort();
    for (const ex of this.ahead) if (ex.clientGone) ex.abort();
  };

  /** The request the worker is running (null when idle). */
  get current(): Exchange | null {
    return this.running;
  }

  get hasAhead(): boolean {
    return this.ahead.length > 0;
  }

  /** Another request may be written ahead now (see the module comment). */
  get hasRoom(): boolean {
    const n = this.ahead.length;
    if (n >= this.maxAhead) return false;
    const pace = this.pace;
    if (n > 0 && (pace === 0 || (n + 1) * pace > this.windowMs)) return false;
    return performance.now() - this.beganAt <= Math.max(this.windowMs, SLOW_FACTOR * pace);
  }

  /** Sequence number of the moment the current request began (higher = began later). */
  get busySince(): number {
    return this.began;
  }

  /** The worker begins `exchange` now: exec_ttl starts. */
  begin(exchange: Exchange): void {
    this.running = exchange;
    this.began = ++begun;
    this.beganAt = performance.now();
    exchange.begin();
  }

  writeAhead(exchange: Exchange): void {
    this.ahead.push(exchange);
  }

  /** The current request was answered: the oldest one written ahead begins and is returned, or the worker is idle (null). */
  advance(): Exchange | null {
    const took = performance.now() - this.beganAt;
    this.pace = this.pace === 0 ? took : this.pace + PACE_WEIGHT * (took - this.pace);
    const next = this.ahead.shift();
    if (next === undefined) {
      this.running = null;
      return null;
    }
    this.begin(next);
    return next;
  }

  /** Forgets the current request (its failure is reported by the caller). */
  clear(): void {
    this.running = null;
  }

  /** The worker ends without reading the requests written ahead: the pool gives them to other workers. */
  dropAhead(pid: number): void {
    const dropped = this.ahead.splice(0);
    for (const ex of dropped) ex.fail(new RequestNotStarted(pid));
  }
}
