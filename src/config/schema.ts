/**
 * The `.rr.yaml` (version "3") sections Burner understands, with RoadRunner's defaults
 * (roadrunner-protocol.md §3.8, §4.1, §6.2). Validated once at startup; durations become milliseconds.
 * Unknown keys are errors so that a typo never silently does nothing; RoadRunner keys Burner accepts but does not use
 * are warnings (keys.ts, IGNORED_KEYS).
 */
import os from 'node:os';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { tryParseAddress } from '../net/listen.js';

/**
 * The loader hands every value over as the text of the YAML scalar (env expansion never re-types it), so numbers and
 * booleans are read here, where the key says what it is. Accepted: YAML 1.2 core numbers (`8`, `1.5`, `1e3`, `0x1F`,
 * `0o17`) and booleans (`true`, `False`, ...), plus the `1`/`0`/`t`/`f` RoadRunner's weak decoding takes from env values.
 */
const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
function toNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const s = value.trim();
  if (NUMBER.test(s)) return Number(s);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^0o[0-7]+$/.test(s)) return Number.parseInt(s.slice(2), 8);
  return value;
}
const TRUE = new Set(['true', 'True', 'TRUE', '1', 't', 'T']);
const FALSE = new Set(['false', 'False', 'FALSE', '0', 'f', 'F']);
function toBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (TRUE.has(value.trim())) return true;
  if (FALSE.has(value.trim())) return false;
  return value;
}

const num = <T extends z.ZodType<number>>(inner: T) => z.preprocess(toNumber, inner);
const bool = () => z.preprocess(toBoolean, z.boolean());

/** A duration written as a bare number below 1 ms is a forgotten unit (`exec_ttl: 30` is 30 ns in Go's reading). */
const BARE_NS_LIMIT = 1_000_000;

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const bare = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
      if (bare !== undefined && bare !== 0 && bare < BARE_NS_LIMIT) {
        ctx.issues.push({
          code: 'custom',
          message: `${bare} without a unit is ${bare} ns (a bare number is nanoseconds, as in RoadRunner); write the unit, e.g. ${bare}s or ${bare}ms`,
          input: value,
        });
        return z.NEVER;
      }
      try {
        return parseDuration(value);
      } catch (err) {
        ctx.issues.push({ code: 'custom', message: (err as Error).message, input: value });
        return z.NEVER;
      }
    });

const nonNegativeInt = (fallback: number) => num(z.number().int().min(0)).default(fallback);

/** A command is a string split on single spaces (no shell), or an argv list. */
const command = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .transform((value) => (typeof value === 'string' ? value.split(' ').filter((part) => part !== '') : value));

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** Checked with the same parser the listeners use, so a bad port fails here with its file:line:key. */
const address = (unix: boolean) =>
  z.string().superRefine((v, ctx) => {
    const parsed = tryParseAddress(v, { unix });
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });
const listenAddress = address(false);

const supervisor = z.strictObject({
  watch_tick: duration('5s'),
  ttl: duration('0s'),
  idle_ttl: duration('0s'),
  max_worker_memory: num(z.number().min(0)).default(0),
  exec_ttl: duration('0s'),
});

const pool = z.strictObject({
  command: command.optional(),
  num_workers: nonNegativeInt(0).transform((n) => (n === 0 ? os.availableParallelism() : n)),
  max_jobs: nonNegativeInt(0),
  max_queue_size: nonNegativeInt(0),
  allocate_timeout: duration('60s'),
  reset_timeout: duration('60s'),
  destroy_timeout: duration('60s'),
  stream_timeout: duration('60s'),
  debug: bool().default(false),
  // Burner's own: write a request ahead to a busy worker while requests wait (src/pool/dispatch.ts), to workers
  // that say in their handshake they can take it.
  pipelining: bool().default(true),
  supervisor: supervisor.optional(),
  dynamic_allocator: z
    .strictObject({
      max_workers: nonNegativeInt(10),
      spawn_rate: nonNegativeInt(5),
      idle_timeout: duration('1m'),
    })
    .optional(),
});

const extensionList = z
  .array(z.string())
  .default([])
  .transform((list) => list.map((e) => e.toLowerCase()));

const http = z.strictObject({
  address: listenAddress,
  internal_error_code: num(z.number().int().min(400).max(599)).default(500),
  max_request_size: num(z.number().min(0))
    .default(1000)
    .transform((mb) => (mb === 0 ? 1000 : mb)),
  /** Burner: MB of urlencoded form (or multipart non-file fields) parsed for the worker; default 10 (Go's cap). */
  max_form_size: num(z.number().positive()).optional(),
  /** Burner: time to receive a whole request (408 after it); 0 = no limit. Default 5m (RoadRunner's read timeout). */
  read_timeout: duration('5m'),
  /** Burner: time a response write may wait for a client that does not read; 0 = no limit. */
  write_timeout: duration('5m'),
  /** Burner: open client connections at most (0 = no cap); default: three quarters of the open-files limit. */
  max_connections: num(z.number().int().min(0)).optional(),
  /** Burner: MB of a streamed response held for a client that reads slower than the worker writes (default 64). */
  max_response_buffer: num(z.number().positive()).optional(),
  raw_body: bool().default(false),
  access_logs: bool().default(false),
  /** Burner extension: the codec of the request context sent to workers. */
  codec: z.enum(['json', 'proto']).default('json'),
  middleware: z.array(z.string()).default([]),
  trusted_subnets: z.array(z.string()).default([]),
  uploads: z
    .strictObject({
      dir: z.string().default(os.tmpdir()),
      forbid: extensionList,
      allow: extensionList,
    })
    .prefault({}),
  headers: z
    .strictObject({
      request: z.record(z.string(), z.string()).optional(),
      response: z.record(z.string(), z.string()).optional(),
      cors: z
        .strictObject({
          allowed_origin: z.string().optional(),
          allowed_origin_regex: z.string().optional(),
          allowed_headers: z.string().optional(),
          allowed_methods: z.string().optional(),
          allow_credentials: bool().optional(),
          exposed_headers: z.string().optional(),
          max_age: num(z.number().int()).optional(),
          options_success_status: num(z.number().int()).optional(),
          debug: bool().optional(),
        })
        .optional(),
    })
    .optional(),
  static: z
    .strictObject({
      dir: z.string().default('.'),
      forbid: extensionList,
      allow: extensionList,
      calculate_etag: bool().default(false),
      weak: bool().default(false),
      request: z.record(z.string(), z.string()).optional(),
      response: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  pool: pool.prefault({}),
});

const logChannel = z.strictObject({
  mode: z.enum(['development', 'production', 'raw', 'off', 'none']).optional(),
  level: z.enum(['debug', 'info', 'warn', 'error', 'panic', 'fatal']).optional(),
  encoding: z.enum(['console', 'json']).optional(),
  output: z.union([z.string(), z.array(z.string())]).optional(),
  err_output: z.union([z.string(), z.array(z.string())]).optional(),
  line_ending: z.string().optional(),
});

const logs = logChannel.extend({
  channels: z.record(z.string(), logChannel).optional(),
  file_logger_options: z
    .strictObject({
      log_output: z.string().optional(),
      max_size: num(z.number()).optional(),
      max_age: num(z.number()).optional(),
      max_backups: num(z.number()).optional(),
      compress: bool().optional(),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  version: z.literal('3', { message: 'version must be the string "3" (quote it: version: "3")' }),
  include: z.array(z.string()).optional(),
  rpc: z
    .strictObject({
      listen: address(true).default('tcp://127.0.0.1:6001'),
      /** Burner: MiB one RPC frame may claim; larger frames are refused before buffering (default 16). */
      max_frame_size: num(z.number().positive()).optional(),
    })
    .optional(),
  server: z.strictObject({
    command,
    user: z.string().optional(),
    group: z.string().optional(),
    env: stringMap.optional(),
    relay: z
      .string()
      .default('pipes')
      .refine(
        (v) =>
          v === 'pipes' || ((v.startsWith('tcp://') || v.startsWith('unix://')) && typeof tryParseAddress(v, { unix: true }) !== 'string'),
        {
          message: 'must be "pipes", "tcp://host:port" or "unix:///path/to.sock"',
        },
      ),
    relay_timeout: duration('60s'),
    /** Burner: SCHED_BATCH for the server and its workers ("batch", the default), the workers only, or neither ("normal"). */
    scheduling: z.enum(['batch', 'workers', 'normal']).default('batch'),
    on_init: z
      .strictObject({
        command,
        exec_timeout: duration('1m'),
        env: stringMap.optional(),
        user: z.string().optional(),
        exit_on_error: bool().default(false),
      })
      .optional(),
  }),
  http: http.optional(),
  logs: logs.optional(),
  status: z
    .strictObject({
      address: listenAddress,
      unavailable_status_code: num(z.number().int()).default(503),
      check_timeout: num(z.number().int().min(1)).default(60),
      /** Burner: on SIGTERM, how long /health answers 503 before the listeners stop (load balancers move away first). */
      drain_delay: duration('0s'),
    })
    .optional(),
  metrics: z
    .strictObject({
      address: listenAddress.default('127.0.0.1:2112'),
      collect: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  reload: z
    .strictObject({
      interval: duration('1s'),
      patterns: z.array(z.string()).default(['.php']),
      services: z
        .record(
          z.string(),
          z.strictObject({
            dirs: z.array(z.string()).default(['.']),
            recursive: bool().default(true),
            ignore: z.array(z.string()).default([]),
            patterns: z.array(z.string()).default([]),
          }),
        )
        .default({}),
    })
    .optional(),
  endure: z
    .strictObject({
      grace_period: duration('30s'),
      log_level: z.string().optional(),
      print_graph: bool().optional(),
      watchdog_sec: num(z.number()).optional(),
    })
    .optional(),
});

export type Config = z.output<typeof configSchema>;
