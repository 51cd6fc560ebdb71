/**
 * Requests waiting for a free worker, oldest first. A waiter whose allocate_timeout passes leaves the queue at once
 * (a doubly linked list: O(1) removal), so a stuck pool does not pile up dead entries until the next free worker.
 *
 * One timer serves the whole queue, not one per waiter: waiters come with the same timeout in arrival order, so the
 * head's deadline is always the next. The timer stays armed while the head changes (a waiter that leaves does not
 * clear or re-arm it); when it fires it expires every waiter whose deadline has passed and arms itself for the first
 * one left. So a request that waits costs no timer of its own, and a busy pool re-arms about once per timeout. A
 * waiter with a shorter timeout than one before it (not the pool's case) gets its own timer.
 */
import { performance } from 'node:perf_hooks';

interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (err: Error) => void;
  onTimeout: () => Error;
  /** performance.now() at which it times out. */
  deadline: number;
  /** Only for a waiter out of deadline order. */
  own: NodeJS.Timeout | null;
  prev: Waiter<T> | null;
  next: Waiter<T> | null;
}

/** node's timers fire on the loop's clock, which may lag performance.now() by a fraction of a millisecond. */
const SLACK_MS = 1;

export class WaitQueue<T> {
  private head: Waiter<T> | null = null;
  private tail: Waiter<T> | null = null;
  private size = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Latest deadline of a waiter in the queue that relies on the shared timer. */
  private lastDeadline = -Infinity;
  private readonly expire = (): void => this.expireDue();

  get length(): number {
    return this.size;
  }

  /** Waits for handOver(); after `timeout` ms, leaves the queue and rejects with `onTimeout()`. */
  wait(timeout: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = performance.now() + timeout;
      const w: Waiter<T> = { resolve, reject, onTimeout, deadline, own: null, prev: this.tail, next: null };
      if (this.tail) this.tail.next = w;
      else this.head = w;
      this.tail = w;
      this.size++;
      if (deadline < this.lastDeadline) {
        w.own = setTimeout(() => {
          w.own = null;
          this.timeOut(w);
        }, timeout);
      } else {
        this.lastDeadline = deadline;
        this.timer ??= setTimeout(this.expire, timeout);
      }
    });
  }

  /** Gives `item` to the oldest waiter; false when nobody waits. */
  handOver(item: T): boolean {
    const w = this.head;
    if (w === null) return false;
    this.unlink(w);
    w.resolve(item);
    return true;
  }

  rejectAll(err: Error): void {
    for (let w = this.head; w !== null; w = this.head) {
      this.unlink(w);
      w.reject(err);
    }
  }

  private timeOut(w: Waiter<T>): void {
    if (this.unlink(w)) w.reject(w.onTimeout());
  }

  /** The shared timer: expires the waiters due, then waits for the first one in deadline order left. */
  private expireDue(): void {
    this.timer = null;
    const now = performance.now() + SLACK_MS;
    let w = this.head;
    while (w !== null) {
      const next = w.next;
      if (w.deadline <= now) this.timeOut(w);
      else if (w.own === null) {
        this.timer = setTimeout(this.expire, w.deadline - now + SLACK_MS);
        return;
      }
      w = next;
    }
  }

  /** Takes `w` out of the queue; false when it was not in it (any more). */
  private unlink(w: Waiter<T>): boolean {
    if (w.prev) w.prev.next = w.next;
    else if (this.head === w) this.head = w.next;
    else return false;
    if (w.next) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = null;
    if (w.own) {
      clearTimeout(w.own);
      w.own = null;
    }
    if (--this.size === 0) {
      // Nobody waits: the timer must not keep the process alive, nor fire for nothing.
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.lastDeadline = -Infinity;
    }
    return true;
  }
}
