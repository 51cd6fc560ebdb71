/**
 * Issue 14 soak, run by hand (never by the suite; the name is not *.test.ts):
 *
 *     npx tsc -p tsconfig.json && node dist/test/soak/soak.js [--seconds 60] [--workers 4] [--clients 8]
 *         [--without kills,uploads,forms]   (leave parts out, to see which one a change in RSS comes from)
 *         [--heap MiB]   (the server's --max-old-space-size: a leak then ends in an out-of-memory exit, a lazy GC does not)
 *
 * Starts the real `rr serve` (bin/rr.js) with test/fixtures/http/worker.php on a free port, then for the given time:
 * steady keep-alive load from a fixed number of clients, one PHP worker SIGKILLed every 5 s, one multipart upload
 * cut off mid-body every second, and one 10 MB urlencoded form every 5 s. It samples the server's RSS every second
 * and prints what happened. A request that failed is "explained" when a worker was killed while it was in flight
 * (a worker serves one request at a time, so a kill can fail at most one). Exit code 1 when the server died, when a
 * failure is not explained (or there are more failures than kills), or when upload temp files are left behind.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES, RR, childrenOf, freePort } from '../e2e/harness.js';

interface Options {
  seconds: number;
  workers: number;
  clients: number;
  /** Parts left out, to tell which one a change in RSS comes from: kills, uploads, forms. */
  without: Set<string>;
  /** --max-old-space-size for the server's Node (MiB), to tell a leak (it dies) from a lazy GC (it stays up). */
  heap?: number;
}
const PARTS = ['kills', 'uploads', 'forms'];

function parseArgs(argv: string[]): Options {
  const options: Options = { seconds: 60, workers: 4, clients: 8, without: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, '');
    if (name === 'without') {
      for (const part of (argv[++i] ?? '').split(',')) {
        if (!PARTS.includes(part)) throw new Error(`--without takes a comma list of ${PARTS.join(', ')}`);
        options.without.add(part);
      }
      continue;
    }
    if (!['seconds', 'workers', 'clients', 'heap'].includes(name) || !argv[i]!.startsWith('--')) {
      throw new Error(`unknown argument ${argv[i]} (use --seconds N, --workers N, --clients N, --heap MiB, --without kills,uploads,forms)`);
    }
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a whole number of at least 1`);
    options[name as 'seconds' | 'workers' | 'clients' | 'heap'] = value;
  }
  return options;
}

const KILL_EVERY_MS = 5_000;
const UPLOAD_EVERY_MS = 1_000;
const FORM_EVERY_MS = 5_000;
/** 10 MB (10_000_000 bytes, 9.5 MiB): under the 10 MiB http.max_form_size default, so the server parses it. */
const FORM_BYTES = 10_000_000;
/** A request that takes longer than this is counted as failed (a safety net; nothing should come near it). */
const REQUEST_TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One request that reaches a worker: when it ran and how it ended. */
interface Outcome {
  kind: 'load' | 'form';
  start: number;
  end: number;
  status: number;
  error?: string;
}

function request(
  port: number,
  agent: http.Agent,
  method: string,
  pathname: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.once('error', (err) => resolve({ status: 0, error: err.message }));
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', (err) => resolve({ status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}

/** A form of exactly `bytes` bytes: many short fields, as a real big form has (the parser's worst case, not one blob). */
function bigForm(bytes: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes - 200; i++) {
    const pair = `field_${i}=${'v'.repeat(80)}`;
    parts.push(pair);
    size += pair.length + 1;
  }
  const head = parts.join('&') + '&last=';
  return Buffer.from(head + 'z'.repeat(bytes - Buffer.byteLength(head)));
}

/**
 * A multipart upload that claims 4 MiB and is cut off (socket destroyed) after its headers and 256 KiB of the file:
 * the server has opened its temp file by then and must remove it and stay up.
 */
function abortedUpload(port: number): Promise<void> {
  return new Promise((resolve) => {
    const boundary = 'soak-boundary-7MA4YWxkTrZu0gW';
    const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const head =
      `POST /uploads HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
      `Content-Length: ${4 * 1024 * 1024}\r\nConnection: close\r\n\r\n`;
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    sock.once('close', () => resolve());
    sock.once('connect', () => {
      sock.write(head + partHead);
      sock.write(Buffer.alloc(256 * 1024, 0x61), () => setTimeout(() => sock.destroy(), 50));
    });
  });
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The server's PHP workers: its children running the fixture worker. */
function workerPids(serverPid: number): number[] {
  return childrenOf(serverPid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker.php');
    } catch {
      return false;
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median RSS of each 10 s of the run, to see a trend (a leak climbs; a heap that settled stays level). */
function timeline(rss: Array<{ t: number; kib: number }>): string {
  const windows = new Map<number, number[]>();
  for (const s of rss) windows.set(Math.floor(s.t / 10_000), [...(windows.get(Math.floor(s.t / 10_000)) ?? []), s.kib]);
  return [...windows.values()].map((w) => mib(median(w))).join(' ');
}

const mib = (kib: number) => (Number.isNaN(kib) ? 'n/a' : (kib / 1024).toFixed(1));

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-soak-'));
  const uploads = path.join(dir, 'uploads');
  mkdirSync(uploads);
  const port = await freePort();
  const config = path.join(dir, '.rr.yaml');
  writeFileSync(
    config,
    `version: "3"
server:
  command: "php ${FIXTURES}/http/worker.php"
http:
  address: 127.0.0.1:${port}
  uploads:
    dir: ${uploads}
  pool:
    num_workers: ${options.workers}
logs:
  level: warn
`,
  );
  const server = spawn(
    process.execPath,
    [...(options.heap ? [`--max-old-space-size=${options.heap}`] : []), RR, 'serve', '-c', config, '-w', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const serverPid = server.pid!;
  let log = '';
  const keepLog = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  server.stdout!.on('data', keepLog);
  server.stderr!.on('data', keepLog);
  let exit: string | undefined;
  server.once('exit', (code, signal) => (exit = signal ? `signal ${signal}` : `exit code ${code}`));

  const loadAgent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const oneShot = new http.Agent({ keepAlive: false });
  try {
    const ready = Date.now() + 60_000;
    while ((await request(port, oneShot, 'GET', '/pid')).status !== 200) {
      if (exit || Date.now() > ready) throw new Error(`rr serve did not start (${exit ?? 'no answer in 60 s'}):\n${log}`);
      await sleep(100);
    }
    console.log(
      `soak: ${options.seconds} s against rr serve (pid ${serverPid}) on 127.0.0.1:${port}: ${options.workers} workers, ` +
        `${options.clients} keep-alive clients${options.without.size ? ` (without ${[...options.without].join(', ')})` : ''}, a worker SIGKILLed every ${KILL_EVERY_MS / 1000} s, an upload cut off every ` +
        `${UPLOAD_EVERY_MS / 1000} s, a ${FORM_BYTES} byte form every ${FORM_EVERY_MS / 1000} s`,
    );

    const outcomes: Outcome[] = [];
    const kills: number[] = [];
    const killFailures: string[] = [];
    const rss: Array<{ t: number; kib: number }> = [];
    let aborted = 0;
    let stopping = false;
    const started = Date.now();
    const form = bigForm(FORM_BYTES);

    const worker = async (
      kind: Outcome['kind'],
      agent: http.Agent,
      method: string,
      pathname: string,
      body?: Buffer,
      headers?: Record<string, string>,
    ) => {
      const start = Date.now();
      const res = await request(port, agent, method, pathname, body, headers);
      const outcome: Outcome = { kind, start, end: Date.now(), status: res.status };
      if (res.error) outcome.error = res.error;
      outcomes.push(outcome);
    };

    const clients = Array.from({ length: options.clients }, async (_, c) => {
      for (let i = 0; !stopping; i++) await worker('load', loadAgent, 'GET', `/slow?id=${c}-${i}`);
    });

    const pending: Array<Promise<void>> = [];
    let formRunning = false;
    const timers = [
      setInterval(() => {
        if (options.without.has('kills')) return;
        const pids = workerPids(serverPid);
        const victim = pids[Math.floor(Math.random() * pids.length)];
        if (victim === undefined) return;
        try {
          process.kill(victim, 'SIGKILL');
          kills.push(Date.now());
        } catch (err) {
          killFailures.push(`${victim}: ${(err as Error).message}`);
        }
      }, KILL_EVERY_MS),
      setInterval(() => {
        if (options.without.has('uploads')) return;
        pending.push(abortedUpload(port).then(() => void aborted++));
      }, UPLOAD_EVERY_MS),
      setInterval(() => {
        if (formRunning || options.without.has('forms')) return; // one at a time: the point is a big form among the load, not a pile of them
        formRunning = true;
        pending.push(
          worker('form', oneShot, 'POST', '/pid', form, { 'Content-Type': 'application/x-www-form-urlencoded' }).finally(() => {
            formRunning = false;
          }),
        );
      }, FORM_EVERY_MS),
      setInterval(() => {
        const kib = rssKiB(serverPid);
        if (kib !== undefined) rss.push({ t: Date.now() - started, kib });
      }, 1_000),
    ];

    await sleep(options.seconds * 1000);
    stopping = true;
    for (const t of timers) clearInterval(t);
    await Promise.all([...clients, ...pending]);

    // The server removes an aborted upload's temp file once it sees the connection gone: give it a moment.
    let leftovers = readdirSync(uploads);
    for (let i = 0; i < 50 && leftovers.length > 0; i++) {
      await sleep(100);
      leftovers = readdirSync(uploads);
    }
    const finalCheck = exit ? { status: 0 } : await request(port, oneShot, 'GET', '/pid');
    // RSS once the server has been idle for a while (what it keeps, as against what it used under load).
    await sleep(5_000);
    const idleKib = rssKiB(serverPid);
    const serverAlive = !exit && alive(serverPid) && finalCheck.status === 200;

    // Report.
    const load = outcomes.filter((o) => o.kind === 'load');
    const forms = outcomes.filter((o) => o.kind === 'form');
    const failed = outcomes.filter((o) => o.status === 0 || o.status >= 500);
    const duringKill = failed.filter((o) => kills.some((k) => k >= o.start && k <= o.end));
    const unexplained = failed.filter((o) => !duringKill.includes(o));
    const byStatus = (list: Outcome[]) => {
      const counts = new Map<string, number>();
      for (const o of list) {
        const key = o.status === 0 ? (o.error ?? 'error') : String(o.status);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
    };
    const kib = rss.map((s) => s.kib);
    const span = rss.length > 0 ? rss[rss.length - 1]!.t : 0;
    const first = rss.filter((s) => s.t <= 10_000).map((s) => s.kib);
    const last = rss.filter((s) => s.t >= span - 10_000).map((s) => s.kib);

    const rows: Array<[string, string]> = [
      ['requests sent', `${outcomes.length} (load ${load.length}, big forms ${forms.length})`],
      [
        'ok',
        `${outcomes.length - failed.length} (load ${byStatus(load.filter((o) => !failed.includes(o)))}; big forms ${byStatus(forms.filter((o) => !failed.includes(o)))})`,
      ],
      [
        'failed',
        `${failed.length} (${byStatus(failed)}); in flight when a worker was killed: ${duringKill.length}; not explained by a kill: ${unexplained.length}`,
      ],
      [
        'workers killed',
        `${kills.length}${killFailures.length ? ` (${killFailures.length} kill attempts failed: ${killFailures.join('; ')})` : ''}`,
      ],
      ['aborted uploads', String(aborted)],
      ['big forms answered', `${forms.filter((o) => o.status !== 0).length} of ${forms.length} (${byStatus(forms)})`],
      [
        'server RSS MiB',
        `min ${mib(Math.min(...kib))} / median ${mib(median(kib))} / max ${mib(Math.max(...kib))} over ${kib.length} samples; ` +
          `first 10 s median ${mib(median(first))}, last 10 s median ${mib(median(last))}, after 5 s idle ${idleKib === undefined ? 'n/a' : mib(idleKib)}`,
      ],
      ['RSS MiB per 10 s', timeline(rss)],
      [
        'server alive',
        serverAlive ? `yes (GET /pid after the soak: ${finalCheck.status})` : `NO (${exit ?? `GET /pid: ${finalCheck.status}`})`,
      ],
      ['upload temp files left', `${leftovers.length}${leftovers.length ? `: ${leftovers.slice(0, 5).join(', ')}` : ''} (in ${uploads})`],
    ];
    const problems: string[] = [];
    if (!serverAlive) problems.push('the server died');
    if (unexplained.length > 0) problems.push(`${unexplained.length} failures with no worker killed while they were in flight`);
    if (failed.length > kills.length) problems.push(`${failed.length} failures for ${kills.length} kills (at most one in flight per kill)`);
    if (leftovers.length > 0) problems.push(`${leftovers.length} upload temp files left`);
    rows.push(['verdict', problems.length === 0 ? 'PASS' : `FAIL: ${problems.join('; ')}`]);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    if (unexplained.length > 0) {
      console.log('unexplained failures (first 10):');
      for (const o of unexplained.slice(0, 10))
        console.log(`  ${o.kind} at +${o.start - started} ms, ${o.end - o.start} ms: ${o.status || o.error}`);
    }
    if (!serverAlive) console.log(`server log (last lines):\n${log.split('\n').slice(-30).join('\n')}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    loadAgent.destroy();
    oneShot.destroy();
    if (!exit) {
      server.kill('SIGTERM');
      const gone = Date.now() + 30_000;
      while (!exit && Date.now() < gone) await sleep(100);
      if (!exit) server.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --test dist/test/` runs every file under a test/ directory (Node 20's default patterns), this one included:
// under the test runner it does nothing, so the suite never pays for a soak.
if (process.env.NODE_TEST_CONTEXT) {
  console.log('soak: run by hand (node dist/test/soak/soak.js), not by the test runner; skipped');
} else {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
