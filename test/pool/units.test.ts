import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, OutputTail } from '../../src/pool/output.js';
import { STATE_NAMES, TRANSITIONS, WorkerLifecycle, WorkerState, canMove } from '../../src/pool/state.js';
import { WaitQueue } from '../../src/pool/waiters.js';

const S = WorkerState;

test('worker states: RoadRunner codes and names; terminal states have no way out; failure is reachable from every live state', () => {
  assert.equal(S.ExecTTLReached, 12);
  assert.equal(STATE_NAMES[S.MaxJobsReached], 'maxJobsReached');
  assert.equal(Object.keys(STATE_NAMES).length, 13);
  for (const terminal of [S.Stopped, S.Destroyed, S.Errored, S.ExecTTLReached]) assert.deepEqual(TRANSITIONS[terminal], []);
  for (const live of [S.Inactive, S.Ready, S.Working, S.Stopping, S.Invalid, S.TTLReached])
    assert.ok(canMove(live, S.Errored), STATE_NAMES[live]);
  assert.ok(!canMove(S.Inactive, S.Working), 'no request before the handshake');
  assert.ok(!canMove(S.Ready, S.ExecTTLReached), 'exec_ttl only while working');
  assert.ok(!canMove(S.Stopping, S.Ready), 'a stopping worker never comes back');
});

test('worker lifecycle: an idle worker retires at once, a busy one after its request; illegal moves are refused', () => {
  const idle = new WorkerLifecycle();
  assert.equal(idle.to(S.Working), false);
  assert.equal(idle.state, S.Inactive);
  assert.ok(idle.to(S.Ready));
  assert.equal(idle.retire(S.TTLReached), true);
  assert.equal(idle.name, 'ttlReached');
  assert.ok(idle.to(S.Stopping) && idle.to(S.Stopped));

  const busy = new WorkerLifecycle();
  busy.to(S.Ready);
  busy.to(S.Working);
  assert.equal(busy.retire(S.MaxMemoryReached), false);
  assert.equal(busy.retiring, true);
  assert.equal(busy.state, S.Working, 'the request goes on');
  busy.requestEnded('last-job');
  assert.equal(busy.state, S.MaxMemoryReached, 'the retirement asked during the request wins over max_jobs');

  const asked = new WorkerLifecycle();
  asked.to(S.Ready);
  asked.to(S.Working);
  asked.retire(S.TTLReached);
  asked.requestEnded('stop-asked');
  assert.equal(asked.state, S.Invalid, "the worker's own stop request wins");

  const plain = new WorkerLifecycle();
  plain.to(S.Ready);
  plain.to(S.Working);
  plain.requestEnded('answered');
  assert.equal(plain.state, S.Ready);
  plain.to(S.Working);
  plain.requestEnded('last-job');
  assert.equal(plain.state, S.MaxJobsReached);
});

test('line splitter: a line cut across chunks is one line; CRLF, empty lines and a last line without newline', () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  s.push('hel');
  s.push('lo\r\nwor');
  s.push('ld\n\n');
  s.push('tail without newline');
  assert.deepEqual(lines, ['hello', 'world']);
  s.end();
  assert.deepEqual(lines, ['hello', 'world', 'tail without newline']);
  const long: string[] = [];
  const l = new LineSplitter((x) => long.push(x));
  l.push('x'.repeat(70_000));
  assert.equal(long.length, 1, 'an endless line is logged once it passes 64 KiB');
  const tail = new OutputTail(2);
  for (const x of ['a', 'b', 'c']) tail.add(x);
  assert.equal(tail.text(), 'b\nc');
});

test('line splitter: a partial line that nothing follows is logged once the output goes quiet', async () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), 5);
  s.push('[php warning] no newline');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(lines, ['[php warning] no newline']);
  s.push('next\n');
  s.end();
  assert.deepEqual(lines, ['[php warning] no newline', 'next'], 'logged once, not again at the end');
});

test('wait queue: oldest first; a waiter whose timeout passes leaves the queue at once', async () => {
  const q = new WaitQueue<string>();
  const expired = [q.wait(20, () => new Error('t1')), q.wait(20, () => new Error('t2'))];
  const kept = q.wait(60_000, () => new Error('never'));
  assert.equal(q.length, 3);
  await Promise.all(expired.map((p) => assert.rejects(p)));
  assert.equal(q.length, 1, 'the timed-out waiters are gone before anything is handed over');
  assert.equal(q.handOver('w1'), true);
  assert.equal(await kept, 'w1');
  assert.equal(q.handOver('w2'), false);
  const a = q.wait(60_000, () => new Error('never'));
  const b = q.wait(60_000, () => new Error('never'));
  q.rejectAll(new Error('stopped'));
  await assert.rejects(a, /stopped/);
  await assert.rejects(b, /stopped/);
  assert.equal(q.length, 0);
});
