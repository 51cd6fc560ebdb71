/** Parsers of the profiling tools' outputs (strace -c, V8 .cpuprofile), shared by rate.ts and summarize.ts. */

/** `strace -c` summary → calls per syscall name. */
export function parseStraceSummary(text: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of text.split('\n')) {
    // % time     seconds  usecs/call     calls    errors syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+(\d+))?\s+([a-z_0-9]+)\s*$/.exec(line);
    if (m && m[3] !== 'total') calls[m[3]!] = Number(m[1]);
  }
  return calls;
}

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function selfTimes(p: Profile, window?: { from: number; to: number }): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window.from || t > window.to)) continue;
    const n = byId.get(p.samples[i]!);
    if (!n) continue;
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
    const key = `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
    // A sample's time is the delta to the next one.
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  return self;
}
