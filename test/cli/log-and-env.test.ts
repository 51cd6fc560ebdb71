import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/index.js';
import { workerEnv } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  w.isTTY = isTTY;
  w.text = () => text;
  return w;
}

const flush = () => new Promise((r) => setImmediate(r));

test('a terminal gets readable lines; anything else gets JSON lines', async () => {
  const tty = sink(true);
  createLogger(undefined, { stream: tty }).child({ logger: 'http' }).info({ status: 200, path: '/a b' }, 'served');
  await flush();
  assert.match(tty.text(), /^\S*\d\d:\d\d:\d\d\.\d{3}\S* \S*INFO \S*\S* http\S* served\S* status=200 path="\/a b"/);

  const pipe = sink(false);
  createLogger(undefined, { stream: pipe }).child({ logger: 'http' }).warn({ status: 500 }, 'failed');
  await flush();
  const entry = JSON.parse(pipe.text()) as Record<string, unknown>;
  assert.equal(entry.msg, 'failed');
  assert.equal(entry.level, 40);
  assert.equal(entry.logger, 'http');
  assert.equal(entry.status, 500);
});

test('logs.encoding and logs.level are honoured; mode off is silent', async () => {
  const s = sink(false);
  const log = createLogger({ encoding: 'console', level: 'warn' }, { stream: s });
  log.info('hidden');
  log.error('shown');
  await flush();
  assert.doesNotMatch(s.text(), /hidden/);
  assert.match(s.text(), /ERROR shown/);
  const off = sink(false);
  createLogger({ mode: 'off' }, { stream: off }).error('nothing');
  await flush();
  assert.equal(off.text(), '');
});

test('workers get RR_RELAY, RR_RPC, RR_VERSION, RR_MODE and upper-cased server.env', () => {
  const config = configSchema.parse({
    version: '3',
    rpc: { listen: 'tcp://127.0.0.1:6001' },
    server: { command: 'php w.php', relay: 'unix:///tmp/rr.sock', env: { app_env: 'prod', Debug: true } },
  });
  const env = workerEnv(config, 'http');
  assert.equal(env.RR_RELAY, 'unix:///tmp/rr.sock');
  assert.equal(env.RR_RPC, 'tcp://127.0.0.1:6001');
  assert.equal(env.RR_MODE, 'http');
  assert.match(env.RR_VERSION!, /^\d{4}\.\d+\.\d+$/);
  assert.equal(env.APP_ENV, 'prod');
  assert.equal(env.DEBUG, 'true');
  const noRpc = workerEnv(configSchema.parse({ version: '3', server: { command: 'x' } }), 'http');
  assert.equal(noRpc.RR_RPC, undefined, 'RR_RPC only with an rpc section');
  assert.equal(noRpc.RR_RELAY, 'pipes');
});

test('logs.channels sets the level of one channel; mode off silences it; the others keep the root level', async () => {
  const s = sink(false);
  const log = createLogger(
    { level: 'warn', encoding: 'console', channels: { http: { level: 'debug' }, rpc: { mode: 'off' } } },
    { stream: s },
  );
  log.child({ logger: 'http' }).debug('http detail');
  log.child({ logger: 'rpc' }).error('rpc failure');
  log.child({ logger: 'server' }).info('server info');
  log.child({ logger: 'server' }).warn('server warning');
  await flush();
  assert.match(s.text(), /DEBUG http http detail/);
  assert.doesNotMatch(s.text(), /rpc failure/);
  assert.doesNotMatch(s.text(), /server info/);
  assert.match(s.text(), /WARN {2}server server warning/);
});
