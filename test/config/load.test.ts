import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig, expandEnv, parseDotenv } from '../../src/config/load.js';
import { errorOf, withFile } from './helpers.js';
import { parseDuration } from '../../src/config/duration.js';

const BASE = `version: "3"
server:
  command: "php worker.php --flag"
http:
  address: 127.0.0.1:8080
`;

test('durations follow Go syntax; a bare number is nanoseconds', () => {
  assert.equal(parseDuration('60s'), 60_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('10us'), 0.01);
  assert.equal(parseDuration(1_000_000_000), 1000);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['10x', '', 's', '5 s', '-1s', 'abc']) assert.throws(() => parseDuration(bad), /invalid duration/);
});

test('defaults match RoadRunner and the command is split on spaces', () => {
  withFile(BASE, (file) => {
    const { config } = loadConfig({ file, env: {} });
    assert.deepEqual(config.server.command, ['php', 'worker.php', '--flag']);
    assert.equal(config.server.relay, 'pipes');
    const http = config.http!;
    assert.equal(http.max_request_size, 1000);
    assert.equal(http.internal_error_code, 500);
    assert.equal(http.codec, 'json');
    assert.equal(http.pool.allocate_timeout, 60_000);
    assert.equal(http.pool.destroy_timeout, 60_000);
    assert.ok(http.pool.num_workers >= 1, 'num_workers 0 means the CPU count');
    assert.equal(http.pool.supervisor, undefined);
  });
});

test('${VAR}, $VAR and ${VAR:-default} are expanded; the key decides the type', () => {
  const text = `version: "3"
server:
  command: "php \${SCRIPT}"
  env:
    app_env: $APP_ENV
http:
  address: \${HOST:-127.0.0.1}:\${PORT:-9000}
  pool:
    num_workers: \${WORKERS:-3}
    debug: \${DEBUG:-false}
`;
  withFile(text, (file) => {
    const { config } = loadConfig({ file, env: { SCRIPT: 'w.php', APP_ENV: 'prod', PORT: '' } });
    assert.deepEqual(config.server.command, ['php', 'w.php']);
    assert.deepEqual(config.server.env, { app_env: 'prod' });
    assert.equal(config.http!.address, '127.0.0.1:9000', 'an empty variable takes the default');
    assert.equal(config.http!.pool.num_workers, 3);
    assert.equal(config.http!.pool.debug, false);
  });
  // RoadRunner empties the whole value when a `:-` appears anywhere in it; Burner reads `:-` inside each ${...} only.
  assert.equal(expandEnv('${A:-x}-${B}', { B: 'b' }), 'x-b');
});

test('-o overrides are applied after expansion and typed', () => {
  withFile(BASE, (file) => {
    const { config } = loadConfig({
      file,
      env: { N: '7' },
      overrides: [
        'http.pool.num_workers=${N}',
        'http.pool.supervisor.exec_ttl="2s"',
        'http.raw_body=true',
        'rpc.listen=tcp://127.0.0.1:7001',
      ],
    });
    assert.equal(config.http!.pool.num_workers, 7);
    assert.equal(config.http!.pool.supervisor!.exec_ttl, 2000);
    assert.equal(config.http!.raw_body, true);
    assert.equal(config.rpc!.listen, 'tcp://127.0.0.1:7001');
  });
});

test('an unknown key names the file, the line and the key', () => {
  const text = `${BASE}  pool:\n    num_workers: 2\n    max_jobz: 10\n`;
  withFile(text, (file) => {
    const msg = errorOf(() => loadConfig({ file, env: {} }));
    assert.equal(msg, `${file}:8: http.pool.max_jobz: unknown key`);
  });
});

test('an unknown section is an error; a RoadRunner plugin section Burner lacks is a warning', () => {
  withFile(`${BASE}htp:\n  address: x\n`, (file) => {
    assert.equal(
      errorOf(() => loadConfig({ file, env: {} })),
      `${file}:6: htp: unknown key (section)`,
    );
  });
  withFile(`${BASE}jobs:\n  num_pollers: 1\n`, (file) => {
    const loaded = loadConfig({ file, env: {} });
    assert.equal(loaded.warnings.length, 1);
    assert.match(loaded.warnings[0]!, /:6: jobs: this RoadRunner plugin is not provided by Burner/);
  });
});

test('RoadRunner options Burner lacks are named as such', () => {
  withFile(`${BASE}  ssl:\n    address: 127.0.0.1:443\n`, (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /:6: http\.ssl: a RoadRunner option Burner does not support: TLS is not built in/,
    );
  });
});

test('version must be the string "3"', () => {
  withFile(BASE.replace('version: "3"', 'version: 2'), (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /\.rr\.yaml:1: version: version must be the string "3"/,
    );
  });
  withFile(BASE.replace('version: "3"', 'version: 3'), (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /:1: version: .*quote it/,
    );
  });
  withFile(BASE.replace('version: "3"\n', ''), (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /version: missing/,
    );
  });
});

test('a bad duration and a bad value are reported with their line', () => {
  withFile(`${BASE}  pool:\n    allocate_timeout: soon\n`, (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      new RegExp(`^${file.replace(/[.]/g, '\\.')}:7: http\\.pool\\.allocate_timeout: invalid duration "soon"`),
    );
  });
  withFile(`${BASE}  pool:\n    num_workers: many\n`, (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /:7: http\.pool\.num_workers: .*number/i,
    );
  });
  withFile(BASE.replace('127.0.0.1:8080', 'localhost'), (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /:5: http\.address: no port in "localhost" \(expected host:port\)/,
    );
  });
  withFile(BASE, (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {}, overrides: ['http.pool.max_jobs=-1'] })),
      /^-o http\.pool\.max_jobs=-1: http\.pool\.max_jobs: /,
    );
  });
});

test('invalid YAML and missing files are clear errors', () => {
  withFile('version: "3"\nserver: [\n', (file) => {
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /\.rr\.yaml:\d+: invalid YAML/,
    );
  });
  assert.match(
    errorOf(() => loadConfig({ file: '/nonexistent/.rr.yaml', env: {} })),
    /config file not found/,
  );
});

test('include replaces whole sections; dotenv fills the environment', () => {
  withFile(
    `${BASE}include:\n  - extra.yaml\n`,
    (file, dir) => {
      const env: NodeJS.ProcessEnv = {};
      const { config } = loadConfig({ file, env, workDir: dir, dotenv: path.join(dir, '.env') });
      assert.equal(config.http!.address, '0.0.0.0:9999');
      assert.equal(config.http!.pool.num_workers, 5);
      assert.equal(env.WORKERS, '5');
    },
    {
      'extra.yaml': 'version: "3"\nhttp:\n  address: 0.0.0.0:9999\n  pool:\n    num_workers: ${WORKERS}\n',
      '.env': '# comment\nexport WORKERS=5\nOTHER="a b"\n',
    },
  );
  assert.deepEqual(parseDotenv('A=1\nB="x y"\nC=\'z\' \n D=v # c\n'), { A: '1', B: 'x y', C: 'z', D: 'v' });
});
