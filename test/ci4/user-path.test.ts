/**
 * The user's path, as on a machine that has never seen this repository, in temp dirs outside it, for every
 * CodeIgniter version: `npm pack` of the server (once per run), a fresh CI4 app, `composer require burner/burner`
 * (offline: a path repository that mirrors this repository as packagist's zip would, honouring .gitattributes
 * export-ignore, stands in for packagist), `php spark burner:init RoadRunner --server=<tarball>` with no npm registry
 * reachable, `php spark burner:start --daemon` on free ports, pages answered, `php spark burner:stop`, nothing left
 * running. Also: a failing install keeps the earlier vendor/bin/rr; the start options take effect.
 */
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, VERSIONS, freePort, portBusy, run, unavailable, type Version } from './helpers.js';

const PHP = process.env.PHP_BINARY ?? 'php';
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** npm must not need a registry for a --server install: point it at a port nobody listens on. */
const NO_REGISTRY = { npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PIDs of processes whose command line or working directory is inside `dir` (the server, its PHP workers). */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        /* not ours to read */
      }
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(dir + '/')) found.push(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

/** PHP worker PIDs of the app (their command line names the worker script, their cwd is the app). */
function workersOf(app: string): number[] {
  return processesIn(app).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('codeigniter.php');
    } catch {
      return false;
    }
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function page(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** Stops whatever the app still runs (a failed test), so no process outlives the test. */
async function killAll(app: string): Promise<void> {
  const pidFile = path.join(app, '.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const pid of processesIn(app)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await until('the app processes to end', () => (processesIn(app).length === 0 ? true : undefined), 15_000).catch(() => undefined);
}

let packDir = '';
let tarball = '';

before(async () => {
  // The package as `npm pack` makes it for the registry. Scripts are skipped because this test runs from the
  // build the suite already made (prepack would rebuild dist/ under the other tests' feet).
  // BURNER_SERVER_TARBALL names a tarball packed beforehand (e.g. by a release job) to test that one instead.
  packDir = mkdtempSync(path.join(tmpdir(), 'burner-pack-'));
  if (process.env.BURNER_SERVER_TARBALL) {
    tarball = path.resolve(process.env.BURNER_SERVER_TARBALL);
    assert.ok(existsSync(tarball), `BURNER_SERVER_TARBALL=${tarball}: no such file`);
    return;
  }
  const res = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { cwd: ROOT, timeoutMs: 180_000 });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  tarball = path.join(packDir, res.stdout.trim().split('\n').pop()!);
  assert.ok(existsSync(tarball), tarball);
});
after(() => rmSync(packDir, { recursive: true, force: true }));

test('the npm package ships the built server and its runtime dependencies, and no tests', () => {
  const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(list.includes('package/bin/rr.js'));
  assert.ok(list.includes('package/dist/src/cli/index.js'), 'dist/src is in the package');
  assert.ok(list.includes('package/LICENSE'));
  for (const dep of ['yaml', 'zod', 'commander', 'pino', 'prom-client', 'send', '@fastify/busboy']) {
    assert.ok(list.includes(`package/node_modules/${dep}/package.json`), `${dep} is bundled`);
  }
  const shipped = list.filter((f) => /^package\/(php\/tests|test|bench|src|dist\/test|dist\/bench)\//.test(f));
  assert.deepEqual(shipped, [], 'no tests, sources or benchmarks');
});

// The versions and the failure cases run side by side: each is mostly waiting on npm, composer and PHP.
describe("the user's path on every CodeIgniter version", { concurrency: true }, () => {
  for (const version of VERSIONS) userPath(version);
  failuresAndWatch();
});

function userPath(version: Version): void {
  const skip = unavailable(version);
  describe(`CodeIgniter ${version}`, { skip, concurrency: 1 }, () => {
    let home = '';
    let app = '';
    before(async () => {
      home = mkdtempSync(path.join(tmpdir(), `burner-user-${version}-`));
      app = path.join(home, 'my-app');
      const res = await run('bash', [path.join(ROOT, 'scripts/ci4-app.sh'), app, '--version', version, '--no-burner'], {
        timeoutMs: 180_000,
      });
      assert.equal(res.code, 0, res.stdout + res.stderr);
      // Stand-in for packagist: no packagist, a path repository mirroring (not linking) this repository the way
      // packagist's zip would hold it, at the version a release tag would give it.
      const composer = JSON.parse(readFileSync(path.join(app, 'composer.json'), 'utf8')) as Record<string, unknown>;
      composer.repositories = [
        { type: 'path', url: ROOT, options: { symlink: false, versions: { 'burner/burner': PACKAGE.version } } },
        { 'packagist.org': false },
      ];
      delete composer['minimum-stability'];
      writeFileSync(path.join(app, 'composer.json'), JSON.stringify(composer, null, 4));
    });
    after(async () => {
      if (app) await killAll(app);
      if (home) rmSync(home, { recursive: true, force: true });
    });

    test('composer require burner/burner installs the PHP package only, and spark finds its commands', async () => {
      const res = await run('composer', ['require', '--no-interaction', '--no-progress', 'burner/burner'], {
        cwd: app,
        env: { COMPOSER_DISABLE_NETWORK: '1' },
      });
      assert.equal(res.code, 0, res.stdout + res.stderr);
      const pkg = path.join(app, 'vendor/burner/burner');
      assert.ok(existsSync(path.join(pkg, 'php/worker/codeigniter.php')));
      assert.ok(existsSync(path.join(pkg, 'php/src/Commands/BurnerInit.php')));
      assert.ok(statSync(pkg).isDirectory() && !statSync(pkg).isSymbolicLink());
      for (const left of ['src', 'test', 'bench', 'node_modules', 'dist', 'php/tests', 'package.json']) {
        assert.equal(existsSync(path.join(pkg, left)), false, `${left} is export-ignored`);
      }
      const list = await run(PHP, ['spark', 'list'], { cwd: app });
      for (const command of ['burner:init', 'burner:start', 'burner:stop'])
        assert.match(list.stdout, new RegExp(command), `spark lists ${command}`);
    });

    test('burner:init RoadRunner --server=<tarball> installs vendor/bin/rr with no registry and writes the config', async () => {
      const res = await run(PHP, ['spark', 'burner:init', 'RoadRunner', `--server=${tarball}`], { cwd: app, env: NO_REGISTRY });
      const out = res.stdout + res.stderr;
      assert.equal(res.code, 0, out);
      assert.match(out, /\$ npm install .*--offline .*burner-server-/, 'prints the command it runs');
      assert.match(out, /wrote app\/Config\/Burner\.php/);
      const version = await run(path.join(app, 'vendor/bin/rr'), ['--version']);
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, new RegExp(`burner ${PACKAGE.version.replace(/\./g, '\\.')}`));
      const yaml = readFileSync(path.join(app, '.rr.yaml'), 'utf8');
      assert.match(yaml, /command: "php -d opcache\.enable_cli=1 vendor\/burner\/burner\/php\/worker\/codeigniter\.php"/);
      assert.deepEqual(
        readdirSync(path.join(app, 'vendor')).filter((e) => e.startsWith('burner-server')),
        ['burner-server'],
        'no staging directory left',
      );
    });

    test('burner:start --daemon on a free port serves the app; the options take effect; burner:stop leaves nothing running', async () => {
      const [port, rpcPort] = [await freePort(), await freePort()];
      // The one fixed port of the generated .rr.yaml is RPC's: a user with a clash edits it, and so does this test.
      const yamlFile = path.join(app, '.rr.yaml');
      writeFileSync(yamlFile, readFileSync(yamlFile, 'utf8').replace('tcp://127.0.0.1:6001', `tcp://127.0.0.1:${rpcPort}`));
      try {
        const start = await run(
          PHP,
          ['spark', 'burner:start', '--daemon', '--host', '127.0.0.1', `--port=${port}`, '--workers', '1', '--max-requests', '2'],
          { cwd: app },
        );
        assert.equal(start.code, 0, start.stdout + start.stderr);
        assert.match(start.stdout, /running in the background/);
        assert.ok(existsSync(path.join(app, '.pid')), 'burner:start --daemon returns once the server wrote .pid');
        const pid = Number(readFileSync(path.join(app, '.pid'), 'utf8').trim());
        assert.ok(alive(pid));

        const base = `http://127.0.0.1:${port}`;
        const welcome = await until('the welcome page', async () => {
          const p = await page(`${base}/`);
          return p.status === 200 ? p : undefined;
        });
        assert.match(welcome.body, /Welcome to CodeIgniter/);
        const icon = await fetch(`${base}/favicon.ico`);
        assert.equal(icon.status, 200, 'static files from public/');
        await icon.arrayBuffer();
        assert.equal((await page(`${base}/no/such/page`)).status, 404);

        // --workers 1: one PHP worker; --max-requests 2: after more requests than that, it was replaced.
        const first = await until('the worker', () => {
          const pids = workersOf(app);
          return pids.length === 1 ? pids[0] : undefined;
        });
        for (let i = 0; i < 4; i++) assert.equal((await page(`${base}/`)).status, 200);
        await until('the first worker to be replaced', () => (alive(first) ? undefined : true));
        const next = await until('its replacement', () => {
          const pids = workersOf(app);
          return pids.length === 1 && pids[0] !== first ? pids[0] : undefined;
        });
        assert.notEqual(next, first);

        const stop = await run(PHP, ['spark', 'burner:stop'], { cwd: app });
        assert.equal(stop.code, 0, stop.stdout + stop.stderr);
        await until('the server to exit', () => (alive(pid) ? undefined : true), 30_000);
        await until('every process of the app to exit', () => (processesIn(app).length === 0 ? true : undefined), 30_000);
        assert.equal(await portBusy(port), false, 'the HTTP port is closed');
        assert.equal(await portBusy(rpcPort), false, 'the RPC port is closed');
        assert.equal(existsSync(path.join(app, '.pid')), false, '.pid removed');
      } finally {
        await killAll(app);
      }
    });
  });
}

function failuresAndWatch(): void {
  describe('burner:init failures and --watch (CodeIgniter 4.1.3)', { concurrency: 1 }, () => {
    let home = '';
    let app = '';
    before(async () => {
      home = mkdtempSync(path.join(tmpdir(), 'burner-user-fail-'));
      app = path.join(home, 'app');
      const res = await run('bash', [path.join(ROOT, 'scripts/ci4-app.sh'), app, '--version', '4.1.3', '--no-burner'], {
        timeoutMs: 180_000,
      });
      assert.equal(res.code, 0, res.stdout + res.stderr);
      const composer = JSON.parse(readFileSync(path.join(app, 'composer.json'), 'utf8')) as Record<string, unknown>;
      composer.repositories = [
        { type: 'path', url: ROOT, options: { symlink: false, versions: { 'burner/burner': PACKAGE.version } } },
        { 'packagist.org': false },
      ];
      writeFileSync(path.join(app, 'composer.json'), JSON.stringify(composer, null, 4));
      const req = await run('composer', ['require', '--no-interaction', '--no-progress', '--quiet', 'burner/burner'], {
        cwd: app,
        env: { COMPOSER_DISABLE_NETWORK: '1' },
      });
      assert.equal(req.code, 0, req.stdout + req.stderr);
    });
    after(async () => {
      if (app) await killAll(app);
      if (home) rmSync(home, { recursive: true, force: true });
    });

    test('without Node.js, burner:init says so and writes nothing', async () => {
      const bin = mkdtempSync(path.join(tmpdir(), 'burner-nonode-'));
      try {
        const php = spawnSync('sh', ['-c', `command -v ${PHP}`], { encoding: 'utf8' }).stdout.trim();
        symlinkSync(php, path.join(bin, 'php'));
        const res = await run(path.join(bin, 'php'), ['spark', 'burner:init', 'RoadRunner', `--server=${tarball}`], {
          cwd: app,
          env: { PATH: bin },
        });
        assert.notEqual(res.code, 0);
        assert.match(res.stdout + res.stderr, /Node\.js .*required/);
        assert.equal(existsSync(path.join(app, '.rr.yaml')), false, 'nothing written');
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    });

    test('a failing install (--server=/nonexistent, or an unreachable registry) says what failed and what to do, and keeps the working vendor/bin/rr', async () => {
      const ok = await run(PHP, ['spark', 'burner:init', 'RoadRunner', '--server', tarball], { cwd: app, env: NO_REGISTRY });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      const launcher = readFileSync(path.join(app, 'vendor/bin/rr'), 'utf8');
      const configs = readdirSync(app)
        .filter((f) => f.startsWith('.rr.yaml'))
        .sort();

      const res = await run(PHP, ['spark', 'burner:init', 'RoadRunner', '--server=/nonexistent/burner-server.tgz'], {
        cwd: app,
        env: NO_REGISTRY,
      });
      const out = res.stdout + res.stderr;
      assert.notEqual(res.code, 0, out);
      assert.match(out, /burner:init failed: --server=\/nonexistent\/burner-server\.tgz: no such file or directory/);
      assert.match(out, /vendor\/bin\/rr was left as it was/);
      assert.match(out, /What to do: .*npm pack/);

      assert.equal(readFileSync(path.join(app, 'vendor/bin/rr'), 'utf8'), launcher);
      const version = await run(path.join(app, 'vendor/bin/rr'), ['--version']);
      assert.equal(version.code, 0, 'the earlier server still runs');
      assert.match(version.stdout, /burner /);
      assert.deepEqual(
        readdirSync(app)
          .filter((f) => f.startsWith('.rr.yaml'))
          .sort(),
        configs,
        'the config was not touched',
      );

      // Without --server: the npm registry, the package by its name at burner/burner's version (here none answers).
      const registry = await run(PHP, ['spark', 'burner:init', 'RoadRunner'], { cwd: app, env: NO_REGISTRY });
      const said = registry.stdout + registry.stderr;
      assert.notEqual(registry.code, 0, said);
      const v = PACKAGE.version.replace(/\./g, '\\.');
      assert.match(said, new RegExp(`installing burner-server@${v} from the npm registry \\(the version of burner/burner, ${v}\\)`));
      assert.match(said, new RegExp(`\\$ npm install .*'burner-server@${v}'`), 'prints the command it runs');
      assert.match(said, /What to do: .*--server=/);
      assert.equal(readFileSync(path.join(app, 'vendor/bin/rr'), 'utf8'), launcher);
      assert.equal((await run(path.join(app, 'vendor/bin/rr'), ['--version'])).code, 0, 'the earlier server still runs');

      // Run again with a good source: the earlier files are kept as one backup each.
      const again = await run(PHP, ['spark', 'burner:init', 'RoadRunner', `--server=${tarball}`], { cwd: app, env: NO_REGISTRY });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /kept the previous \.rr\.yaml as \.rr\.yaml\.[\d-]+\.bak/);
      assert.equal(readdirSync(path.join(app, 'app/Config')).filter((f) => /^Burner\.php\..*\.bak$/.test(f)).length, 1);
    });

    test('burner:start --watch restarts the workers when a controller changes', async () => {
      const [port, rpcPort] = [await freePort(), await freePort()];
      const yamlFile = path.join(app, '.rr.yaml');
      writeFileSync(yamlFile, readFileSync(yamlFile, 'utf8').replace('tcp://127.0.0.1:6001', `tcp://127.0.0.1:${rpcPort}`));
      try {
        const start = await run(PHP, ['spark', 'burner:start', '--watch', '--daemon', '--host', '127.0.0.1', '--port', String(port)], {
          cwd: app,
        });
        assert.equal(start.code, 0, start.stdout + start.stderr);
        assert.match(start.stdout, /Watching app\/ and \.env/);
        // The reload section comes as -o overrides on the command line (list keys as comma lists): no config file of its own.
        assert.equal(existsSync(path.join(app, 'writable/burner/burner-watch.rr.yaml')), false);
        const base = `http://127.0.0.1:${port}`;
        await until('the welcome page', async () => ((await page(`${base}/`)).status === 200 ? true : undefined));

        const controller = path.join(app, 'app/Controllers/Home.php');
        writeFileSync(
          controller,
          readFileSync(controller, 'utf8').replace(/return view\('welcome_message'\);/, "return 'changed while watching';"),
        );
        const body = await until('the changed page', async () => {
          const p = await page(`${base}/`);
          return p.body === 'changed while watching' ? p.body : undefined;
        });
        assert.equal(body, 'changed while watching');

        const stop = await run(PHP, ['spark', 'burner:stop'], { cwd: app });
        assert.equal(stop.code, 0, stop.stdout + stop.stderr);
        await until('every process of the app to exit', () => (processesIn(app).length === 0 ? true : undefined), 30_000);
        assert.equal(await portBusy(port), false);
      } finally {
        await killAll(app);
      }
    });
  });
}
