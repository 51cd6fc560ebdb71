import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { policyOf, SCHED_BATCH, SCHED_OTHER } from '../../src/scheduling.js';
import { FIXTURES, runRr, serve } from './harness.js';

// server.scheduling through the real CLI: the server process (every thread) and the workers it starts run under
// SCHED_BATCH by default, only the workers with "workers", under the policy they were started with when it says
// "normal", and a policy the admin set is kept. Read from /proc/<pid>/stat, field 41.
const SCHED_IDLE = 5;
const WORKER = `php ${path.join(FIXTURES, 'e2e/worker.php')}`;
const config = (scheduling?: string): string => `version: "3"
server:
  command: "${WORKER}"
${scheduling ? `  scheduling: ${scheduling}\n` : ''}http:
  address: 127.0.0.1:{{PORT}}
  pool:
    num_workers: 2
    allocate_timeout: 20s
    destroy_timeout: 5s
`;

async function policies(url: string, serverPid: number): Promise<{ threads: number[]; workers: number[] }> {
  const threads = await Promise.all(readdirSync(`/proc/${serverPid}/task`).map((t) => policyOf(Number(t))));
  const pids = new Set<number>();
  for (let i = 0; i < 20 && pids.size < 2; i++) {
    const got = (await (await fetch(`${url}/item?i=${i}`)).json()) as { pid: number };
    pids.add(got.pid);
  }
  const workers = await Promise.all([...pids].map((p) => policyOf(p)));
  return { threads: threads.map(Number), workers: workers.map(Number) };
}

const linux = process.platform === 'linux';

/** Serves `yaml` and checks the policy of every server thread and of the workers; returns the server's log. */
async function expectPolicies(
  yaml: string,
  want: { server: number; workers: number },
  options: Parameters<typeof serve>[1] = {},
): Promise<string> {
  const s = await serve(yaml, options);
  try {
    const p = await policies(s.url, s.child.pid!);
    assert.ok(p.threads.length > 1, 'the server has several threads');
    assert.deepEqual(new Set(p.threads), new Set([want.server]), 'every server thread');
    assert.ok(p.workers.length >= 1, 'workers answered');
    assert.deepEqual(new Set(p.workers), new Set([want.workers]), 'every worker');
    return s.logs();
  } finally {
    await s.stop();
  }
}

const cases: [string, string | undefined, { server: number; workers: number }, string[]?][] = [
  [
    'defaults to batch: the server, all its threads and its workers run under SCHED_BATCH',
    undefined,
    { server: SCHED_BATCH, workers: SCHED_BATCH },
  ],
  ['normal leaves the server and its workers under SCHED_OTHER', 'normal', { server: SCHED_OTHER, workers: SCHED_OTHER }],
  [
    'workers leaves the server under SCHED_OTHER and starts its workers under SCHED_BATCH',
    'workers',
    { server: SCHED_OTHER, workers: SCHED_BATCH },
  ],
  // A policy the admin set is kept.
  [
    'batch keeps a policy the server was started under (here SCHED_IDLE via chrt)',
    'batch',
    { server: SCHED_IDLE, workers: SCHED_IDLE },
    ['chrt', '--idle', '0'],
  ],
];
for (const [title, mode, want, prefix] of cases) {
  test(`server.scheduling ${title}`, { skip: !linux }, async () => {
    await expectPolicies(config(mode), want, { prefix });
  });
}

for (const mode of ['batch', 'workers']) {
  test(
    `server.scheduling: ${mode} without chrt on PATH: a warning, and the server and its workers run under the policy as started`,
    { skip: !linux },
    async () => {
      // A PATH with php and nothing else (chrt is util-linux's).
      const bin = mkdtempSync(path.join(tmpdir(), 'burner-nochrt-'));
      symlinkSync(execFileSync('sh', ['-c', 'command -v php'], { encoding: 'utf8' }).trim(), path.join(bin, 'php'));
      try {
        const logs = await expectPolicies(config(mode), { server: SCHED_OTHER, workers: SCHED_OTHER }, { env: { PATH: bin } });
        assert.match(
          logs,
          /chrt \(util-linux\) not found.*could not switch to SCHED_BATCH|could not switch to SCHED_BATCH.*chrt \(util-linux\) not found/,
        );
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    },
  );
}

test('server.scheduling: a value other than batch, workers or normal is refused with file, line and key', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-sched-'));
  try {
    const file = path.join(dir, '.rr.yaml');
    writeFileSync(file, config('fast').replace('{{PORT}}', '0'));
    const r = await runRr(['serve', '-c', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`${file.replaceAll('.', '\\.')}:4: server\\.scheduling: .*"batch"\\|"workers"\\|"normal"`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
