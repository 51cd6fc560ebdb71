/**
 * `php spark burner:reload` (the server's reset: workers restart without dropping requests) under load: zero failed
 * requests, requests served after each reload, every worker replaced. Also `burner:workers` shows the worker table.
 * Runs on free ports: the test rewrites the addresses in the .rr.yaml that burner:init wrote (and checks that it
 * did). No assertion depends on elapsed time or on how many requests fitted in some period.
 */
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../e2e/harness.js';
import { ROOT, ciApp, freePort, run } from './helpers.js';

describe('burner:reload under load', () => {
  let app: string;
  let port: number;
  let pid = 0;
  before(async () => {
    app = ciApp('ci4-reload');
    // The server from this checkout (a directory install): no npm registry needed.
    const init = await run('php', ['spark', 'burner:init', 'RoadRunner', `--server=${ROOT}`], { cwd: app });
    assert.equal(init.code, 0, init.stdout + init.stderr);
    port = await freePort();
    const rpc = await freePort();
    const yaml = readFileSync(path.join(app, '.rr.yaml'), 'utf8')
      .replace(/^(\s*)address: \S+$/m, `$1address: 127.0.0.1:${port}`)
      .replace(/^(\s*)listen: tcp:\/\/\S+$/m, `$1listen: tcp://127.0.0.1:${rpc}`)
      .replace(/num_workers: \d+/, 'num_workers: 2');
    assert.ok(yaml.includes(`address: 127.0.0.1:${port}`) && yaml.includes(`listen: tcp://127.0.0.1:${rpc}`), `free ports set:\n${yaml}`);
    writeFileSync(path.join(app, '.rr.yaml'), yaml);
    const start = await run('php', ['spark', 'burner:start', '--daemon'], { cwd: app });
    assert.equal(start.code, 0, start.stdout + start.stderr);
    pid = Number(readFileSync(path.join(app, '.pid'), 'utf8').trim());
  });
  after(async () => {
    await run('php', ['spark', 'burner:stop'], { cwd: app });
    const deadline = Date.now() + 10_000;
    while (pid > 0 && pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (pid > 0 && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    if (existsSync(path.join(app, '.pid'))) writeFileSync(path.join(app, '.pid'), '');
  });

  test('zero failed requests while the workers are reset twice', async () => {
    const url = `http://127.0.0.1:${port}/bt/hello`;
    const ready = Date.now() + 30_000;
    while (Date.now() < ready) {
      try {
        if ((await fetch(url)).status === 200) break;
      } catch {
        // starting
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    const pids = async () => {
      const workers = await run('php', ['spark', 'burner:workers'], { cwd: app });
      assert.equal(workers.code, 0, workers.stdout + workers.stderr);
      return [...workers.stdout.matchAll(/^\|\s*(\d+)\s*\|\s*ready/gm)].map((m) => Number(m[1])).sort();
    };
    const before = await pids();
    assert.equal(before.length, 2, 'the worker table lists the two workers');

    let ok = 0;
    let stop = false;
    const failures: string[] = [];
    const client = async () => {
      while (!stop) {
        try {
          const res = await fetch(url);
          const text = await res.text();
          if (res.status === 200 && text === 'hello from CodeIgniter') ok++;
          else failures.push(`${res.status} ${text.slice(0, 80)}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    /** Waits until `n` more requests have been answered (an outcome, not a time); the deadline is a safety net. */
    const served = async (n: number) => {
      const target = ok + n;
      const deadline = Date.now() + 60_000;
      while (ok < target && failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(failures, []);
      assert.ok(ok >= target, `${n} more requests answered`);
    };
    const clients = [client(), client(), client(), client()];
    try {
      await served(50);
      for (let i = 0; i < 2; i++) {
        const res = await run('php', ['spark', 'burner:reload'], { cwd: app });
        assert.equal(res.code, 0, res.stdout + res.stderr);
        await served(50); // served by the new workers, while clients kept sending
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    assert.deepEqual(failures, []);
    const afterReload = await pids();
    assert.equal(afterReload.length, 2);
    assert.ok(
      afterReload.every((pid) => !before.includes(pid)),
      'all workers were replaced',
    );
  });
  test('burner:start in the foreground serves until the process gets SIGTERM', async () => {
    const stop = await run('php', ['spark', 'burner:stop'], { cwd: app });
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    const deadline = Date.now() + 10_000;
    while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pidAlive(pid), false);

    const fgPort = await freePort();
    const child = spawn('php', ['spark', 'burner:start', '--port', String(fgPort)], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let body = '';
      const ready = Date.now() + 30_000;
      while (Date.now() < ready && child.exitCode === null) {
        try {
          body = await (await fetch(`http://127.0.0.1:${fgPort}/bt/hello`)).text();
          if (body === 'hello from CodeIgniter') break;
        } catch {
          // starting
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(body, 'hello from CodeIgniter', output);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, 'the server (which replaced spark) stops gracefully on SIGTERM');
    let refused = false;
    try {
      await fetch(`http://127.0.0.1:${fgPort}/bt/hello`);
    } catch {
      refused = true;
    }
    assert.ok(refused, 'nothing listens any more');
  });
});
