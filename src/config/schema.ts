/**
 * The `.rr.yaml` (version "3") sections Burner understands, with RoadRunner's defaults
 * (roadrunner-protocol.md §3.8, §4.1, §6.2). Validated once at startup; durations become milliseconds.
 * Unknown keys are errors so that a typo never silently does nothing.
 */
import os from 'node:os';
import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      try {
        return parseDuration(value);
      } catch (err) {
        ctx.issues.push({ code: 'custom', message: (err as Error).message, input: value });
        return z.NEVER;
      }
    });

const nonNegativeInt = (fallback: number) => z.number().int().min(0).default(fallback);

/** A command is a string split on single spaces (no shell), or an argv list. */
const command = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .transform((value) => (typeof value === 'string' ? value.split(' ').filter((part) => part !== '') : value));

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const listenAddress = z
  .string()
  .refine((v) => v.includes(':'), { message: 'must be host:port (for example 127.0.0.1:8080)' });

const supervisor = z.strictObject({
  watch_tick: duration('5s'),
  ttl: duration('0s'),
  idle_ttl: duration('0s'),
  max_worker_memory: z.number().min(0).default(0),
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
  debug: z.boolean().default(false),
  supervisor: supervisor.optional(),
  dynamic_allocator: z
    .strictObject({
      max_workers: nonNegativeInt(10),
      spawn_rate: nonNegativeInt(5),
      idle_timeout: duration('1m'),
    })
    .optional(),
});

const extensionList = z.array(z.string()).default([]).transform((list) => list.map((e) => e.toLowerCase()));

const http = z.strictObject({
  address: listenAddress,
  internal_error_code: z.number().int().min(400).max(599).default(500),
  max_request_size: z.number().min(0).default(1000).transform((mb) => (mb === 0 ? 1000 : mb)),
  raw_body: z.boolean().default(false),
  access_logs: z.boolean().default(false),
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
          allow_credentials: z.boolean().optional(),
          exposed_headers: z.string().optional(),
          max_age: z.number().int().optional(),
          options_success_status: z.number().int().optional(),
          debug: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  static: z
    .strictObject({
      dir: z.string().default('.'),
      forbid: extensionList,
      allow: extensionList,
      calculate_etag: z.boolean().default(false),
      weak: z.boolean().default(false),
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
      max_size: z.number().optional(),
      max_age: z.number().optional(),
      max_backups: z.number().optional(),
      compress: z.boolean().optional(),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  version: z.literal('3', { message: 'version must be the string "3" (quote it: version: "3")' }),
  include: z.array(z.string()).optional(),
  rpc: z.strictObject({ listen: z.string().default('tcp://127.0.0.1:6001') }).optional(),
  server: z.strictObject({
    command,
    user: z.string().optional(),
    group: z.string().optional(),
    env: stringMap.optional(),
    relay: z
      .string()
      .default('pipes')
      .refine((v) => v === 'pipes' || v.startsWith('tcp://') || v.startsWith('unix://'), {
        message: 'must be "pipes", "tcp://host:port" or "unix:///path/to.sock"',
      }),
    relay_timeout: duration('60s'),
    on_init: z
      .strictObject({
        command,
        exec_timeout: duration('1m'),
        env: stringMap.optional(),
        user: z.string().optional(),
        exit_on_error: z.boolean().default(false),
      })
      .optional(),
  }),
  http: http.optional(),
  logs: logs.optional(),
  status: z
    .strictObject({
      address: listenAddress,
      unavailable_status_code: z.number().int().default(503),
      check_timeout: z.number().int().min(1).default(60),
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
            recursive: z.boolean().default(true),
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
      print_graph: z.boolean().optional(),
      watchdog_sec: z.number().optional(),
    })
    .optional(),
});

export type Config = z.output<typeof configSchema>;
export type HttpConfig = NonNullable<Config['http']>;
export type PoolConfig = HttpConfig['pool'];

/** RoadRunner plugin sections that Burner does not provide: reported as a warning, not an error. */
export const FOREIGN_SECTIONS = new Set([
  'jobs', 'kv', 'grpc', 'temporal', 'tcp', 'centrifuge', 'service', 'otel', 'fileserver', 'redis', 'amqp',
  'beanstalk', 'boltdb', 'kafka', 'nats', 'sqs', 'memcached', 'memory', 'lock', 'broadcast', 'websockets', 'informer',
  'resetter', 'app-logger', 'envfile', 'api', 'gzip', 'headers', 'sendfile', 'prometheus',
]);

/** RoadRunner keys Burner knows but does not implement: an error that says so (silently serving without TLS would be worse). */
export const UNSUPPORTED_KEYS = new Map([
  ['http.ssl', 'TLS is not built in: terminate HTTPS in a reverse proxy (nginx, Caddy, a load balancer) in front of Burner'],
  ['http.http2', 'HTTP/2 is not supported yet'],
  ['http.http3', 'HTTP/3 is not supported'],
  ['http.fcgi', 'the FastCGI listener is not supported'],
]);
