import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { renderReport, type AppRun, type Report, type Round, type Side } from '../../bench/report.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

test('a recorded report from before the 4.7 rows and the realistic page still renders, its new goals "not measured"', async () => {
  // The report of the 2026-11-24 full run, as recorded then (hello, CI 4.1.3 welcome and JSON rows only).
  const old = JSON.parse(await readFile(path.join(ROOT, 'test/fixtures/bench/report-2026-11-24.json'), 'utf8')) as Report;
  const md = renderReport(old);
  assert.match(md, /## Goals \(issue 15: real pages\)/);
  assert.match(md, /realistic page .* \| — \| not measured \|/);
  assert.match(md, /CPU µs per request by process group/);
  // Without recorded groups there are no MariaDB / Redis columns.
  assert.doesNotMatch(md, /\| MariaDB \|/);
});

function round(side: Side, requests: number, us: { server: number; php: number; groups?: Record<string, number> }): Round {
  return {
    side,
    wrk: { requests, seconds: 1, reqPerSec: requests, p50Ms: 1, p99Ms: 2, socketErrors: 0, non2xx: 0 },
    serverCpuUs: us.server * requests,
    workerCpuUs: us.php * requests,
    wrkCpuUs: 10 * requests,
    otherCpuUs: 0,
    serverRssPeakKb: 1024,
    workerRssPeakKb: 2048,
    ...(us.groups ? { groupsCpuUs: Object.fromEntries(Object.entries(us.groups).map(([k, v]) => [k, v * requests])) } : {}),
  };
}

function app(id: string, title: string, rounds: Round[], extra: Partial<AppRun> = {}): AppRun {
  const idle = { serverKb: 1, workersKb: 1 };
  return { id, title, path: '/', rounds, idle: { burner: idle, fpm: idle }, ...extra };
}

test('the issue 15 goals: page and 4.7 welcome ratios, Node CPU against hello world, worker CPU against the ceiling', () => {
  const ceiling = (cpuUsPerReq: number) => ({
    requests: 1,
    seconds: 1,
    reqPerSec: 1,
    p50Us: 1,
    p99Us: 1,
    cpuUsPerReq,
    status: 200,
    bodyBytes: 1,
    rssKb: 1,
  });
  const report: Report = {
    machine: {
      date: 'now',
      cpus: 2,
      cpuModel: 'x',
      memoryGb: 1,
      kernel: 'k',
      loadAvg: [0, 0, 0],
      versions: { CodeIgniter: '4.7.2 and 4.1.3' },
    },
    settings: { workers: 2, seconds: 1, warmupSeconds: 1, connections: 32, threads: 1, rounds: 1, quick: false },
    apps: [
      app('hello', 'hello world', [round('burner', 2000, { server: 50, php: 20 }), round('fpm', 1000, { server: 50, php: 60 })]),
      app(
        'ci4-welcome',
        'CI4 welcome page, CI 4.7.2',
        [round('burner', 4500, { server: 55, php: 300 }), round('fpm', 1000, { server: 150, php: 1500 })],
        { ciVersion: '4.7.2', ceiling: ceiling(280) },
      ),
      app(
        'ci4-page',
        'CI4 realistic page, CI 4.7.2',
        [
          round('burner', 2000, { server: 100, php: 1200, groups: { mariadb: 300, redis: 100 } }),
          round('fpm', 1000, { server: 90, php: 3000, groups: { mariadb: 500, redis: 150 } }),
          round('floor-rate', 2000, { server: 80, php: 10 }),
        ],
        { ciVersion: '4.7.2', ceiling: ceiling(1000), sessions: 128, floorSleepUs: 950 },
      ),
    ],
  };
  const md = renderReport(report);
  assert.match(md, /\| realistic page .* \| ≥ 2\.2× \| 2\.00× \(2000 vs 1000 req\/s, CI 4\.7\.2\) \| \*\*no\*\* \|/);
  assert.match(md, /\| CI4 welcome page on CI 4\.7, .* \| ≥ 4× \| 4\.50× \(CI 4\.7\.2\) \| yes \|/);
  // Node: 55/50 = 1.10× on the welcome page, 100/50 = 2.00× on the realistic page: the worst decides.
  assert.match(md, /CI4 realistic page, CI 4\.7\.2 100\.0 µs = 2\.00×[^|]*\| \*\*no\*\* \|/);
  // Workers: 300/280 = 1.07×, 1200/1000 = 1.20×.
  assert.match(
    md,
    /CI4 welcome page, CI 4\.7\.2 300\.0 vs 280\.0 µs = 1\.07×, CI4 realistic page, CI 4\.7\.2 1200\.0 vs 1000\.0 µs = 1\.20× \| \*\*no\*\* \|/,
  );
  // Process groups: MariaDB and Redis columns, "—" where an app has none.
  assert.match(md, /\| app \| side \| server \| PHP \| MariaDB \| Redis \| wrk \| other \| total \|/);
  assert.match(md, /\| CI4 realistic page, CI 4\.7\.2 \| Burner \| 100\.0 \| 1200\.0 \| 300\.0 \| 100\.0 \| 10\.0 \| 0\.0 \| 1710\.0 \|/);
  assert.match(md, /\| hello world \| Burner \| 50\.0 \| 20\.0 \| — \| — \| 10\.0 \| 0\.0 \| 80\.0 \|/);
  assert.match(md, /128 sessions opened before the rounds \(4 per wrk connection\)/);
  // The rate-matched floor: its row, beside the Node goal, and the yardstick (100 / 80 = 1.25×).
  assert.match(md, /floor at this page's rate: node:http \+ minimal relay to 2 echo workers sleeping 950 µs per request \| 2000 \|/);
  assert.match(md, /CI4 realistic page, CI 4\.7\.2 100\.0 µs = 2\.00× \(floor at its rate 80\.0 µs\)/);
  assert.match(
    md,
    /\| \(yardstick\) Burner Node CPU per request vs the floor at the same page's rate \| ≤ 1\.2× \| CI4 realistic page, CI 4\.7\.2 1\.25× \| \*\*no\*\* \|/,
  );
});

test('the settings line names the scheduling policy of each side, and an older report without it names none', () => {
  const base: Report = {
    machine: { date: 'now', cpus: 2, cpuModel: 'x', memoryGb: 1, kernel: 'k', loadAvg: [0, 0, 0], versions: {} },
    settings: { workers: 2, seconds: 1, warmupSeconds: 1, connections: 32, threads: 1, rounds: 1, quick: false },
    apps: [app('hello', 'hello world', [round('burner', 2000, { server: 50, php: 20 }), round('fpm', 1000, { server: 50, php: 60 })])],
  };
  const settingsLine = (r: Report) =>
    renderReport(r)
      .split('\n')
      .find((l) => l.startsWith('Settings:'))!;
  const defaults = settingsLine({ ...base, settings: { ...base.settings, scheduling: 'batch', fpmScheduling: 'normal' } });
  assert.match(defaults, /Burner `server.scheduling: batch`, its default/);
  assert.match(defaults, /nginx and php-fpm under the normal policy, as they start/);
  const ab = settingsLine({ ...base, settings: { ...base.settings, scheduling: 'normal', fpmScheduling: 'batch' } });
  assert.match(ab, /Burner `server.scheduling: normal` \(an A\/B run\)/);
  assert.match(ab, /nginx and php-fpm under SCHED_BATCH too/);
  assert.doesNotMatch(settingsLine(base), /scheduling|SCHED_BATCH/);
});
