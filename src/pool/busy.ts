/** Counts requests running on workers, and lets reset/destroy wait until none is (or a timeout passes). */
import type { Log } from './types.js';

export class BusyCounter {
  private running = 0;
  private watchers: (() => void)[] = [];

  constructor(private readonly log: Log) {}

  get count(): number {
    return this.running;
  }

  enter(): void {
    this.running++;
  }

  leave(): void {
    this.running--;
    if (this.running !== 0 || this.watchers.length === 0) return;
    const watchers = this.watchers;
    this.watchers = [];
    for (const f of watchers) f();
  }

  /** Resolves when no request runs, or after `timeout` ms (logged). */
  idle(timeout: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ busy: this.running }, `workers still busy after ${timeout} ms, stopping them anyway`);
        resolve();
      }, timeout);
      this.watchers.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
