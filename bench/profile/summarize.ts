/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): total sampled time, the idle / program / GC shares, and the
 * functions with the most self time, per request when --requests N is given.
 *
 *   node dist/bench/profile/summarize.js FILE.cpuprofile [--requests N] [--top 25] [--by-file]
 *
 * --by-file: self time summed per script (dist/src/http/handler.js, node:_http_server, ...) instead of per function.
 *
 * With FILE.window.json next to it (written by rate.js: the measured round's CLOCK_MONOTONIC window and its
 * requests), only the samples of that window count and the figures are per request of that round.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { selfTimes, type Profile } from './parse.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { requests: { type: 'string' }, top: { type: 'string', default: '25' }, 'by-file': { type: 'boolean', default: false } },
  });
  for (const file of positionals) {
    const p = JSON.parse(await readFile(file, 'utf8')) as Profile;
    const win = await readFile(file.replace(/\.cpuprofile$/, '.window.json'), 'utf8').then(
      (t) => JSON.parse(t) as { from: number; to: number; requests: number },
      () => undefined,
    );
    let self = selfTimes(p, win);
    if (values['by-file']) self = byFile(self);
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const idle = self.get('(idle)') ?? 0;
    const busy = total - idle;
    const req = values.requests ? Number(values.requests) : (win?.requests ?? 0);
    const fmt = (us: number): string => (req ? `${(us / req).toFixed(2)} µs/req` : `${(us / 1000).toFixed(1)} ms`);
    process.stdout.write(`${file}: sampled ${(total / 1e6).toFixed(2)} s, busy ${fmt(busy)} (${((busy / total) * 100).toFixed(1)}%)\n`);
    const top = [...self.entries()]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(values.top));
    for (const [k, us] of top) process.stdout.write(`  ${fmt(us).padStart(16)}  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${k}\n`);
  }
}

/** Keys are `name url:line` (or `(idle)`, `(program)`...): sums per url, the line dropped. */
function byFile(self: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, us] of self) {
    const m = /\s(\S+):\d+$/.exec(key);
    const file = m ? m[1]! : key;
    out.set(file, (out.get(file) ?? 0) + us);
  }
  return out;
}

main().catch((e) => {
  process.stderr.write(`summarize: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
