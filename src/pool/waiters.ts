/**
 * Requests waiting for a free worker, oldest first. A waiter whose allocate_timeout passes leaves the queue at once
 * (a doubly linked list: O(1) removal), so a stuck pool does not pile up dead entries until the next free worker.
 */
interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
  prev: Waiter<T> | null;
  next: Waiter<T> | null;
}

export class WaitQueue<T> {
  private head: Waiter<T> | null = null;
  private tail: Waiter<T> | null = null;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** Waits for handOver(); after `timeout` ms, leaves the queue and rejects with `onTimeout()`. */
  wait(timeout: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = { resolve, reject, timer: null, prev: this.tail, next: null };
      w.timer = setTimeout(() => {
        w.timer = null;
        this.unlink(w);
        reject(onTimeout());
      }, timeout);
      if (this.tail) this.tail.next = w;
      else this.head = w;
      this.tail = w;
      this.size++;
    });
  }

  /** Gives `item` to the oldest waiter; false when nobody waits. */
  handOver(item: T): boolean {
    const w = this.head;
    if (w === null) return false;
    this.unlink(w);
    if (w.timer) clearTimeout(w.timer);
    w.resolve(item);
    return true;
  }

  rejectAll(err: Error): void {
    for (let w = this.head; w !== null; w = this.head) {
      this.unlink(w);
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private unlink(w: Waiter<T>): void {
    if (w.prev) w.prev.next = w.next;
    else if (this.head === w) this.head = w.next;
    else return; // not in the queue (any more)
    if (w.next) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = null;
    this.size--;
  }
}
