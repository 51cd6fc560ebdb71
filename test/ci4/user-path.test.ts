/**
 * The user's path, run as a new user would: a fresh CI4 app, `composer require burner/burner` (offline, from this
 * repository through a path repository), `php spark burner:init RoadRunner` (twice), `php spark burner:start --daemon`
 * serving the welcome page on :8080, `php spark burner:stop`.
 */
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pidAlive } from '../e2e/harness.js';
import { ciApp, portBusy, run } from './helpers.js';

const PHP = process.env.PHP_BINARY ?? 'php';

describe("the user's path: composer require, burner:init, burner:start", () => {
  let app: string;
  before(() => {
    app = path.join(mkdtempSync(path.join(tmpdir(), 'burner-user-')), 'my-app');
    ciApp(app, { fixtures: false, burner: false });
  });
  after(async () => {
    const pidFile = path.join(app, '.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0 && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(path.dirname(app), { recursive: true, force: true });
  });

  test('composer require burner/burner', async () => {
    const res = await run('composer', ['require', '--no-interaction', '--no-progress', 'burner/burner:@dev'], {
      cwd: app,
      env: { COMPOSER_DISABLE_NETWORK: '1' },
    });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(existsSync(path.join(app, 'vendor/burner/burner/worker/codeigniter.php')));
    const list = await run(PHP, ['spark', 'list'], { cwd: app });
    assert.match(list.stdout, /burner:init/, 'spark discovers the commands of the package');
  });

  test('burner:init without Node.js says so clearly', async () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'burner-nonode-'));
    try {
      const php = spawnSync('sh', ['-c', 'command -v php'], { encoding: 'utf8' }).stdout.trim();
      symlinkSync(php, path.join(bin, 'php'));
      const res = await run(path.join(bin, 'php'), ['spark', 'burner:init', 'RoadRunner'], { cwd: app, env: { PATH: bin } });
      assert.notEqual(res.code, 0);
      assert.match(res.stdout + res.stderr, /Node\.js .*required/);
      assert.equal(existsSync(path.join(app, '.rr.yaml')), false, 'nothing written');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('burner:init RoadRunner installs vendor/bin/rr and writes the config; run again, it keeps one backup of each', async () => {
    const first = await run(PHP, ['spark', 'burner:init', 'RoadRunner'], { cwd: app });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /vendor\/bin\/rr/);
    assert.match(first.stdout, /app\/Config\/Burner\.php/);
    assert.match(first.stdout, /\.rr\.yaml/);

    const rr = path.join(app, 'vendor/bin/rr');
    assert.ok(statSync(rr).mode & 0o111, 'vendor/bin/rr is executable');
    const version = await run(rr, ['--version']);
    assert.equal(version.code, 0, version.stderr);

    const yaml = readFileSync(path.join(app, '.rr.yaml'), 'utf8');
    assert.match(yaml, /^version: "3"$/m);
    assert.match(yaml, /address: 0\.0\.0\.0:8080/);
    assert.match(yaml, /middleware: \["static"\]/);
    assert.match(yaml, /dir: "public"/);
    assert.match(yaml, /listen: tcp:\/\/127\.0\.0\.1:6001/);
    assert.match(yaml, /command: "php -d opcache\.enable_cli=1 vendor\/burner\/burner\/worker\/codeigniter\.php"/);
    assert.match(yaml, /num_workers: [1-9]\d*/);
    assert.match(readFileSync(path.join(app, 'app/Config/Burner.php'), 'utf8'), /class Burner extends BaseConfig/);

    const second = await run(PHP, ['spark', 'burner:init', 'RoadRunner'], { cwd: app });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /kept the previous/);
    const backups = (dir: string, prefix: string) => readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.bak'));
    assert.equal(backups(app, '.rr.yaml.').length, 1);
    assert.equal(backups(path.join(app, 'app/Config'), 'Burner.php.').length, 1);
    assert.ok(existsSync(path.join(app, '.rr.yaml')));
    assert.ok(existsSync(path.join(app, 'app/Config/Burner.php')));
  });

  test('burner:start --daemon serves the welcome page on http://localhost:8080; burner:stop stops it', async (t) => {
    if ((await portBusy(8080)) || (await portBusy(6001))) {
      t.skip('port 8080 or 6001 is busy on this machine: the user path needs the default ports');
      return;
    }
    const start = await run(PHP, ['spark', 'burner:start', '--daemon'], { cwd: app });
    assert.equal(start.code, 0, start.stdout + start.stderr);
    assert.match(start.stdout, /running in the background/);

    let body = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch('http://localhost:8080/');
        body = await res.text();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(body, /Welcome to CodeIgniter 4!/);
    const icon = await fetch('http://localhost:8080/favicon.ico');
    assert.equal(icon.status, 200, 'static files from public/');
    await icon.arrayBuffer();

    const pid = Number(readFileSync(path.join(app, '.pid'), 'utf8').trim());
    assert.ok(pidAlive(pid));
    const stop = await run(PHP, ['spark', 'burner:stop'], { cwd: app });
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    const gone = Date.now() + 15_000;
    while (pidAlive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pidAlive(pid), false, 'the server stopped');
  });
});
