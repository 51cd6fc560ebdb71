import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { policyOf, SCHED_BATCH, SCHED_OTHER } from '../../src/scheduling.js';
import { FIXTURES, runRr, serve } from './harness.js';

// server.scheduling through the real CLI: the server process (every thread) and the workers it starts run under
// SCHED_BATCH by default, under the policy they were started with when it says "normal", and a policy the admin set
// is kept. Read from /proc/<pid>/stat, field 41.
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

test(
  'server.scheduling defaults to batch: the server, all its threads and its workers run under SCHED_BATCH',
  { skip: !linux },
  async () => {
    const s = await serve(config());
    try {
      const p = await policies(s.url, s.child.pid!);
      assert.ok(p.threads.length > 1);
      assert.deepEqual(new Set(p.threads), new Set([SCHED_BATCH]));
      assert.equal(p.workers.length >= 1, true);
      assert.deepEqual(new Set(p.workers), new Set([SCHED_BATCH]));
    } finally {
      await s.stop();
    }
  },
);

test('server.scheduling: normal leaves the server and its workers under SCHED_OTHER', { skip: !linux }, async () => {
  const s = await serve(config('normal'));
  try {
    const p = await policies(s.url, s.child.pid!);
    assert.deepEqual(new Set(p.threads), new Set([SCHED_OTHER]));
    assert.deepEqual(new Set(p.workers), new Set([SCHED_OTHER]));
  } finally {
    await s.stop();
  }
});

test(
  'server.scheduling: workers leaves the server under SCHED_OTHER and starts its workers under SCHED_BATCH',
  { skip: !linux },
  async () => {
    const s = await serve(config('workers'));
    try {
      const p = await policies(s.url, s.child.pid!);
      assert.deepEqual(new Set(p.threads), new Set([SCHED_OTHER]));
      assert.equal(p.workers.length >= 1, true);
      assert.deepEqual(new Set(p.workers), new Set([SCHED_BATCH]));
    } finally {
      await s.stop();
    }
  },
);

test('server.scheduling keeps a policy the server was started under (here SCHED_IDLE via chrt)', { skip: !linux }, async () => {
  const s = await serve(config('batch'), { prefix: ['chrt', '--idle', '0'] });
  try {
    const p = await policies(s.url, s.child.pid!);
    assert.deepEqual(new Set(p.threads), new Set([SCHED_IDLE]));
    assert.deepEqual(new Set(p.workers), new Set([SCHED_IDLE]));
  } finally {
    await s.stop();
  }
});

for (const mode of ['batch', 'workers']) {
  test(
    `server.scheduling: ${mode} without chrt on PATH: a warning, and the server and its workers run under the policy as started`,
    { skip: !linux },
    async () => {
      // A PATH with php and nothing else (chrt is util-linux's).
      const bin = mkdtempSync(path.join(tmpdir(), 'burner-nochrt-'));
      symlinkSync(execFileSync('sh', ['-c', 'command -v php'], { encoding: 'utf8' }).trim(), path.join(bin, 'php'));
      try {
        const s = await serve(config(mode), { env: { PATH: bin } });
        try {
          const p = await policies(s.url, s.child.pid!);
          assert.deepEqual(new Set(p.threads), new Set([SCHED_OTHER]));
          assert.deepEqual(new Set(p.workers), new Set([SCHED_OTHER]));
          assert.match(
            s.logs(),
            /chrt \(util-linux\) not found.*could not switch to SCHED_BATCH|could not switch to SCHED_BATCH.*chrt \(util-linux\) not found/,
          );
        } finally {
          await s.stop();
        }
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    },
  );
}

test('server.scheduling: a value other than batch or normal is refused with file, line and key', async () => {
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
