/**
 * Go duration strings as RoadRunner reads them: "300ms", "60s", "1m30s", "1h", "1.5s", "10us".
 * A bare number is nanoseconds (Go's time.Duration), so `60` means 60 ns, as in RoadRunner.
 * Results are in milliseconds (fractions kept).
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

export function parseDuration(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid duration ${value}`);
    return value * UNIT_MS.ns!;
  }
  if (typeof value !== 'string') throw new Error(`invalid duration ${JSON.stringify(value)}: expected a string like "60s"`);
  const s = value.trim();
  if (s === '0') return 0;
  if (/^\d+$/.test(s)) return Number(s) * UNIT_MS.ns!;
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== start) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
  }
  if (s.length === 0 || matched !== s.length) {
    throw new Error(`invalid duration ${JSON.stringify(value)}: expected a Go duration such as "500ms", "60s", "1m30s" or "1h"`);
  }
  return total;
}

/** Human form for messages and `rpc.Config`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
