/**
 * Application metrics, as RoadRunner's metrics plugin offers them (roadrunner-protocol.md §5.2, §7.2): collectors
 * declared in `metrics.collect` or through `metrics.Declare`, updated with `metrics.Add/Sub/Set/Observe`, removed
 * with `metrics.Unregister`, exported on the metrics endpoint next to `rr_http_*`.
 *
 * Behaviour and error texts follow roadrunner-server/metrics `rpc.go` and `config.go` (read, not copied): collectors are
 * looked up by the declared short name; labels are label *values* in declaration order; a vector collector needs them;
 * errors are prefixed with RoadRunner's operation name (`metrics_plugin_add: ...`) because PHP code matches on them
 * (spiral/roadrunner-metrics suppresses "tried to register existing collector").
 */
import { Counter, Gauge, Histogram, Summary, type Registry } from 'prom-client';

export type CollectorType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface CollectorSpec {
  type: CollectorType;
  namespace: string;
  subsystem: string;
  help: string;
  labels: string[];
  buckets: number[];
  /** Summary quantiles → allowed error (Go's Objectives); only the quantiles are used by prom-client. */
  objectives: Record<string, number>;
}

/** An error reply worded as RoadRunner words it. */
export class MetricsError extends Error {
  override name = 'MetricsError';
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
  }
}

interface Entry {
  spec: CollectorSpec;
  metric: Counter<string> | Gauge<string> | Histogram<string> | Summary<string>;
}

const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary']);

/** Go's json decoding matches field names case-insensitively; PHP sends lower case. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, what: string, op: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new MetricsError(op, `${what} must be a list of strings`);
  return v as string[];
}

/** A number, or a numeric string: config values may reach us as strings after env expansion (mapstructure's weak typing accepts them too). */
function toNumber(x: unknown): number | undefined {
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function numberList(v: unknown, what: string, op: string): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v.map(toNumber) : [undefined];
  if (list.some((x) => x === undefined)) throw new MetricsError(op, `${what} must be a list of numbers`);
  return list as number[];
}

/**
 * Summary objectives: a map `{"0.5": 0.05}` (RPC JSON, YAML map) or a YAML list of one-entry maps
 * (`- 0.5: 0.05`, the form RoadRunner's docs show; mapstructure merges it).
 */
function objectives(v: unknown, op: string): Record<string, number> {
  if (v === undefined || v === null) return {};
  const parts = Array.isArray(v) ? v : [v];
  const out: Record<string, number> = {};
  for (const part of parts) {
    if (!isObject(part)) throw new MetricsError(op, 'objectives must map a quantile to its allowed error, e.g. {"0.5": 0.05}');
    for (const [q, err] of Object.entries(part)) {
      const quantile = Number(q);
      const allowed = toNumber(err);
      if (!(quantile >= 0 && quantile <= 1) || allowed === undefined) {
        throw new MetricsError(op, `objectives: ${JSON.stringify(q)} must be a quantile from 0 to 1 mapped to a number`);
      }
      out[String(quantile)] = allowed;
    }
  }
  return out;
}

/** Validates a collector description from the RPC argument or from `metrics.collect.<name>`. */
export function parseCollectorSpec(raw: unknown, op: string): CollectorSpec {
  if (!isObject(raw)) throw new MetricsError(op, 'the collector must be an object with at least a "type"');
  const type = field(raw, 'type');
  const text = (key: string): string => {
    const v = field(raw, key);
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new MetricsError(op, `${key} must be a string`);
    return v;
  };
  if (typeof type !== 'string' || !TYPES.has(type))
    throw new MetricsError(op, `unknown collector type ${typeof type === 'string' ? type : JSON.stringify(type ?? '')}`);
  return {
    type: type as CollectorType,
    namespace: text('namespace'),
    subsystem: text('subsystem'),
    help: text('help'),
    labels: stringList(field(raw, 'labels'), 'labels', op),
    buckets: numberList(field(raw, 'buckets'), 'buckets', op),
    objectives: objectives(field(raw, 'objectives'), op),
  };
}

/** Go's prometheus.BuildFQName: the non-empty parts joined with "_". */
export function fqName(name: string, spec: Pick<CollectorSpec, 'namespace' | 'subsystem'>): string {
  return [spec.namespace, spec.subsystem, name].filter((p) => p !== '').join('_');
}

interface Sample {
  name: string;
  value: number;
  labels: string[];
}

function parseSample(arg: unknown, op: string): Sample {
  if (!isObject(arg)) throw new MetricsError(op, 'the argument must be {"name": "...", "value": 1, "labels": [...]}');
  const name = field(arg, 'name');
  const value = field(arg, 'value') ?? 0;
  if (typeof name !== 'string') throw new MetricsError(op, 'name must be a string');
  if (typeof value !== 'number')
    throw new MetricsError(op, `json: cannot unmarshal ${typeof value} into Go struct field Metric.value of type float64`);
  return { name, value, labels: stringList(field(arg, 'labels'), 'labels', op) };
}

/** Go's `%#v` of a []string, as used in client_golang's cardinality error. */
function goStrings(list: string[]): string {
  return `[]string{${list.map((s) => JSON.stringify(s)).join(', ')}}`;
}

export class AppMetrics {
  private readonly collectors = new Map<string, Entry>();

  constructor(private readonly registry: Registry) {}

  /** Declares every collector of `metrics.collect` (startup: a bad entry is an error naming its key). */
  declareFromConfig(collect: Record<string, unknown> | undefined): void {
    for (const [name, raw] of Object.entries(collect ?? {})) {
      let spec: CollectorSpec;
      try {
        spec = parseCollectorSpec(raw, `metrics.collect.${name}`);
      } catch (err) {
        // config.go's wording for a bad type.
        const type = isObject(raw) ? field(raw, 'type') : undefined;
        if (typeof type !== 'string' || !TYPES.has(type))
          throw new Error(`metrics.collect: invalid metric type \`${String(type ?? '')}\` for \`${name}\``, { cause: err });
        throw err;
      }
      this.register(name, spec, `metrics.collect.${name}`);
    }
  }

  /** Names of the declared collectors (short names, as declared). */
  names(): string[] {
    return [...this.collectors.keys()];
  }

  declare(arg: unknown): true {
    const op = 'metrics_plugin_declare';
    if (!isObject(arg) || typeof field(arg, 'name') !== 'string')
      throw new MetricsError(op, 'the argument must be {"name": "...", "collector": {...}}');
    const name = field(arg, 'name') as string;
    if (this.collectors.has(name)) throw new MetricsError(op, `tried to register existing collector with the name \`${name}\``);
    this.register(name, parseCollectorSpec(field(arg, 'collector'), op), op);
    return true;
  }

  add(arg: unknown): true {
    const op = 'metrics_plugin_add';
    const m = parseSample(arg, op);
    const e = this.collectors.get(m.name);
    if (!e) throw new MetricsError(op, `undefined collector ${m.name}, try first Declare the desired collector`);
    if (e.metric instanceof Gauge) e.metric.inc(this.labels(e, m, op), m.value);
    else if (e.metric instanceof Counter) {
      // Go's Counter.Add panics on a negative value; here it is an error reply.
      if (m.value < 0) throw new MetricsError(op, 'counter cannot decrease in value');
      e.metric.inc(this.labels(e, m, op, true), m.value);
    } else throw new MetricsError(op, `collector ${m.name} does not support method \`Add\``);
    return true;
  }

  sub(arg: unknown): true {
    const op = 'metrics_plugin_sub';
    const m = parseSample(arg, op);
    const e = this.collectors.get(m.name);
    if (!e) throw new MetricsError(op, `undefined collector ${m.name}`);
    if (!(e.metric instanceof Gauge)) throw new MetricsError(op, `collector \`${m.name}\` does not support method \`Sub\``);
    e.metric.dec(this.labels(e, m, op), m.value);
    return true;
  }

  set(arg: unknown): true {
    const op = 'metrics_plugin_set';
    const m = parseSample(arg, op);
    const e = this.collectors.get(m.name);
    if (!e) throw new MetricsError(op, `undefined collector ${m.name}`);
    if (!(e.metric instanceof Gauge)) throw new MetricsError(op, `collector \`${m.name}\` does not support method Set`);
    e.metric.set(this.labels(e, m, op), m.value);
    return true;
  }

  observe(arg: unknown): true {
    const op = 'metrics_plugin_observe';
    const m = parseSample(arg, op);
    const e = this.collectors.get(m.name);
    if (!e) throw new MetricsError(op, `undefined collector ${m.name}`);
    if (!(e.metric instanceof Histogram) && !(e.metric instanceof Summary)) {
      throw new MetricsError(op, `collector \`${m.name}\` does not support method \`Observe\``);
    }
    e.metric.observe(this.labels(e, m, op, true), m.value);
    return true;
  }

  unregister(arg: unknown): true {
    const op = 'metrics_plugin_unregister';
    if (typeof arg !== 'string') throw new MetricsError(op, 'the argument must be the collector name (a JSON string)');
    const e = this.collectors.get(arg);
    if (!e) throw new MetricsError(op, `undefined collector ${arg}`);
    this.collectors.delete(arg);
    this.registry.removeSingleMetric(fqName(arg, e.spec));
    return true;
  }

  private register(name: string, spec: CollectorSpec, op: string): void {
    const full = fqName(name, spec);
    if (this.registry.getSingleMetric(full)) {
      // client_golang's Registry.Register wording for a name another collector already exports.
      throw new MetricsError(op, `duplicate metrics collector registration attempted: ${full}`);
    }
    const config = { name: full, help: spec.help || full, labelNames: spec.labels, registers: [this.registry] };
    let metric: Entry['metric'];
    try {
      switch (spec.type) {
        case 'counter':
          metric = new Counter(config);
          break;
        case 'gauge':
          metric = new Gauge(config);
          break;
        case 'histogram':
          // An empty list means Go's DefBuckets, which are prom-client's defaults too.
          metric = new Histogram(spec.buckets.length ? { ...config, buckets: spec.buckets } : config);
          break;
        case 'summary': {
          // Go's summaries have no quantiles unless objectives are given; the window is Go's (10 min, 5 buckets).
          const percentiles = Object.keys(spec.objectives)
            .map(Number)
            .sort((a, b) => a - b);
          metric = new Summary({ ...config, percentiles, maxAgeSeconds: 600, ageBuckets: 5 });
          break;
        }
      }
    } catch (err) {
      // prom-client: "Invalid metric name", "Invalid label name"...; Go: descriptor ... is invalid.
      throw new MetricsError(op, `descriptor for ${JSON.stringify(full)} is invalid: ${(err as Error).message}`);
    }
    this.collectors.set(name, { spec, metric });
  }

  /** Label values → prom-client's label object; a vector collector requires exactly its label count. */
  private labels(e: Entry, m: Sample, op: string, backticks = false): Record<string, string> {
    const names = e.spec.labels;
    if (names.length === 0) return {}; // Go ignores labels sent to a plain collector
    if (m.labels.length === 0)
      throw new MetricsError(op, backticks ? `required labels for collector \`${m.name}\`` : `required labels for collector ${m.name}`);
    if (m.labels.length !== names.length) {
      throw new MetricsError(
        op,
        `inconsistent label cardinality: expected ${names.length} label values but got ${m.labels.length} in ${goStrings(m.labels)}`,
      );
    }
    const out: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) out[names[i]!] = m.labels[i]!;
    return out;
  }

  /** `metrics.*` RPC methods. */
  rpcMethods(): Array<[string, (arg: unknown) => unknown]> {
    return [
      ['metrics.Declare', (a) => this.declare(a)],
      ['metrics.Add', (a) => this.add(a)],
      ['metrics.Sub', (a) => this.sub(a)],
      ['metrics.Set', (a) => this.set(a)],
      ['metrics.Observe', (a) => this.observe(a)],
      ['metrics.Unregister', (a) => this.unregister(a)],
    ];
  }
}
