/**
 * wrk (Debian's package) as the load generator: one run, and a parser for its text output (`--latency`).
 */
import { spawn } from 'node:child_process';

export interface WrkResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** connect + read + write + timeout socket errors */
  socketErrors: number;
  non2xx: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A wrk duration such as `5.74ms`, `812.00us`, `1.02s`, `2.00m`, in milliseconds. */
export function parseWrkTime(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: cannot read the time "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseWrk(output: string): WrkResult {
  const total = /^\s*(\d+) requests in ([\d.]+(?:us|ms|s|m|h)),/m.exec(output);
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const p50 = /^\s+50(?:\.0+)?%\s+(\S+)/m.exec(output);
  const p99 = /^\s+99(?:\.0+)?%\s+(\S+)/m.exec(output);
  if (!total || !rate || !p50 || !p99) {
    throw new Error(`wrk: unexpected output (was --latency given?):\n${output}`);
  }
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requests: Number(total[1]),
    seconds: parseWrkTime(total[2]!) / 1000,
    reqPerSec: Number(rate[1]),
    p50Ms: parseWrkTime(p50[1]!),
    p99Ms: parseWrkTime(p99[1]!),
    socketErrors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

export interface WrkOptions {
  seconds: number;
  connections: number;
  threads: number;
  /** A wrk Lua script (`-s`), e.g. the realistic page's session cookies. */
  script?: string;
}

/** bash's `times`: the second line holds the user and system time of the shell's children (here: wrk). */
export function parseTimes(text: string): number {
  const lines = [...text.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)];
  const children = lines[lines.length - 1];
  if (lines.length < 2 || !children) return 0;
  const [, um, us, sm, ss] = children.map(Number) as number[];
  return ((um! + sm!) * 60 + us! + ss!) * 1e6;
}

/** Runs wrk; cpuUs is wrk's own CPU time (it shares the cores with the servers). */
export function runWrk(url: string, opts: WrkOptions): Promise<WrkResult & { raw: string; cpuUs: number }> {
  const args = [
    '-t',
    String(opts.threads),
    '-c',
    String(opts.connections),
    '-d',
    `${opts.seconds}s`,
    '--latency',
    ...(opts.script ? ['-s', opts.script] : []),
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'wrk "$@"; status=$?; times >&2; exit $status', 'wrk', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => reject(new Error(`wrk could not start: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0)
        return reject(new Error(`wrk exited with ${code}${code === 127 ? ' (is wrk installed? apt-get install wrk)' : ''}: ${err || out}`));
      try {
        resolve({ ...parseWrk(out), raw: out, cpuUs: parseTimes(err) });
      } catch (e) {
        reject(e);
      }
    });
  });
}
