/**
 * Where Burner's Node CPU per request goes as the request rate falls: Burner with bench/profile/worker.php (a worker
 * that sleeps PROFILE_SLEEP_US per request: the page's time in PHP without PHP CPU; PROFILE_BODY_BYTES of body;
 * PROFILE_HEADERS extra headers), wrk at the bench's settings, and per setting: req/s, Node CPU µs per request
 * and PHP CPU µs per request (/proc, as the bench; PHP's includes its own wake-ups, not the sleep), and with --strace the Node process's system calls per request (a second round under
 * `strace -c -f`, whose own overhead makes its CPU figures meaningless: only the counts are kept).
 *
 *   node dist/bench/profile/rate.js [--sleep 0,500,2000] [--bytes 14] [--headers 0] [--connections 32]
 *        [--duration 3] [--warmup 1] [--warmup-requests 10000] [--workers 2] [--strace] [--cpu-prof DIR] [--perf DIR] [--sched-batch]
 *        [--server burner|floor|floor-pause]
 *
 * --warmup-requests N: after --warmup seconds, warm up on (at most 30 s more) until N requests were served, as the
 * bench does: V8 optimizes the request path after so many runs, not so many seconds, and before that a slow setting
 * pays TurboFan's compile threads and unoptimized code (~1/3 of Node's CPU at 2000 µs after only 1 s of warm-up).
 *
 * --server floor / floor-pause: the bench's floor (bench/floor/server.ts, node:http + minimal relay to echo workers
 * sleeping FLOOR_SLEEP_US) instead of Burner; floor-pause with --pause-when-queued (client connections are not read
 * while requests wait for a worker), to measure what fewer event-loop wake-ups per request would save.
 *
 * --cpu-prof DIR: Burner runs under `node --cpu-prof --cpu-prof-dir DIR` (one .cpuprofile per setting, written when
 * it stops); open them in Chrome DevTools or summarize with bench/profile/summarize.js.
 * --perf DIR: `perf record -e cpu-clock -g` on the Node process during the measured round (DIR/<name>.perf.data;
 * `perf report -i FILE --no-children --sort sym` shows the kernel's share, e.g. waking the reader of a pipe).
 */
import { mkdtemp, mkdir, rm, readFile, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PHP_CLI, REPO } from '../apps.js';
import { totalCpuUs } from '../proc.js';
import { startBurner, startFloor, stopAll, type Server } from '../servers.js';
import { runWrk } from '../wrk.js';
import { parseStraceSummary } from './parse.js';

const { values } = parseArgs({
  options: {
    sleep: { type: 'string', default: '0,500,2000' },
    bytes: { type: 'string', default: '14' },
    headers: { type: 'string', default: '0' },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'warmup-requests': { type: 'string', default: '10000' },
    workers: { type: 'string', default: String(os.availableParallelism()) },
    strace: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    perf: { type: 'string' },
    'sched-batch': { type: 'boolean', default: false },
    server: { type: 'string', default: 'burner' },
  },
});

async function straceRound(
  pid: number,
  url: string,
  seconds: number,
  connections: number,
  dir: string,
): Promise<{ requests: number; calls: Record<string, number> }> {
  const out = path.join(dir, `strace-${pid}-${Date.now()}.txt`);
  const tracer = spawn('strace', ['-c', '-f', '-o', out, '-p', String(pid)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500)); // attached
  const wrk = await runWrk(url, { seconds, connections, threads: 1 });
  const exited = new Promise((r) => tracer.once('exit', r));
  tracer.kill('SIGINT');
  await exited;
  return { requests: wrk.requests, calls: parseStraceSummary(await readFile(out, 'utf8')) };
}

const profName = (sleep: number): string => `burner-sleep-${sleep}-bytes-${values.bytes}`;

async function main(): Promise<void> {
  const sleeps = values.sleep!.split(',').map(Number);
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const workers = Number(values.workers);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'burner-profile-'));
  const profDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined;
  if (profDir) await mkdir(profDir, { recursive: true });
  if (values.perf) await mkdir(path.resolve(values.perf), { recursive: true });
  const rows: string[] = [];
  try {
    for (const sleep of sleeps) {
      const dir = path.join(tmp, `sleep-${sleep}`);
      await mkdir(dir, { recursive: true });
      const burner: Server =
        values.server === 'burner'
          ? await startBurner({
              dir,
              workers,
              // --sched-batch: workers under SCHED_BATCH (`chrt -b 0`), so a worker woken by a frame does not preempt Node.
              command: [...(values['sched-batch'] ? ['chrt', '-b', '0'] : []), ...PHP_CLI, path.join(REPO, 'bench/profile/worker.php')],
              env: { PROFILE_SLEEP_US: String(sleep), PROFILE_BODY_BYTES: values.bytes!, PROFILE_HEADERS: values.headers! },
              readyPath: '/',
              nodeArgs: profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${profName(sleep)}.cpuprofile`] : [],
            })
          : await startFloor({
              dir,
              workers,
              php: true,
              args: values.server === 'floor-pause' ? ['--pause-when-queued'] : [],
              env: { FLOOR_SLEEP_US: String(sleep) },
            });
      try {
        const [pid] = await burner.serverPids();
        const warm = await runWrk(burner.baseUrl + '/', { seconds: Number(values.warmup), connections, threads: 1 });
        const missing = Number(values['warmup-requests']) - warm.requests;
        if (missing > 0 && warm.reqPerSec > 0)
          await runWrk(burner.baseUrl + '/', { seconds: Math.min(30, Math.ceil(missing / warm.reqPerSec)), connections, threads: 1 });
        const workerPids = await burner.workerPids();
        const cpu0 = await totalCpuUs([pid!]);
        const php0 = await totalCpuUs(workerPids);
        // CLOCK_MONOTONIC in µs, the clock of the profile's startTime: summarize.js keeps the samples of this window.
        const from = Number(process.hrtime.bigint() / 1000n);
        const perf = values.perf
          ? spawn(
              'perf',
              [
                'record',
                '-q',
                '-e',
                'cpu-clock',
                '-g',
                '-p',
                String(pid),
                '-o',
                path.join(path.resolve(values.perf), `${profName(sleep)}.perf.data`),
              ],
              { stdio: 'ignore' },
            )
          : undefined;
        const wrk = await runWrk(burner.baseUrl + '/', { seconds, connections, threads: 1 });
        const to = Number(process.hrtime.bigint() / 1000n);
        if (perf) {
          const done = new Promise((r) => perf.once('exit', r));
          perf.kill('SIGINT');
          await done;
        }
        const nodeUs = ((await totalCpuUs([pid!])) - cpu0) / wrk.requests;
        const phpUs = ((await totalCpuUs(workerPids)) - php0) / wrk.requests;
        if (profDir)
          await writeFile(
            path.join(profDir, `${profName(sleep)}.window.json`),
            JSON.stringify({ from, to, requests: wrk.requests }) + '\n',
          );
        let calls = '';
        if (values.strace) {
          const s = await straceRound(pid!, burner.baseUrl + '/', seconds, connections, tmp);
          const per = (n: number | undefined): string => ((n ?? 0) / s.requests).toFixed(2);
          const c = s.calls;
          calls =
            ` | ${per(c.epoll_wait ?? c.epoll_pwait)} | ${per(c.read)} | ${per(c.write)} | ${per(c.writev)} | ` +
            `${per(Object.values(c).reduce((a, b) => a + b, 0))}`;
        }
        rows.push(`| ${sleep} | ${values.bytes} | ${wrk.reqPerSec.toFixed(0)} | ${nodeUs.toFixed(1)} | ${phpUs.toFixed(1)}${calls} |`);
        process.stderr.write(rows.at(-1)! + '\n');
      } finally {
        await burner.stop();
      }
    }
  } finally {
    await stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
  process.stdout.write(
    `| worker sleep µs | body bytes | req/s | Node CPU µs/req | PHP CPU µs/req${values.strace ? ' | epoll_wait/req | read/req | write/req | writev/req | syscalls/req' : ''} |\n` +
      `|---:|---:|---:|---:|---:${values.strace ? '|---:|---:|---:|---:|---:' : ''}|\n` +
      rows.join('\n') +
      '\n',
  );
}

main().catch(async (e) => {
  process.stderr.write(`profile: ${e instanceof Error ? e.message : String(e)}\n`);
  await stopAll();
  process.exit(1);
});
