/** The plugin lifecycle runner: start order, reverse stop that survives failures, the original start error. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, type Plugin } from '../../src/lifecycle.js';

function recorder() {
  const events: string[] = [];
  const errors: string[] = [];
  const log = {
    debug() {},
    info() {},
    warn() {},
    error: (obj: object | string, msg?: string) => errors.push(`${JSON.stringify(obj)} ${msg ?? ''}`),
  };
  const plugin = (name: string, fail: { start?: boolean; stop?: boolean; drain?: boolean } = {}): Plugin => ({
    name,
    async start() {
      events.push(`start ${name}`);
      if (fail.start) throw new Error(`${name} cannot start`);
    },
    async stop(grace) {
      events.push(`stop ${name} ${grace}`);
      if (fail.stop) throw new Error(`${name} cannot stop`);
    },
    async drain() {
      events.push(`drain ${name}`);
      if (fail.drain) throw new Error(`${name} cannot drain`);
    },
  });
  return { events, errors, log, plugin };
}

test('plugins start in order, drain together, and stop in reverse; a failing stop is logged and the rest still stop', async () => {
  const { events, errors, log, plugin } = recorder();
  const lc = new Lifecycle(log);
  await lc.start([plugin('pool'), plugin('http', { stop: true, drain: true }), plugin('status')], 5000);
  await lc.drain();
  await assert.rejects(lc.stopAll(5000), /http cannot stop/);
  assert.deepEqual(events, [
    'start pool',
    'start http',
    'start status',
    'drain pool',
    'drain http',
    'drain status',
    'stop status 5000',
    'stop http 5000',
    'stop pool 5000',
  ]);
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0]!, /http cannot drain/);
  assert.match(errors[1]!, /http cannot stop/);
  await assert.rejects(lc.stopAll(5000), /http cannot stop/, 'stopAll runs once');
  assert.equal(events.filter((e) => e.startsWith('stop')).length, 3);
});

test('a failed start stops what started (reverse) and rethrows the original error, even when a stop fails too', async () => {
  const { events, log, plugin } = recorder();
  const lc = new Lifecycle(log);
  await assert.rejects(
    lc.start([plugin('pool'), plugin('http', { stop: true }), plugin('metrics', { start: true }), plugin('reload')], 100),
    /metrics cannot start/,
  );
  assert.deepEqual(events, ['start pool', 'start http', 'start metrics', 'stop http 100', 'stop pool 100']);
});
