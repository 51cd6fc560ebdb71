/**
 * Tables of RoadRunner keys the loader treats specially: sections of plugins Burner lacks (a warning), options it
 * refuses (an error that says why), keys it accepts but ignores (a warning naming file:line:key), duration keys.
 */

/** RoadRunner plugin sections that Burner does not provide: reported as a warning, not an error. */
export const FOREIGN_SECTIONS = new Set([
  'jobs',
  'kv',
  'grpc',
  'temporal',
  'tcp',
  'centrifuge',
  'service',
  'otel',
  'fileserver',
  'redis',
  'amqp',
  'beanstalk',
  'boltdb',
  'kafka',
  'nats',
  'sqs',
  'memcached',
  'memory',
  'lock',
  'broadcast',
  'websockets',
  'informer',
  'resetter',
  'app-logger',
  'envfile',
  'api',
  'gzip',
  'headers',
  'sendfile',
  'prometheus',
]);

/** RoadRunner keys Burner knows but does not implement: an error that says so (silently serving without TLS would be worse). */
export const UNSUPPORTED_KEYS = new Map([
  ['http.ssl', 'TLS is not built in: terminate HTTPS in a reverse proxy (nginx, Caddy, a load balancer) in front of Burner'],
  ['http.http2', 'HTTP/2 is not supported yet'],
  ['http.http3', 'HTTP/3 is not supported'],
  ['http.fcgi', 'the FastCGI listener is not supported'],
]);

/** Every duration key, for the startup warning about bare numbers read as nanoseconds. */
export const DURATION_KEYS = [
  'server.relay_timeout',
  'server.on_init.exec_timeout',
  'http.read_timeout',
  'http.write_timeout',
  'http.pool.allocate_timeout',
  'http.pool.reset_timeout',
  'http.pool.destroy_timeout',
  'http.pool.stream_timeout',
  'http.pool.supervisor.watch_tick',
  'http.pool.supervisor.ttl',
  'http.pool.supervisor.idle_ttl',
  'http.pool.supervisor.exec_ttl',
  'http.pool.dynamic_allocator.idle_timeout',
  'status.drain_delay',
  'reload.interval',
  'endure.grace_period',
];

/**
 * RoadRunner keys Burner accepts (so an RR config loads) but does not act on: each one found gives a startup warning
 * naming file:line:key. `*` stands for one key segment. Remove a row when its key gets implemented.
 */
export const IGNORED_KEYS = new Map<string, string>([
  ['server.user', "workers run as the server's own user"],
  ['server.group', "workers run as the server's own group"],
  ['server.relay_timeout', 'workers get pool.allocate_timeout to connect to a tcp/unix relay'],
  ['server.on_init.user', "on_init runs as the server's own user"],
  ['http.pool.dynamic_allocator', 'the pool keeps num_workers'],
  ['http.static.request', 'request headers are not added for static files'],
  ['http.headers.cors.debug', 'no CORS debug log'],
  ['status.check_timeout', 'plugin checks answer from memory and do not time out'],
  ['logs.err_output', 'every log line goes to logs.output'],
  ['logs.line_ending', 'lines end with \\n'],
  ['logs.file_logger_options', 'no built-in log rotation: point logs.output at a file and rotate it with logrotate (copytruncate)'],
  ['logs.channels.*.output', 'channels share logs.output'],
  ['logs.channels.*.err_output', 'channels share logs.output'],
  ['logs.channels.*.encoding', 'channels share logs.encoding'],
  ['logs.channels.*.line_ending', 'lines end with \\n'],
  ['endure.log_level', 'use logs.level'],
  ['endure.print_graph', 'there is no plugin graph to print'],
  ['endure.watchdog_sec', 'no systemd watchdog'],
]);
