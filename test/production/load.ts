/** A bounded load generator for the production tests: N clients looping over requests until told to stop. */
import { get, type Reply } from './helpers.js';

export interface Outcome extends Reply {
  /** Set when the request did not get an HTTP answer (connection refused/reset). */
  error?: string;
}

export interface Load {
  readonly replies: Outcome[];
  /** Resolves once `predicate` holds for the replies so far (checked after each reply) or `timeoutMs` passed. */
  until(predicate: (replies: Outcome[]) => boolean, timeoutMs: number): Promise<boolean>;
  /** Stops the clients after their current request; resolves with every reply. */
  stop(): Promise<Outcome[]>;
}

/** `clients` concurrent loops of `next()` → GET; a hard cap of `max` requests keeps the run bounded. */
export function load(next: (i: number) => { url: string; init?: RequestInit }, clients: number, max = 20_000): Load {
  const replies: Outcome[] = [];
  let stopped = false;
  let sent = 0;
  const waiters = new Set<() => void>();
  const loop = async () => {
    while (!stopped && sent < max) {
      const { url, init } = next(sent++);
      const sentAt = Date.now();
      try {
        replies.push(await get(url, init));
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        replies.push({ status: 0, body: undefined, text: '', sentAt, error: cause?.code ?? String(err) });
      }
      for (const w of waiters) w();
    }
    for (const w of waiters) w();
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    replies,
    async until(predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(replies)) {
        if (stopped || sent >= max || Date.now() > deadline) return predicate(replies);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 200);
          function done() {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
      return true;
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return replies;
    },
  };
}

/** Status histogram, e.g. `{200: 812, 500: 14}` (0 = no HTTP answer). */
export function histogram(replies: Outcome[]): Record<number, number> {
  const h: Record<number, number> = {};
  for (const r of replies) h[r.status] = (h[r.status] ?? 0) + 1;
  return h;
}
