/**
 * `npm run bench` — Burner against nginx + PHP-FPM on this machine, same apps, same process count, alternating rounds.
 *
 *   node dist/bench/run.js [--duration 10] [--connections 32] [--rounds 2] [--workers <nproc>] [--warmup 3] [--warmup-requests 10000]
 *                          [--apps hello,ci4-welcome,ci4-json,ci4-page,ci4-welcome-4.1] [--no-extras] [--upload-mb 1024] [--idle-connections 10000]
 *                          [--hold-seconds 5] [--no-floor] [--pipelining on|off] [--scheduling batch|normal]
 *                          [--fpm-scheduling normal|batch] [--quick] [--out bench/results/latest.md]
 *   node dist/bench/run.js --render bench/results/latest.json      (markdown again from a recorded run)
 *
 * --quick: a smoke test (1 s rounds, 1 round each, 1 s warm-up, 16 MB upload, 1 000 idle connections), written to
 * tmp/bench/quick.md unless --out is given.
 * After the hello world rounds the two floors (bench/floor/server.ts: node:http + a minimal relay to echo workers, and
 * node:http alone) get the same warm-up and rounds, so the report shows what Node costs here before Burner's own work;
 * Each CI4 page also gets the floor relay slowed to that page's rate (echo workers sleeping per request), since Node's
 * CPU per request depends on the request rate itself; --no-floor skips all floors.
 * The CI4 rows run on CodeIgniter 4.7.2 (ci4-welcome-4.1 keeps the 4.1.3 welcome page as a row; `ci4-json@4.4.8` and
 * the like pick any release scripts/ci4-app.sh knows). The realistic page (ci4-page) gets MariaDB and Redis started
 * for it (bench/services.ts) and shared by both sides, session cookies sent by wrk, and the CPU of both services counted.
 * --pipelining: Burner's http.pool.pipelining, `on` by default as in Burner (and in the .rr.yaml burner:init writes);
 * `off` for an A/B run.
 * --scheduling: Burner's server.scheduling, `batch` by default as in Burner; the floors run under the same policy
 * (`chrt -b`), so they stay the yardstick for Burner's Node CPU. `normal` for an A/B run.
 * --fpm-scheduling: `normal` (default: nginx and php-fpm as they start) or `batch` (both under `chrt -b`, an A/B run
 * showing what the policy alone gives the other side).
 * Missing benchmark tools (wrk, nginx, php-fpm; MariaDB, Redis for ci4-page) are installed with apt (bench/install.ts).
 */
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runWrk } from './wrk.js';
import { machineBusyUs, totalCpuUs, totalRssKb } from './proc.js';
import { get, startBurner, startFloor, startNginxFpm, stopAll, type Server } from './servers.js';
import { APP_IDS, REPO, buildApps, measureCeiling, type App } from './apps.js';
import { ensureTools } from './install.js';
import { openSessions, startPageServices, writeCookieScript, type PageServices } from './services.js';
import { measureKeepAlive, measureUpload } from './extras.js';
import { renderReport, type AppRun, type Machine, type Report, type Round, type Settings, type Side } from './report.js';

/** Sessions opened per wrk connection for the realistic page (round robin, see bench/services.ts). */
const SESSIONS_PER_CONNECTION = 4;

/** What a round measures besides the server and its PHP processes: wrk's script, other process groups. */
interface RoundExtras {
  script?: string;
  groups?: Record<string, () => Promise<number[]>>;
}

function options(): Settings & {
  render?: string;
  apps: string[];
  extras: boolean;
  floor: boolean;
  uploadMb: number;
  idleConnections: number;
  holdSeconds: number;
  out: string;
} {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      workers: { type: 'string' },
      warmup: { type: 'string' },
      'warmup-requests': { type: 'string' },
      apps: { type: 'string' },
      'no-extras': { type: 'boolean', default: false },
      'no-floor': { type: 'boolean', default: false },
      pipelining: { type: 'string' },
      scheduling: { type: 'string' },
      'fpm-scheduling': { type: 'string' },
      'upload-mb': { type: 'string' },
      'idle-connections': { type: 'string' },
      'hold-seconds': { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench -- [--duration 10] [--connections 32] [--rounds 2] [--workers N] [--warmup 3] [--warmup-requests 10000]\n' +
        `         [--apps ${APP_IDS.join(',')}] [--no-extras] [--upload-mb 1024] [--idle-connections 10000] [--hold-seconds 5]\n` +
        '         [--no-floor] [--pipelining on|off] [--scheduling batch|normal] [--fpm-scheduling normal|batch] [--quick] [--out FILE]\n' +
        '       npm run bench -- --render bench/results/latest.json   (re-render the markdown of an earlier run)\n',
    );
    process.exit(0);
  }
  const quick = values.quick;
  const num = (v: string | undefined, dflt: number, name: string): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  return {
    seconds: num(values.duration, quick ? 1 : 10, 'duration'),
    connections: num(values.connections, 32, 'connections'),
    threads: 1,
    rounds: num(values.rounds, quick ? 1 : 2, 'rounds'),
    workers: num(values.workers, os.availableParallelism(), 'workers'),
    warmupSeconds: num(values.warmup, quick ? 1 : 3, 'warmup'),
    warmupRequests: values['warmup-requests'] === '0' ? 0 : num(values['warmup-requests'], quick ? 0 : 10_000, 'warmup-requests'),
    quick,
    apps: (values.apps ?? APP_IDS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    extras: !values['no-extras'],
    floor: !values['no-floor'],
    pipelining: pipeliningSetting(values.pipelining),
    scheduling: schedulingSetting('scheduling', values.scheduling, 'batch'),
    fpmScheduling: schedulingSetting('fpm-scheduling', values['fpm-scheduling'], 'normal'),
    uploadMb: num(values['upload-mb'], quick ? 16 : 1024, 'upload-mb'),
    idleConnections: num(values['idle-connections'], quick ? 1000 : 10_000, 'idle-connections'),
    // Burner closes keep-alive connections idle for 60 s (src/http/server.ts); opening 10 000 takes 2-4 s here.
    holdSeconds: num(values['hold-seconds'], 5, 'hold-seconds'),
    out:
      values.out ??
      (values.render
        ? values.render.replace(/\.json$/, '') + '.md'
        : path.join(REPO, quick ? 'tmp/bench/quick.md' : 'bench/results/latest.md')),
    render: values.render,
  };
}

function schedulingSetting(name: string, v: string | undefined, dflt: 'batch' | 'normal'): 'batch' | 'normal' {
  if (v === undefined) return dflt;
  if (v === 'batch' || v === 'normal') return v;
  throw new Error(`--${name} must be batch or normal, got "${v}"`);
}

function pipeliningSetting(v: string | undefined): 'on' | 'off' {
  if (v === undefined || v === 'on' || v === 'off') return v ?? 'on';
  throw new Error(`--pipelining must be on or off, got "${v}"`);
}

function version(cmd: string, args: string[], pattern: RegExp): string {
  try {
    const text = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(text)?.[1] ?? '?';
  } catch (e) {
    const text = String((e as { stderr?: string }).stderr ?? '') + String((e as { stdout?: string }).stdout ?? '');
    return pattern.exec(text)?.[1] ?? '?';
  }
}

function nginxVersion(): string {
  // nginx -v prints to stderr and exits 0.
  const text = execFileSync('bash', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(text)?.[1] ?? '?';
}

async function machine(): Promise<Machine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?',
    memoryGb: os.totalmem() / 2 ** 30,
    kernel: os.release(),
    loadAvg: os.loadavg(),
    versions: {
      node: process.version,
      php: version('php', ['-v'], /^PHP (\S+)/),
      'php-fpm': version('php-fpm8.2', ['-v'], /^PHP (\S+)/),
      nginx: nginxVersion(),
      wrk: version('wrk', ['-v'], /^wrk (\S+)/),
    },
  };
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Samples the summed RSS of pids every 250 ms; stop() gives the peak. */
function rssPeak(pids: number[]): { stop: () => Promise<number> } {
  let peak = 0;
  let active = true;
  const loop = (async () => {
    while (active) {
      peak = Math.max(peak, await totalRssKb(pids));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { stop: async () => ((active = false), await loop, peak) };
}

async function round(server: Server, side: Side, app: App, s: Settings, extras: RoundExtras = {}): Promise<Round> {
  const serverPids = await server.serverPids();
  const workerPids = await server.workerPids();
  const groups = await Promise.all(Object.entries(extras.groups ?? {}).map(async ([name, pids]) => [name, await pids()] as const));
  const groupCpu = (): Promise<number[]> => Promise.all(groups.map(([, pids]) => totalCpuUs(pids)));
  const cpu0 = [await totalCpuUs(serverPids), await totalCpuUs(workerPids), await machineBusyUs()];
  const group0 = await groupCpu();
  const sampleServer = rssPeak(serverPids);
  const sampleWorkers = rssPeak(workerPids);
  const wrk = await runWrk(server.baseUrl + app.path, {
    seconds: s.seconds,
    connections: s.connections,
    threads: s.threads,
    script: extras.script,
  });
  const cpu1 = [await totalCpuUs(serverPids), await totalCpuUs(workerPids), await machineBusyUs()];
  const group1 = await groupCpu();
  const [serverRssPeakKb, workerRssPeakKb] = [await sampleServer.stop(), await sampleWorkers.stop()];
  log(
    `  ${app.id} ${server.label}: ${wrk.reqPerSec.toFixed(0)} req/s, p50 ${wrk.p50Ms.toFixed(2)} ms, p99 ${wrk.p99Ms.toFixed(2)} ms` +
      (wrk.socketErrors + wrk.non2xx ? `, ${wrk.socketErrors} socket errors, ${wrk.non2xx} non-2xx` : ''),
  );
  const serverCpuUs = cpu1[0]! - cpu0[0]!;
  const workerCpuUs = cpu1[1]! - cpu0[1]!;
  const groupsCpuUs = Object.fromEntries(groups.map(([name], i) => [name, group1[i]! - group0[i]!]));
  const groupsTotal = Object.values(groupsCpuUs).reduce((a, b) => a + b, 0);
  // Whatever else ran on the machine meanwhile (other people's work, the kernel, this script): noise to disclose.
  const otherCpuUs = Math.max(0, cpu1[2]! - cpu0[2]! - serverCpuUs - workerCpuUs - groupsTotal - wrk.cpuUs);
  const { raw: _raw, cpuUs: wrkCpuUs, ...wrkResult } = wrk;
  return {
    side,
    wrk: wrkResult,
    serverCpuUs,
    workerCpuUs,
    wrkCpuUs,
    otherCpuUs,
    serverRssPeakKb,
    workerRssPeakKb,
    ...(groups.length ? { groupsCpuUs } : {}),
  };
}

async function checkAnswer(server: Server, app: App): Promise<void> {
  const res = await get(server.baseUrl + app.path);
  if (res.status !== 200 || !res.body.includes(app.expect)) {
    throw new Error(
      `${server.label} answered ${app.id} wrongly: HTTP ${res.status}, body starts ${JSON.stringify(res.body.slice(0, 300))}`,
    );
  }
}

/** Longest extra warm-up spent reaching Settings.warmupRequests on one server. */
const WARMUP_EXTRA_MAX_SECONDS = 30;

/**
 * Warms a server up for s.warmupSeconds, then on until it has served s.warmupRequests (at most 30 s more): V8 tiers
 * Burner's request path up by how often it runs, not for how long, so a slow page needs as many requests as hello
 * world before its figures are steady (bench/profile/: a page at ~500 req/s costs ~2× the Node CPU per request after
 * 1 s of warm-up than after 15 s).
 */
async function warmUp(server: Server, app: App, s: Settings, extras: RoundExtras): Promise<void> {
  const opts = { connections: s.connections, threads: s.threads, script: extras.script };
  const first = await runWrk(server.baseUrl + app.path, { ...opts, seconds: s.warmupSeconds });
  const missing = (s.warmupRequests ?? 0) - first.requests;
  if (missing > 0 && first.reqPerSec > 0) {
    const seconds = Math.min(WARMUP_EXTRA_MAX_SECONDS, Math.ceil(missing / first.reqPerSec));
    log(`  ${app.id} ${server.label}: ${first.requests} warm-up requests, ${seconds} s more to reach ${s.warmupRequests}`);
    await runWrk(server.baseUrl + app.path, { ...opts, seconds });
  }
}

/** Warms both servers up, then runs s.rounds rounds on each, alternating a / b. */
async function warmUpAndAlternate(a: [Server, Side], b: [Server, Side], app: App, s: Settings, extras: RoundExtras = {}): Promise<Round[]> {
  for (const [server] of [a, b]) await warmUp(server, app, s, extras);
  const rounds: Round[] = [];
  for (let i = 0; i < s.rounds; i++) {
    rounds.push(await round(a[0], a[1], app, s, extras));
    rounds.push(await round(b[0], b[1], app, s, extras));
  }
  return rounds;
}

async function benchApp(app: App, s: Settings, tmp: string, services?: PageServices): Promise<AppRun & { cookie?: string }> {
  log(`${app.title}: starting Burner and nginx + php-fpm with ${s.workers} PHP processes each`);
  const env = { ...app.workerEnv, ...services?.env };
  const burner = await startBurner({
    dir: await mkdir(path.join(tmp, app.id, 'burner'), { recursive: true }).then(() => path.join(tmp, app.id, 'burner')),
    workers: s.workers,
    command: app.workerCommand,
    env: Object.keys(env).length ? env : undefined,
    readyPath: app.path,
    pipelining: s.pipelining !== 'off',
    scheduling: s.scheduling ?? 'batch',
  });
  try {
    const fpm = await startNginxFpm({
      dir: await mkdir(path.join(tmp, app.id, 'fpm'), { recursive: true }).then(() => path.join(tmp, app.id, 'fpm')),
      workers: s.workers,
      docRoot: app.docRoot,
      readyPath: app.path,
      env: services?.env,
      batch: s.fpmScheduling === 'batch',
    });
    try {
      await checkAnswer(burner, app);
      await checkAnswer(fpm, app);
      const idle = {
        burner: { serverKb: await totalRssKb(await burner.serverPids()), workersKb: await totalRssKb(await burner.workerPids()) },
        fpm: { serverKb: await totalRssKb(await fpm.serverPids()), workersKb: await totalRssKb(await fpm.workerPids()) },
      };
      const extras: RoundExtras = {};
      let sessions: number | undefined;
      let cookie: string | undefined;
      if (services) {
        sessions = s.connections * SESSIONS_PER_CONNECTION;
        log(`  opening ${sessions} sessions (${SESSIONS_PER_CONNECTION} per wrk connection, sent round robin)`);
        const cookies = await openSessions(burner.baseUrl, app.path, sessions + 1, [fpm.baseUrl, burner.baseUrl]);
        // The first one was used by the check above; the ceiling gets it, wrk the others.
        cookie = cookies.shift();
        extras.script = await writeCookieScript(path.join(tmp, app.id, 'sessions.lua'), cookies);
        extras.groups = { mariadb: services.mariadbPids, redis: services.redisPids };
      }
      const rounds = await warmUpAndAlternate([burner, 'burner'], [fpm, 'fpm'], app, s, extras);
      return {
        id: app.id,
        title: app.title,
        path: app.path,
        rounds,
        idle,
        ...(app.ciVersion ? { ciVersion: app.ciVersion } : {}),
        ...(sessions ? { sessions } : {}),
        cookie,
      };
    } finally {
      await fpm.stop();
    }
  } finally {
    await burner.stop();
  }
}

/**
 * The floors, after Burner and nginx+FPM are stopped: same warm-up, wrk settings and number of rounds, alternating
 * relay / node:http alone. Their rounds go into the hello world run (sides 'floor-relay' and 'floor-http').
 */
async function benchFloor(app: App, s: Settings, tmp: string): Promise<Round[]> {
  log(`${app.title}: floors — node:http + minimal relay to ${s.workers} echo workers, and node:http alone`);
  const dir = path.join(tmp, app.id, 'floor');
  await mkdir(dir, { recursive: true });
  const relay = await startFloor({ dir, workers: s.workers, php: true, batch: s.scheduling !== 'normal' });
  try {
    const alone = await startFloor({ dir, workers: s.workers, php: false, batch: s.scheduling !== 'normal' });
    try {
      await checkAnswer(relay, app);
      await checkAnswer(alone, app);
      return await warmUpAndAlternate([relay, 'floor-relay'], [alone, 'floor-http'], app, s);
    } finally {
      await alone.stop();
    }
  } finally {
    await relay.stop();
  }
}

/** Echo-worker sleep for a first try at `target` req/s with `workers` workers (µs; the relay itself costs the rest). */
function floorSleepFor(target: number, workers: number, measured?: { sleepUs: number; reqPerSec: number }): number {
  if (!measured) return Math.max(0, Math.round((workers * 1e6) / target) - 50);
  // Per request a worker takes sleep + overhead; overhead from the measured try, then the sleep that gives target.
  const overhead = Math.max(0, (workers * 1e6) / measured.reqPerSec - measured.sleepUs);
  return Math.max(0, Math.round((workers * 1e6) / target - overhead));
}

/**
 * The floor relay slowed to a page's rate (side 'floor-rate'): its echo workers sleep per request so it serves about
 * Burner's req/s on that page (one calibration try), then the same warm-up and rounds, measured the same way.
 */
async function benchRateFloor(app: App, s: Settings, tmp: string, target: number): Promise<{ rounds: Round[]; sleepUs: number }> {
  const dir = path.join(tmp, app.id, 'floor-rate');
  await mkdir(dir, { recursive: true });
  const start = (sleepUs: number): Promise<Server> =>
    startFloor({ dir, workers: s.workers, php: true, env: { FLOOR_SLEEP_US: String(sleepUs) }, batch: s.scheduling !== 'normal' });
  let sleepUs = floorSleepFor(target, s.workers);
  let floor = await start(sleepUs);
  try {
    const probe = await runWrk(floor.baseUrl + app.path, {
      seconds: Math.min(2, s.seconds),
      connections: s.connections,
      threads: s.threads,
    });
    const next = floorSleepFor(target, s.workers, { sleepUs, reqPerSec: probe.reqPerSec });
    // A probe on a busy machine can be far off: only a correction within ±30 % of the first guess is taken.
    if (Math.abs(next - sleepUs) > sleepUs * 0.05 && Math.abs(next - sleepUs) <= sleepUs * 0.3) {
      await floor.stop();
      sleepUs = next;
      floor = await start(sleepUs);
    }
    log(`${app.title}: floor at this page's rate (${target.toFixed(0)} req/s): echo workers sleep ${sleepUs} µs per request`);
    await warmUp(floor, app, s, {});
    const rounds: Round[] = [];
    for (let i = 0; i < s.rounds; i++) rounds.push(await round(floor, 'floor-rate', app, s));
    return { rounds, sleepUs };
  } finally {
    await floor.stop();
  }
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.render) {
    // Only the markdown is rebuilt (e.g. after a change to report.ts); the figures are the recorded ones.
    const report = JSON.parse(await readFile(opts.render, 'utf8')) as Report;
    await writeFile(opts.out, renderReport(report));
    log(`rendered ${opts.render} to ${opts.out}`);
    return;
  }
  await ensureTools(opts.apps, log);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'burner-bench-'));
  let services: PageServices | undefined;
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping the servers`);
    void Promise.all([stopAll(), services?.stop()]).finally(() =>
      rm(tmp, { recursive: true, force: true }).finally(() => process.exit(130)),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const report: Report = { machine: await machine(), settings: opts, apps: [] };
    const apps = await buildApps(opts.apps);
    const ciVersions = [...new Set(apps.flatMap((a) => (a.ciVersion ? [a.ciVersion] : [])))];
    if (ciVersions.length) report.machine.versions.CodeIgniter = ciVersions.join(' and ');
    for (const app of apps) {
      if (app.services && !services) {
        log('MariaDB and Redis for the realistic page: starting on free loopback ports, data in temp dirs');
        services = await startPageServices();
        report.machine.versions.MariaDB = version('mariadbd', ['--version'], /Ver (\S+)/);
        report.machine.versions.Redis = version('redis-server', ['--version'], /v=(\S+)/);
      }
      const dotenv = app.services && app.ci4Root ? path.join(app.ci4Root, '.env') : undefined;
      if (dotenv) await writeFile(dotenv, services!.dotenv);
      const { cookie, ...result } = await benchApp(app, opts, tmp, app.services ? services : undefined);
      if (app.id === 'hello' && opts.floor) result.rounds.push(...(await benchFloor(app, opts, tmp)));
      if (app.ci4Root && opts.floor) {
        const burnerRounds = result.rounds.filter((x) => x.side === 'burner');
        const target = burnerRounds.reduce((a, x) => a + x.wrk.requests, 0) / burnerRounds.reduce((a, x) => a + x.wrk.seconds, 0);
        const rate = await benchRateFloor(app, opts, tmp, target);
        result.rounds.push(...rate.rounds);
        result.floorSleepUs = rate.sleepUs;
      }
      if (app.ci4Root) {
        log(`${app.title}: in-process ceiling (${opts.seconds} s)`);
        result.ceiling = await measureCeiling(app, opts.seconds, app.services ? { cookie, env: services!.env } : {});
      }
      if (dotenv) await rm(dotenv, { force: true });
      report.apps.push(result);
    }
    if (opts.extras) {
      const [hello] = await buildApps(['hello']);
      log(`extras: idle RSS, ${opts.uploadMb} MB upload, ${opts.idleConnections} idle keep-alive connections (Burner, hello world)`);
      const dir = path.join(tmp, 'extras');
      await mkdir(dir, { recursive: true });
      const burner = await startBurner({ dir, workers: opts.workers, command: hello!.workerCommand, readyPath: '/' });
      try {
        await new Promise((r) => setTimeout(r, 1000));
        report.idleServerKb = await totalRssKb(await burner.serverPids());
        report.upload = await measureUpload(burner, opts.uploadMb * 2 ** 20);
        log(`  upload: HTTP ${report.upload.status}, RSS +${(report.upload.growthKb / 1024).toFixed(1)} MB`);
        report.keepAlive = await measureKeepAlive(burner, opts.idleConnections, opts.holdSeconds);
        log(`  keep-alive: ${report.keepAlive.servedAgain}/${report.keepAlive.count} held and served again`);
      } finally {
        await burner.stop();
      }
    }
    const markdown = renderReport(report);
    await mkdir(path.dirname(opts.out), { recursive: true });
    await writeFile(opts.out, markdown);
    await writeFile(opts.out.replace(/\.md$/, '') + '.json', JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(markdown + '\n');
    log(`written to ${path.relative(process.cwd(), opts.out)}`);
  } finally {
    await stopAll();
    await services?.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch(async (e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  await stopAll();
  process.exit(1);
});
