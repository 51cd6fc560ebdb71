/**
 * Aggregates the rounds and renders the markdown report (bench/results/latest.md).
 */
import type { WrkResult } from './wrk.js';
import type { Ceiling } from './apps.js';
import type { KeepAliveResult, UploadResult } from './extras.js';

/** The two servers compared, and the two floors measured next to them on hello world (bench/floor/). */
export type Side = 'burner' | 'fpm' | 'floor-relay' | 'floor-http' | 'floor-rate';
export type ServerSide = 'burner' | 'fpm';

const SIDE_LABEL: Record<Side, string> = {
  burner: 'Burner',
  fpm: 'nginx+FPM',
  'floor-relay': 'floor: node:http + minimal relay',
  'floor-http': 'floor: node:http alone',
  'floor-rate': "floor at this page's rate",
};

export interface Round {
  side: Side;
  wrk: WrkResult;
  serverCpuUs: number;
  workerCpuUs: number;
  serverRssPeakKb: number;
  workerRssPeakKb: number;
  /** wrk's own CPU time during the round (absent in reports from before it was measured) */
  wrkCpuUs?: number;
  /** machine CPU time not spent by the server, its PHP processes, the services or wrk */
  otherCpuUs?: number;
  /** CPU time of other process groups the page uses (realistic page: `mariadb`, `redis`), absent elsewhere */
  groupsCpuUs?: Record<string, number>;
}

export interface AppRun {
  id: string;
  title: string;
  path: string;
  /** Burner and nginx+FPM rounds; for hello world also the floors' rounds (absent in reports from before them). */
  rounds: Round[];
  idle: Record<ServerSide, { serverKb: number; workersKb: number }>;
  ceiling?: Ceiling;
  /** CodeIgniter release of a CI4 app (reports from before the 4.7 rows: absent, and the app was 4.1.3) */
  ciVersion?: string;
  /** session cookies wrk sent round robin (the realistic page) */
  sessions?: number;
  /** the echo workers' sleep per request in this app's rate-matched floor rounds (side 'floor-rate') */
  floorSleepUs?: number;
}

/** Ids of the realistic page's apps (`ci4-page`, `ci4-page@4.7.x`). */
const isPage = (id: string): boolean => /^ci4-page(@|$)/.test(id);
/** CI release of an app: recorded, or from the report's versions line (older reports had one CI4 app, 4.1.3). */
const ciVersionOf = (app: AppRun, r: Report): string | undefined =>
  app.ciVersion ?? (app.id.startsWith('ci4-') ? r.machine.versions.CodeIgniter : undefined);

export interface Summary {
  rounds: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuUsPerReq: number;
  workerCpuUsPerReq: number;
  serverRssKb: number;
  workerRssKb: number;
  errors: number;
  /** wrk's CPU per request (NaN when not recorded) */
  wrkCpuUsPerReq: number;
  /** CPU per request of the rest of the machine (NaN when not recorded) */
  otherCpuUsPerReq: number;
  /** CPU per request of each extra process group (mariadb, redis) */
  groupsCpuUsPerReq: Record<string, number>;
}

export function summarize(rounds: Round[]): Summary {
  const n = rounds.length;
  const sum = (f: (r: Round) => number): number => rounds.reduce((a, r) => a + f(r), 0);
  const requests = sum((r) => r.wrk.requests);
  return {
    rounds: n,
    requests,
    reqPerSec: requests / sum((r) => r.wrk.seconds),
    p50Ms: sum((r) => r.wrk.p50Ms) / n,
    p99Ms: sum((r) => r.wrk.p99Ms) / n,
    serverCpuUsPerReq: sum((r) => r.serverCpuUs) / requests,
    workerCpuUsPerReq: sum((r) => r.workerCpuUs) / requests,
    serverRssKb: Math.max(...rounds.map((r) => r.serverRssPeakKb)),
    workerRssKb: Math.max(...rounds.map((r) => r.workerRssPeakKb)),
    errors: sum((r) => r.wrk.socketErrors + r.wrk.non2xx),
    wrkCpuUsPerReq: sum((r) => r.wrkCpuUs ?? NaN) / requests,
    otherCpuUsPerReq: sum((r) => r.otherCpuUs ?? NaN) / requests,
    groupsCpuUsPerReq: Object.fromEntries(
      [...new Set(rounds.flatMap((r) => Object.keys(r.groupsCpuUs ?? {})))].map((g) => [g, sum((r) => r.groupsCpuUs?.[g] ?? 0) / requests]),
    ),
  };
}

export interface Settings {
  workers: number;
  seconds: number;
  warmupSeconds: number;
  /** warm-up goes on until each server has served this many requests (absent in older reports) */
  warmupRequests?: number;
  connections: number;
  threads: number;
  rounds: number;
  quick: boolean;
  /** Burner's http.pool.pipelining (absent in older reports, from before it existed) */
  pipelining?: 'on' | 'off';
  /** Burner's server.scheduling, also the floors' policy (absent in older reports: normal, from before it existed) */
  scheduling?: 'batch' | 'normal';
  /** nginx's and php-fpm's policy: normal as they start; batch only in an A/B run (absent in older reports) */
  fpmScheduling?: 'batch' | 'normal';
}

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  loadAvg: number[];
  versions: Record<string, string>;
}

export interface Report {
  machine: Machine;
  settings: Settings;
  apps: AppRun[];
  upload?: UploadResult;
  keepAlive?: KeepAliveResult;
  idleServerKb?: number;
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '—');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');

const GOALS = { welcomeRatio: 3.0, helloRatio: 1.3, cpuUs: 25, idleMb: 80, uploadMb: 64, keepAlive: 10_000 };
/** Issue 15's goals: real pages near the ceiling, server cost flat across request rates. */
export const PAGE_GOALS = { pageRatio: 2.2, welcome47Ratio: 4.0, nodeVsHello: 1.2, workerVsCeiling: 1.15 };

export function renderReport(r: Report): string {
  const s = r.settings;
  const m = r.machine;
  const out: string[] = [];
  const floorPresent = r.apps.some((a) => a.rounds.some((x) => x.side === 'floor-relay' || x.side === 'floor-http'));
  out.push(`# Burner vs nginx + PHP-FPM${s.quick ? ' (quick smoke run)' : ''}`, '');
  out.push(
    `Measured ${m.date} on this machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb.toFixed(1)} GB RAM, Linux ${m.kernel}; ` +
      `load average at start ${m.loadAvg.map((x) => x.toFixed(2)).join(' / ')}.`,
  );
  out.push(
    `Versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  );
  out.push(
    `Settings: ${s.workers} PHP processes on each side (Burner \`num_workers: ${s.workers}\`; FPM \`pm = static\`, ` +
      `\`pm.max_children = ${s.workers}\`${pipeliningNote(s.pipelining)}${schedulingNote(s)}), wrk \`-t${s.threads} -c${s.connections} -d${s.seconds}s --latency\`, ` +
      `${s.warmupSeconds} s warm-up per server${s.warmupRequests ? ` (longer, up to 30 s more, until it has served ${s.warmupRequests.toLocaleString('en')} requests)` : ''}, then ${s.rounds} round${s.rounds === 1 ? '' : 's'} each, alternating Burner / nginx+FPM` +
      (floorPresent ? '; then the same for the two floors on hello world (see Notes).' : '.'),
    '',
  );

  out.push(
    '| app | server | req/s | p50 | p99 | server CPU µs/req | PHP CPU µs/req | server RSS | PHP RSS | errors | Burner / nginx+FPM |',
  );
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const ratios: Record<string, number> = {};
  for (const app of r.apps) {
    const b = summarize(app.rounds.filter((x) => x.side === 'burner'));
    const f = summarize(app.rounds.filter((x) => x.side === 'fpm'));
    const ratio = b.reqPerSec / f.reqPerSec;
    ratios[app.id] = ratio;
    const row = (label: string, x: Summary, last: string): string =>
      `| ${app.title} | ${label} | ${f0(x.reqPerSec)} | ${f2(x.p50Ms)} ms | ${f2(x.p99Ms)} ms | ${f1(x.serverCpuUsPerReq)} | ` +
      `${f1(x.workerCpuUsPerReq)} | ${mb(x.serverRssKb)} | ${mb(x.workerRssKb)} | ${x.errors} | ${last} |`;
    out.push(row('Burner', b, `**${f2(ratio)}×**`));
    out.push(row('nginx+FPM', f, ''));
    const floorRows: [Side, string][] = [
      ['floor-relay', `floor: node:http + minimal relay to ${s.workers} echo workers`],
      ['floor-http', 'floor: node:http alone, no PHP'],
      [
        'floor-rate',
        `floor at this page's rate: node:http + minimal relay to ${s.workers} echo workers sleeping ${app.floorSleepUs ?? '?'} µs per request`,
      ],
    ];
    for (const [side, label] of floorRows) {
      const rounds = app.rounds.filter((x) => x.side === side);
      if (rounds.length === 0) continue;
      const x = summarize(rounds);
      const php = side !== 'floor-http';
      out.push(
        `| ${app.title} | ${label} | ${f0(x.reqPerSec)} | ${f2(x.p50Ms)} ms | ${f2(x.p99Ms)} ms | ${f1(x.serverCpuUsPerReq)} | ` +
          `${php ? f1(x.workerCpuUsPerReq) : '—'} | ${mb(x.serverRssKb)} | ${php ? mb(x.workerRssKb) : '—'} | ${x.errors} | ` +
          `Burner server CPU = ${f2(b.serverCpuUsPerReq / x.serverCpuUsPerReq)}× this |`,
      );
    }
    if (app.ceiling) {
      const c = app.ceiling;
      const ceilingN = c.reqPerSec * s.workers;
      out.push(
        `| ${app.title} | in-process ceiling (1 PHP process, no HTTP) | ${f0(c.reqPerSec)} | ${f2(c.p50Us / 1000)} ms | ` +
          `${f2(c.p99Us / 1000)} ms | — | ${f1(c.cpuUsPerReq)} | — | ${mb(c.rssKb)} | — | Burner = ${f0((b.reqPerSec / ceilingN) * 100)}% of ${s.workers} × ceiling |`,
      );
    }
  }
  out.push('');

  out.push('Idle RSS right after start (before any load):', '');
  out.push('| app | Burner server | Burner workers | nginx | php-fpm master + children |');
  out.push('|---|---:|---:|---:|---:|');
  for (const app of r.apps) {
    out.push(
      `| ${app.title} | ${mb(app.idle.burner.serverKb)} | ${mb(app.idle.burner.workersKb)} | ${mb(app.idle.fpm.serverKb)} | ${mb(app.idle.fpm.workersKb)} |`,
    );
  }
  out.push('');

  out.push(...cpuByGroup(r));

  out.push('## Goals (earlier issues)', '');
  out.push('| goal | target | measured | met |', '|---|---|---|---|');
  const goal = (name: string, target: string, measured: string, ok: boolean | undefined): void => {
    out.push(
      `| ${name} | ${target} | ${measured} | ${ok === undefined ? (measured === '—' ? 'not measured' : 'not at full size') : ok ? 'yes' : '**no**'} |`,
    );
  };
  const ratioGoal = (id: string, name: string, target: number): void =>
    goal(
      name,
      `≥ ${target.toFixed(1)}×`,
      ratios[id] === undefined ? '—' : `${f2(ratios[id]!)}×`,
      ratios[id] === undefined ? undefined : ratios[id]! >= target,
    );
  ratioGoal('ci4-welcome', 'CI4 welcome page, Burner / nginx+FPM', GOALS.welcomeRatio);
  ratioGoal('hello', 'hello world, Burner / nginx+FPM', GOALS.helloRatio);
  const cpu = r.apps.map((a) => ({ title: a.title, us: summarize(a.rounds.filter((x) => x.side === 'burner')).serverCpuUsPerReq }));
  const worst = cpu.reduce((a, b) => (b.us > a.us ? b : a), { title: '—', us: -Infinity });
  const floorUs = (side: Side): number => {
    const rounds = r.apps.flatMap((a) => a.rounds.filter((x) => x.side === side));
    return rounds.length ? summarize(rounds).serverCpuUsPerReq : NaN;
  };
  const [relayUs, aloneUs] = [floorUs('floor-relay'), floorUs('floor-http')];
  const floorText =
    Number.isNaN(relayUs) && Number.isNaN(aloneUs)
      ? ''
      : `, floor on this machine: ${f1(relayUs)} µs with a minimal relay, ${f1(aloneUs)} µs for node:http alone`;
  goal(
    'server (Node) CPU per request, every app',
    `≤ ${GOALS.cpuUs} µs`,
    (cpu.map((c) => `${c.title} ${f1(c.us)} µs`).join(', ') || '—') + floorText,
    cpu.length ? worst.us <= GOALS.cpuUs : undefined,
  );
  goal(
    'server RSS idle (hello, after start)',
    `≤ ${GOALS.idleMb} MB`,
    r.idleServerKb === undefined ? '—' : mb(r.idleServerKb),
    r.idleServerKb === undefined ? undefined : r.idleServerKb / 1024 <= GOALS.idleMb,
  );
  const u = r.upload;
  const fullUpload = u !== undefined && u.bytes >= 2 ** 30;
  goal(
    'server RSS growth during a 1 GB upload',
    `≤ ${GOALS.uploadMb} MB`,
    u
      ? `${mb(u.growthKb)} during a ${u.bytes >= 2 ** 30 ? `${f2(u.bytes / 2 ** 30)} GB` : `${f0(u.bytes / 2 ** 20)} MB`} upload ` +
          `(${mb(u.rssBeforeKb)} → peak ${mb(u.rssPeakKb)}, HTTP ${u.status}, ${f1(u.seconds)} s)`
      : '—',
    u && fullUpload ? u.status === 200 && u.growthKb / 1024 <= GOALS.uploadMb : undefined,
  );
  const k = r.keepAlive;
  goal(
    `${GOALS.keepAlive.toLocaleString('en')} idle keep-alive connections held`,
    'all held and still served',
    k
      ? `${k.count} opened → ${k.answered} answered (opening took ${f1(k.openSeconds)} s), ${k.stillOpen} still open after ${k.holdSeconds} s more idle, ${k.servedAgain} served again; ` +
          `a new client got HTTP ${k.probeStatus} meanwhile; server RSS ${mb(k.rssBeforeKb)} → ${mb(k.rssWithConnectionsKb)} with them open`
      : '—',
    k && k.count >= GOALS.keepAlive ? k.servedAgain >= GOALS.keepAlive && k.probeStatus === 200 : undefined,
  );
  out.push('');

  out.push(...pageGoals(r));

  out.push('## Notes', '');
  out.push(
    '- Same apps on both sides: (a) `bench/apps/hello` (`worker.php` for Burner, `index.php` for FPM, the same 14-byte body); ' +
      `(b) CodeIgniter's welcome page and (c) \`GET /bench/json\` (a controller reading 10 rows from SQLite, \`bench/apps/ci4/\`), on CodeIgniter ${m.versions.CodeIgniter ?? '4.1.3'} as each row says, ` +
      "one CI4 app per release created by `scripts/ci4-app.sh` under `tmp/bench/`, in CI's default `production` environment, with Burner's " +
      'CodeIgniter worker (`php/worker/codeigniter.php`) on the Burner side and `public/index.php` on the FPM side.',
    "- nginx: `worker_processes 1`, access log off, FastCGI over a unix socket to php-fpm without upstream keep-alive (Debian's " +
      "`fastcgi_params`); one nginx worker is enough for these rates and leaves the cores to PHP, as Burner's single Node process does.",
    "- opcache on for both: FPM `-d opcache.enable=1`, Burner's workers `php -d opcache.enable_cli=1`; otherwise Debian's php.ini " +
      "for each SAPI (fpm, cli), no JIT, timestamps validated as by default. Burner's workers talk to the server over OS pipes (`src/pool/pipes.ts`), the floor relay too.",
    '- CPU µs per request: utime + stime from /proc/<pid>/stat before and after each wrk round, divided by the requests of that round. ' +
      '"server" is the Node process for Burner and nginx (master + worker) for the other side; "PHP" is the PHP workers, ' +
      'respectively php-fpm master + children. RSS: VmRSS from /proc/<pid>/status, the peak of samples taken during the rounds, ' +
      'summed over the processes.',
    '- wrk runs on the same cores as the servers (it is part of the load on both sides alike). req/s = all requests / all round ' +
      'time; p50/p99 = mean over the rounds; "errors" = wrk socket errors + non-2xx answers.',
    '- In-process ceiling: `bench/ceiling.php` boots CI4 once in one PHP CLI process (opcache on) and serves the same request in a ' +
      "loop through the bridge's per-request functions (`Kernel::handle()` + `afterResponse()`), with no HTTP and no relay; " +
      `"${s.workers} × ceiling" is what ${s.workers} such processes would do on ${s.workers} free cores.`,
    '- Upload: one multipart/form-data POST with a single file field of the given size to the hello worker (`max_request_size: 2048`), ' +
      'RSS of the Node process sampled every 50 ms. Keep-alive: a child Node process (open-files limit raised with `ulimit -n` in a ' +
      'bash wrapper, as for the servers) opens the connections in batches of 250, one GET each, holds them idle for the hold time ' +
      "(below Burner's 60 s keep-alive timeout, after which idle connections are closed by design) and sends a second GET on each.",
  );
  const page = r.apps.find((a) => isPage(a.id));
  if (page) {
    out.push(
      `- Realistic page (\`GET /bench/page\`, \`bench/apps/ci4-page/\`, CI ${ciVersionOf(page, r)}): CodeIgniter's RedisHandler session ` +
        "(the app's `Config/Session.php`; a visit counter read and written on every request), two SELECTs through the query builder on MariaDB " +
        "(8 categories; 16 of 60 products of one category, `ORDER BY price`), a ~10 KB view. MariaDB and Redis are Debian's, started by the bench " +
        'on free loopback ports with data in temp dirs (`test/support/services.ts`), shared by both sides and stopped at the end; their CPU is counted ' +
        "in their own columns. The DB connection is CI's shared instance: Burner's workers keep it, FPM opens one per request (no `pConnect`). " +
        `Sessions: ${page.sessions ?? 'several'} sessions opened before the rounds (${page.sessions ? f0(page.sessions / s.connections) : 'a few'} per wrk connection), ` +
        'sent round robin one per request by a wrk Lua script, so every request reads and writes a real session and two requests of one session are ' +
        "practically never served at once (CI's session lock would make them wait); `timeToUpdate = 0` keeps the IDs fixed. The in-process ceiling " +
        'sends one of these cookies with every request.',
    );
  }
  if (r.apps.some((a) => a.rounds.some((x) => x.side === 'floor-rate'))) {
    out.push(
      '- "Floor at this page\'s rate" (CI4 pages): the same minimal relay, its echo workers sleeping a fixed time per request ' +
        "(`FLOOR_SLEEP_US`, calibrated so the floor serves about Burner's req/s on that page), measured after the page's rounds with the same " +
        "warm-up, wrk settings and rounds. Node's CPU per request grows as the request rate falls (every request wakes a sleeping event loop, " +
        'caches go cold between requests; `bench/profile/`), for node:http itself as much as for Burner: this row is what node:http + one ' +
        "process hop costs at the page's rate, the fair yardstick for Burner's Node CPU on that page.",
    );
  }
  if (floorText) {
    out.push(
      `- Floors (hello world only, \`bench/floor/\`, measured after the Burner / nginx+FPM rounds with the same wrk settings and ` +
        `rounds, same CPU accounting): "minimal relay" is a small node:http server (\`server.ts\`) that turns each request into a RoadRunner-style JSON ` +
        `context in one goridge frame (Burner's own codec) and hands it over OS pipes (as Burner's) to one of ${s.workers} SDK-less PHP echo workers ` +
        '(`echo-worker.php`: one fread loop, one precomputed response frame per request), then writes the status, headers and body it gets back; ' +
        '"node:http alone" answers the same body itself with no PHP at all. They leave out everything a server needs beyond that: no pool ' +
        'supervision or respawn, no timeouts, no streaming, no uploads or form parsing, no validation of what a worker sends, no ' +
        `middleware, logging or metrics. They are there because of the ≤ ${GOALS.cpuUs} µs server-CPU goal: they show what node:http ` +
        "plus one process hop costs on this machine before any of Burner's own work, so Burner's figure can be read against them.",
    );
  }
  const all = r.apps.flatMap((a) => a.rounds);
  const busyPct = (x: Round): number => ((x.otherCpuUs ?? NaN) / (x.wrk.seconds * 1e6 * m.cpus)) * 100;
  const worstOther = Math.max(...all.map(busyPct).filter(Number.isFinite));
  if (Number.isFinite(worstOther)) {
    out.push(
      `- Other activity on the machine during the rounds ("other CPU" below: machine CPU time from /proc/stat minus the servers, ` +
        `their PHP processes and wrk, as a share of all ${m.cpus} cores): at most ${f1(worstOther)}%` +
        (worstOther > 10
          ? ' — other work shared the cores in some rounds, so those figures are noisy; the ratios come from alternating rounds.'
          : '.'),
    );
  } else {
    out.push(`- Load average at the start ${m.loadAvg[0]!.toFixed(2)}; other activity during the rounds was not measured in this run.`);
  }
  out.push('');
  out.push('## Rounds', '');
  out.push(
    '| app | server | round | requests | req/s | p50 | p99 | server CPU µs/req | PHP CPU µs/req | services CPU µs/req | wrk CPU µs/req | other CPU |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  );
  for (const app of r.apps) {
    const count: Record<Side, number> = { burner: 0, fpm: 0, 'floor-relay': 0, 'floor-http': 0, 'floor-rate': 0 };
    for (const x of app.rounds) {
      count[x.side]++;
      out.push(
        `| ${app.title} | ${SIDE_LABEL[x.side] ?? x.side} | ${count[x.side]} | ${x.wrk.requests} | ${f0(x.wrk.reqPerSec)} | ` +
          `${f2(x.wrk.p50Ms)} ms | ${f2(x.wrk.p99Ms)} ms | ${f1(x.serverCpuUs / x.wrk.requests)} | ${x.side === 'floor-http' ? '—' : f1(x.workerCpuUs / x.wrk.requests)} | ` +
          `${
            x.groupsCpuUs
              ? Object.entries(x.groupsCpuUs)
                  .map(([g, us]) => `${g} ${f1(us / x.wrk.requests)}`)
                  .join(', ')
              : '—'
          } | ` +
          `${x.wrkCpuUs === undefined ? '—' : f1(x.wrkCpuUs / x.wrk.requests)} | ${Number.isFinite(busyPct(x)) ? `${f1(busyPct(x))}%` : '—'} |`,
      );
    }
  }
  out.push('');
  return out.join('\n');
}

/** CPU µs per request of every process group, per app and side: where each side's CPU goes. */
function cpuByGroup(r: Report): string[] {
  const groups = [...new Set(r.apps.flatMap((a) => a.rounds.flatMap((x) => Object.keys(x.groupsCpuUs ?? {}))))].sort();
  const label: Record<string, string> = { mariadb: 'MariaDB', redis: 'Redis' };
  const out = [
    'CPU µs per request by process group (all rounds of each side; "server" is Node for Burner and the floors, nginx master + worker for nginx+FPM; ' +
      '"PHP" is Burner\'s workers, php-fpm master + children, the floor\'s echo workers; "other" is the rest of the machine):',
    '',
  ];
  out.push(`| app | side | server | PHP | ${groups.map((g) => `${label[g] ?? g} | `).join('')}wrk | other | total |`);
  out.push(`|---|---|---:|---:|${groups.map(() => '---:|').join('')}---:|---:|---:|`);
  for (const app of r.apps) {
    for (const side of ['burner', 'fpm', 'floor-relay', 'floor-http', 'floor-rate'] as Side[]) {
      const rounds = app.rounds.filter((x) => x.side === side);
      if (rounds.length === 0) continue;
      const x = summarize(rounds);
      const g = groups.map((name) => (name in x.groupsCpuUsPerReq ? x.groupsCpuUsPerReq[name]! : NaN));
      const parts = [
        x.serverCpuUsPerReq,
        side === 'floor-http' ? 0 : x.workerCpuUsPerReq,
        ...g.map((v) => (Number.isNaN(v) ? 0 : v)),
        x.wrkCpuUsPerReq,
        x.otherCpuUsPerReq,
      ];
      const total = parts.every(Number.isFinite) ? parts.reduce((a, b) => a + b, 0) : NaN;
      out.push(
        `| ${app.title} | ${SIDE_LABEL[side]} | ${f1(x.serverCpuUsPerReq)} | ${side === 'floor-http' ? '—' : f1(x.workerCpuUsPerReq)} | ` +
          `${g.map((v) => `${Number.isNaN(v) ? '—' : f1(v)} | `).join('')}${f1(x.wrkCpuUsPerReq)} | ${f1(x.otherCpuUsPerReq)} | ${f1(total)} |`,
      );
    }
  }
  out.push('');
  return out;
}

/** Issue 15's goals table: the realistic page, the 4.7 welcome page, Node CPU flat across pages, workers near the ceiling. */
function pageGoals(r: Report): string[] {
  const out = ['## Goals (issue 15: real pages)', '', '| goal | target | measured | met |', '|---|---|---|---|'];
  const row = (name: string, target: string, measured: string | undefined, ok: boolean | undefined): void => {
    out.push(`| ${name} | ${target} | ${measured ?? '—'} | ${measured === undefined ? 'not measured' : ok ? 'yes' : '**no**'} |`);
  };
  const side = (app: AppRun, sd: Side): Summary => summarize(app.rounds.filter((x) => x.side === sd));
  const ratio = (app: AppRun): number => side(app, 'burner').reqPerSec / side(app, 'fpm').reqPerSec;

  const page = r.apps.find((a) => isPage(a.id));
  row(
    'realistic page (Redis session, 2 MariaDB SELECTs, 10 KB view), Burner / nginx+FPM, same PHP process count',
    `≥ ${PAGE_GOALS.pageRatio}×`,
    page &&
      `${f2(ratio(page))}× (${f0(side(page, 'burner').reqPerSec)} vs ${f0(side(page, 'fpm').reqPerSec)} req/s, CI ${ciVersionOf(page, r)})`,
    page && ratio(page) >= PAGE_GOALS.pageRatio,
  );

  const welcome = r.apps.find((a) => /^ci4-welcome(@|$)/.test(a.id) && /^4\.7\./.test(ciVersionOf(a, r) ?? ''));
  row(
    'CI4 welcome page on CI 4.7, Burner / nginx+FPM',
    `≥ ${PAGE_GOALS.welcome47Ratio}×`,
    welcome && `${f2(ratio(welcome))}× (CI ${ciVersionOf(welcome, r)})`,
    welcome && ratio(welcome) >= PAGE_GOALS.welcome47Ratio,
  );

  const hello = r.apps.find((a) => a.id === 'hello');
  const others = r.apps.filter((a) => a.id !== 'hello');
  if (hello && others.length) {
    const base = side(hello, 'burner').serverCpuUsPerReq;
    const each = others.map((a) => ({ a, x: side(a, 'burner').serverCpuUsPerReq / base }));
    const worst = Math.max(...each.map((e) => e.x));
    const atRate = (a: AppRun): string => {
      const f = a.rounds.filter((x) => x.side === 'floor-rate');
      return f.length ? ` (floor at its rate ${f1(summarize(f).serverCpuUsPerReq)} µs)` : '';
    };
    row(
      'Burner Node CPU per request on any page vs hello world',
      `≤ ${PAGE_GOALS.nodeVsHello}×`,
      `hello world ${f1(base)} µs; ` +
        each.map(({ a, x }) => `${a.title} ${f1(side(a, 'burner').serverCpuUsPerReq)} µs = ${f2(x)}×${atRate(a)}`).join(', '),
      worst <= PAGE_GOALS.nodeVsHello,
    );
  } else {
    row('Burner Node CPU per request on any page vs hello world', `≤ ${PAGE_GOALS.nodeVsHello}×`, undefined, undefined);
  }

  // Node's CPU per request depends on the request rate itself (bench/profile/): the same ratio against node:http + the
  // minimal relay running at the page's rate separates Burner's own cost from the rate's. Shown beside the goal.
  const rated = r.apps.filter((a) => a.rounds.some((x) => x.side === 'floor-rate'));
  if (rated.length) {
    const each = rated.map((a) => ({ a, x: side(a, 'burner').serverCpuUsPerReq / side(a, 'floor-rate').serverCpuUsPerReq }));
    const worst = Math.max(...each.map((e) => e.x));
    row(
      "(yardstick) Burner Node CPU per request vs the floor at the same page's rate",
      `≤ ${PAGE_GOALS.nodeVsHello}×`,
      each.map(({ a, x }) => `${a.title} ${f2(x)}×`).join(', '),
      worst <= PAGE_GOALS.nodeVsHello,
    );
  }

  // The same ratio for nginx on the same pages: how much of the rise is this machine's (wake-ups, cold caches at a
  // lower rate) rather than Burner's.
  if (hello && others.length) {
    const base = side(hello, 'fpm').serverCpuUsPerReq;
    const each = others.map(
      (a) => `${a.title} ${f1(side(a, 'fpm').serverCpuUsPerReq)} µs = ${f2(side(a, 'fpm').serverCpuUsPerReq / base)}×`,
    );
    out.push(
      `| (yardstick) nginx CPU per request on the same pages vs its hello world | — | hello world ${f1(base)} µs; ${each.join(', ')} | — |`,
    );
  }

  const withCeiling = r.apps.filter((a) => a.ceiling);
  if (withCeiling.length) {
    const each = withCeiling.map((a) => ({ a, x: side(a, 'burner').workerCpuUsPerReq / a.ceiling!.cpuUsPerReq }));
    const worst = Math.max(...each.map((e) => e.x));
    row(
      'Burner worker PHP CPU per request vs the in-process ceiling',
      `≤ ${PAGE_GOALS.workerVsCeiling}×`,
      each
        .map(({ a, x }) => `${a.title} ${f1(side(a, 'burner').workerCpuUsPerReq)} vs ${f1(a.ceiling!.cpuUsPerReq)} µs = ${f2(x)}×`)
        .join(', '),
      worst <= PAGE_GOALS.workerVsCeiling,
    );
  } else {
    row('Burner worker PHP CPU per request vs the in-process ceiling', `≤ ${PAGE_GOALS.workerVsCeiling}×`, undefined, undefined);
  }
  if (r.settings.quick) out.push('', 'A quick smoke run: 1 s rounds, figures for checking the bench, not for judging the goals.');
  out.push('');
  return out;
}

function schedulingNote(s: Settings): string {
  if (s.scheduling === undefined) return '';
  const burner =
    s.scheduling === 'batch'
      ? '; Burner `server.scheduling: batch`, its default (the server and its workers under SCHED_BATCH; the floors too)'
      : '; Burner `server.scheduling: normal` (an A/B run)';
  const fpm =
    s.fpmScheduling === 'batch'
      ? '; nginx and php-fpm under SCHED_BATCH too (`chrt -b`, an A/B run)'
      : '; nginx and php-fpm under the normal policy, as they start';
  return burner + fpm;
}

function pipeliningNote(p: Settings['pipelining']): string {
  if (p === undefined) return '';
  return p === 'on' ? '; Burner `http.pool.pipelining: true`, its default' : '; Burner `http.pool.pipelining: false` (an A/B run)';
}
