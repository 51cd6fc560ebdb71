/** Config mistakes of issue 14 #9 and keys Burner accepts but ignores (issue 12): each named with file:line:key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { checkDirectories } from '../../src/config/paths.js';
import { errorOf, withFile as inDir } from './helpers.js';

const BASE = `version: "3"
server:
  command: "php w.php"
http:
  address: 127.0.0.1:8080
`;

test('a port out of range or not a number fails with file:line:key', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1:99999', 'port "99999" is not a number from 0 to 65535'],
    [':abc', 'port "abc" is not a number from 0 to 65535'],
  ];
  for (const [address, why] of cases) {
    inDir(BASE.replace('127.0.0.1:8080', address), (file) => {
      assert.equal(
        errorOf(() => loadConfig({ file, env: {} })),
        `${file}:5: http.address: ${why} in "${address}" (expected host:port)`,
      );
    });
  }
  inDir(`${BASE}status:\n  address: localhost:70000\n`, (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      new RegExp(`^${file}:7: status\\.address: port "70000"`),
    );
  });
  inDir(`${BASE}rpc:\n  listen: tcp://127.0.0.1:x\n`, (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      new RegExp(`^${file}:7: rpc\\.listen: port "x".*unix:///path`),
    );
  });
  inDir(BASE, (file) => {
    assert.equal(errorOf(() => loadConfig({ file, env: {}, overrides: ['http.address=:99999'] })).split(': ')[0], '-o http.address=:99999');
  });
});

test('a bare-number duration under 1 ms is rejected with file:line:key; a large one is a warning', () => {
  inDir(`${BASE}  pool:\n    supervisor:\n      exec_ttl: 30\n`, (file) => {
    assert.equal(
      errorOf(() => loadConfig({ file, env: {} })),
      `${file}:8: http.pool.supervisor.exec_ttl: 30 without a unit is 30 ns (a bare number is nanoseconds, as in RoadRunner); write the unit, e.g. 30s or 30ms`,
    );
  });
  inDir(`${BASE}  pool:\n    allocate_timeout: 60000000000\n    destroy_timeout: 0\n`, (file) => {
    const r = loadConfig({ file, env: {} });
    assert.equal(r.config.http!.pool.allocate_timeout, 60_000);
    assert.equal(r.config.http!.pool.destroy_timeout, 0);
    assert.deepEqual(r.warnings, [
      `${file}:7: http.pool.allocate_timeout: 60000000000 without a unit is read as nanoseconds (1m); write 1m to say so`,
    ]);
  });
});

test('keys accepted for RoadRunner compatibility but not used are each a warning with file:line:key', () => {
  const text = `${BASE}  static:
    dir: .
    request:
      x-a: b
status:
  address: 127.0.0.1:0
  check_timeout: 10
logs:
  level: info
  channels:
    http:
      level: debug
      output: http.log
endure:
  grace_period: 5s
  print_graph: true
`;
  inDir(text.replace('  command: "php w.php"\n', '  command: "php w.php"\n  relay_timeout: 20s\n'), (file) => {
    const r = loadConfig({ file, env: {} });
    const found = r.warnings.map((w) => w.replace(`${file}:`, ''));
    assert.deepEqual(
      found.sort(),
      [
        '22: endure.print_graph: accepted for RoadRunner compatibility, not used by Burner (there is no plugin graph to print)',
        '19: logs.channels.http.output: accepted for RoadRunner compatibility, not used by Burner (channels share logs.output)',
        '13: status.check_timeout: accepted for RoadRunner compatibility, not used by Burner (plugin checks answer from memory and do not time out)',
        '4: server.relay_timeout: accepted for RoadRunner compatibility, not used by Burner (workers get pool.allocate_timeout to connect to a tcp/unix relay)',
        '9: http.static.request: accepted for RoadRunner compatibility, not used by Burner (request headers are not added for static files)',
      ].sort(),
    );
    assert.equal(r.config.endure!.grace_period, 5000);
  });
});

test('status.drain_delay is a duration, 0s by default', () => {
  inDir(`${BASE}status:\n  address: 127.0.0.1:0\n`, (file) => assert.equal(loadConfig({ file, env: {} }).config.status!.drain_delay, 0));
  inDir(`${BASE}status:\n  address: 127.0.0.1:0\n  drain_delay: 5s\n`, (file) =>
    assert.equal(loadConfig({ file, env: {} }).config.status!.drain_delay, 5000),
  );
});

test('a missing http.static.dir or http.uploads.dir fails at startup with file:line:key', () => {
  inDir(`${BASE}  static:\n    dir: public\n  uploads:\n    dir: var/uploads\n`, (file, dir) => {
    const loaded = loadConfig({ file, env: {} });
    assert.equal(
      errorOf(() => checkDirectories(loaded, dir)),
      `${file}:7: http.static.dir: ${path.join(dir, 'public')} does not exist (static files are served from it)`,
    );
    mkdirSync(path.join(dir, 'public'));
    assert.match(
      errorOf(() => checkDirectories(loaded, dir)),
      new RegExp(`^${file}:9: http\\.uploads\\.dir: .*var/uploads does not exist`),
    );
    mkdirSync(path.join(dir, 'var'));
    writeFileSync(path.join(dir, 'var/uploads'), '');
    assert.match(
      errorOf(() => checkDirectories(loaded, dir)),
      /uploads is not a directory/,
    );
    rmSync(path.join(dir, 'var/uploads'));
    mkdirSync(path.join(dir, 'var/uploads'));
    checkDirectories(loaded, dir);
  });
  inDir(BASE, (file, dir) => checkDirectories(loadConfig({ file, env: {} }), dir));
});

test('limits of the http and rpc plugins: sizes in MB/MiB, timeouts as durations, absent keys keep the plugin defaults', async () => {
  const { httpOptions } = await import('../../src/app.js');
  const { HTTP_DEFAULTS } = await import('../../src/http/options.js');
  inDir(
    `${BASE}  max_form_size: 2\n  read_timeout: 30s\n  write_timeout: 0s\n  max_connections: 100\n  max_response_buffer: 16\nrpc:\n  listen: tcp://127.0.0.1:6001\n  max_frame_size: 4\n`,
    (file, dir) => {
      const { config } = loadConfig({ file, env: {} });
      const o = httpOptions(config.http!, dir);
      assert.equal(o.maxFormSize, 2 * 1024 * 1024);
      assert.equal(o.readTimeout, 30_000);
      assert.equal(o.writeTimeout, 0);
      assert.equal(o.maxConnections, 100);
      assert.equal(o.maxResponseBuffer, 16 * 1024 * 1024);
      assert.equal(config.rpc!.max_frame_size, 4);
    },
  );
  inDir(BASE, (file, dir) => {
    const o = httpOptions(loadConfig({ file, env: {} }).config.http!, dir);
    assert.equal(o.maxFormSize, HTTP_DEFAULTS.maxFormSize);
    assert.equal(o.maxConnections, HTTP_DEFAULTS.maxConnections);
    assert.equal(o.maxResponseBuffer, HTTP_DEFAULTS.maxResponseBuffer);
    assert.equal(o.readTimeout, 5 * 60_000);
  });
});

test('logs.output with several outputs: a warning that only the first is used', () => {
  inDir(`${BASE}logs:\n  output: [stderr, app.log]\n`, (file) => {
    assert.deepEqual(loadConfig({ file, env: {} }).warnings, [
      `${file}:7: logs.output: only the first output ("stderr") is used by Burner; the others are ignored`,
    ]);
  });
});
