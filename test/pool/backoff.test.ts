import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { RespawnBackoff, type Scheduler } from '../../src/pool/backoff.js';
import { StaticPool } from '../../src/pool/pool.js';
import { pidOf, req, until, withPool } from './helpers.js';

/** A clock that only moves when the test says so. */
class FakeScheduler implements Scheduler {
  time = 1_000_000;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.time + ms, fn };
    this.timers.push(t);
    return t;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }
  /** When the earliest pending timer is due (undefined = none). */
  get next(): number | undefined {
    return this.timers.length ? Math.min(...this.timers.map((t) => t.at)) : undefined;
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.fn();
  }
}

test('backoff policy: consecutive early deaths push the next start further out each time; a healthy worker ends it', () => {
  const clock = new FakeScheduler();
  const b = new RespawnBackoff({ minDelay: 100, maxDelay: 5000, healthyLife: 10_000 }, clock);
  assert.deepEqual(b.state(), { failures: 0, delay: 0, waiting: false });
  const gaps: number[] = [];
  let starts = 0;
  for (let i = 0; i < 9; i++) {
    assert.equal(b.workerExited(false, clock.now() - 50), true, 'a worker that lived 50 ms without answering failed');
    b.schedule(() => starts++);
    b.schedule(() => starts++); // a second request while one is scheduled changes nothing
    gaps.push(clock.next! - clock.now());
    clock.advance(clock.next! - clock.now());
  }
  assert.equal(starts, 9, 'one start per scheduled wait');
  assert.deepEqual(gaps, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  // A worker that lived long enough, or answered a request, ends the series.
  assert.equal(b.workerExited(false, clock.now() - 10_000), false);
  assert.equal(b.state().delay, 0);
  b.startFailed();
  b.startFailed();
  assert.equal(b.delay, 200);
  b.succeeded();
  assert.equal(b.failures, 0);
  b.startFailed();
  assert.equal(b.workerExited(true, clock.now()), false, 'a worker that answered a request was healthy');
  assert.equal(b.failures, 0);
  // clear() drops a scheduled start.
  b.startFailed();
  b.schedule(() => starts++);
  b.clear();
  clock.advance(60_000);
  assert.equal(starts, 9);
});

test('a worker that exits right after the handshake is restarted with growing delays; a healthy one resets them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-crashloop-'));
  const flag = path.join(dir, 'crash');
  try {
    await withPool('crashloop.php', { numWorkers: 1, allocateTimeout: 30000, env: { CRASH_FLAG: flag } }, async (pool, log) => {
      assert.ok(pool instanceof StaticPool);
      const first = pidOf(await pool.exec(req('a')));
      writeFileSync(flag, '');
      process.kill(first, 'SIGKILL'); // it had answered a request: replaced at once, and the replacements crash
      await until(() => pool.respawnState().failures >= 4, 'four early deaths in a row', 30000);
      const delays = log.entries
        .map((e) => /died before answering any request; next start in (\d+) ms/.exec(e.msg))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]));
      assert.ok(delays.length >= 4, `early deaths logged: ${delays.join(', ')}`);
      for (let i = 1; i < delays.length; i++) {
        assert.ok(delays[i]! > delays[i - 1]! || delays[i] === 5000, `each wait is longer than the one before: ${delays.join(', ')}`);
      }
      assert.ok(pool.respawnState().delay >= 800);
      rmSync(flag);
      const next = pidOf(await pool.exec(req('b')));
      assert.notEqual(next, first);
      assert.deepEqual(pool.respawnState(), { failures: 0, delay: 0, waiting: false }, 'a worker that answered ends the series');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
