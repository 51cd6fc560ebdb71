/**
 * Coalesces calls of an idempotent async job per key: while one run is going, every caller that arrives joins ONE
 * follow-up run, started when the current one ends. So a flood of resetter.Reset calls costs at most two resets, and
 * each caller still gets a run that started after its call (a reset requested after a code change really reloads).
 */
export class Coalescer {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();

  run(key: string, job: () => Promise<void>): Promise<void> {
    const next = this.queued.get(key);
    if (next) return next;
    const current = this.running.get(key);
    if (!current) return this.start(key, job);
    const follow = current
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(key);
        return this.start(key, job);
      });
    this.queued.set(key, follow);
    return follow;
  }

  private start(key: string, job: () => Promise<void>): Promise<void> {
    const p = (async () => job())().finally(() => {
      if (this.running.get(key) === p) this.running.delete(key);
    });
    this.running.set(key, p);
    return p;
  }
}
