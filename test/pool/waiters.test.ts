/** The pool's wait queue (src/pool/waiters.ts): FIFO hand-over, allocate_timeout per waiter with one shared timer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WaitQueue } from '../../src/pool/waiters.js';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const never = () => new Error('never');

test('wait queue: hands over oldest first', async () => {
  const q = new WaitQueue<string>();
  const waiting = [q.wait(60_000, never), q.wait(60_000, never), q.wait(60_000, never)];
  assert.equal(q.length, 3);
  for (const item of ['a', 'b', 'c']) assert.equal(q.handOver(item), true);
  assert.deepEqual(await Promise.all(waiting), ['a', 'b', 'c']);
  assert.equal(q.handOver('d'), false, 'nobody waits any more');
  assert.equal(q.length, 0);
});

test('wait queue: any number of waiters share one timer, and an empty queue holds none', async () => {
  const before = timers();
  const q = new WaitQueue<number>();
  const waiting = Array.from({ length: 50 }, () => q.wait(60_000, never));
  assert.equal(timers(), before + 1);
  for (let i = 0; i < 50; i++) q.handOver(i);
  assert.equal(timers(), before, 'the shared timer is cleared once nobody waits: it neither fires nor keeps the process alive');
  assert.equal((await Promise.all(waiting)).length, 50);
});

test('wait queue: timed-out waiters leave at once, also after the head they were queued behind was served', async () => {
  const q = new WaitQueue<string>();
  const first = q.wait(60_000, never);
  // Queued behind a waiter with a longer timeout: its own deadline still counts, not the head's.
  const late = [q.wait(30, () => new Error('t1')), q.wait(30, () => new Error('t2'))];
  assert.equal(q.handOver('w0'), true);
  assert.equal(await first, 'w0');
  await assert.rejects(late[0]!, /t1/);
  await assert.rejects(late[1]!, /t2/);
  assert.equal(q.length, 0, 'gone before any worker came free');
});

test('wait queue: the head times out while a later waiter keeps waiting and is served next', async () => {
  const q = new WaitQueue<string>();
  const head = q.wait(20, () => new Error('head timed out'));
  const later = q.wait(60_000, never);
  await assert.rejects(head, /head timed out/);
  assert.equal(q.length, 1);
  assert.equal(q.handOver('w1'), true);
  assert.equal(await later, 'w1');
});

test('wait queue: a chain of waiters each times out, one after another, with nothing handed over', async () => {
  const q = new WaitQueue<number>();
  const results: number[] = [];
  const waiting: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) {
    waiting.push(
      q
        .wait(10 + i * 10, () => new Error(String(i)))
        .then(
          () => assert.fail('handed over'),
          (e: Error) => void results.push(Number(e.message)),
        ),
    );
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(waiting);
  assert.deepEqual(results, [0, 1, 2, 3, 4], 'in queue order');
  assert.equal(q.length, 0);
});

test('wait queue: rejectAll empties the queue and clears the timer', async () => {
  const before = timers();
  const q = new WaitQueue<string>();
  const a = q.wait(60_000, never);
  const b = q.wait(10, never); // out of deadline order: its own timer
  assert.equal(timers(), before + 2);
  q.rejectAll(new Error('stopped'));
  await assert.rejects(a, /stopped/);
  await assert.rejects(b, /stopped/);
  assert.equal(q.length, 0);
  assert.equal(timers(), before);
});

test('wait queue: a waiter with a shorter timeout than the one before it still leaves on time', async () => {
  const q = new WaitQueue<string>();
  const head = q.wait(60_000, never);
  const short = q.wait(20, () => new Error('short'));
  await assert.rejects(short, /short/);
  assert.equal(q.length, 1, 'the head still waits');
  q.handOver('w');
  assert.equal(await head, 'w');
});
