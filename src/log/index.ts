/**
 * Logging with pino. `logs.encoding` decides the format; without it, readable lines go to a terminal and JSON lines
 * anywhere else (files, pipes, log collectors). `logs.mode: off|none` silences everything. `logs.channels.<name>`
 * sets the level (or `mode: off`) of one channel, i.e. of the child loggers bound to `{ logger: name }` (http,
 * server, rpc, reload, ...); channels share the root's output and encoding.
 */
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Config } from '../config/schema.js';

export type { Logger } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLORS: Record<number, string> = { 20: '\x1b[90m', 30: '\x1b[36m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[35m' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'logger']);

/** Turns pino's JSON lines into `time LEVEL channel message key=value` lines. */
export class ConsoleFormatter extends Writable {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly color: boolean,
  ) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (line !== '') this.out.write(this.format(line));
    }
    done();
  }

  format(line: string): string {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return `${line}\n`;
    }
    const level = Number(entry.level);
    const time = new Date(Number(entry.time)).toISOString().slice(11, 23);
    const name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
    const channel = typeof entry.logger === 'string' ? ` ${entry.logger}` : '';
    let extra = '';
    for (const [k, v] of Object.entries(entry)) {
      if (OMIT.has(k)) continue;
      if (k === 'err' && v && typeof v === 'object' && 'stack' in v) {
        extra += `\n${String((v as { stack: unknown }).stack)}`;
        continue;
      }
      extra += ` ${k}=${typeof v === 'string' ? (/[\s"]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`;
    }
    const msg = typeof entry.msg === 'string' ? entry.msg : '';
    if (!this.color) return `${time} ${name}${channel} ${msg}${extra}\n`;
    const c = LEVEL_COLORS[level] ?? '';
    return `\x1b[90m${time}\x1b[0m ${c}${name}\x1b[0m\x1b[1m${channel}\x1b[0m ${msg}\x1b[90m${extra}\x1b[0m\n`;
  }
}

export interface LoggerOptions {
  silent?: boolean;
  /** Where lines go when logs.output is not set (default: process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createLogger(logs: Config['logs'] | undefined, options: LoggerOptions = {}): Logger {
  const mode = logs?.mode ?? 'development';
  const level =
    options.silent || mode === 'off' || mode === 'none' ? 'silent' : mapLevel(logs?.level ?? (mode === 'development' ? 'info' : 'info'));
  const output = Array.isArray(logs?.output) ? logs?.output[0] : logs?.output;
  let target: NodeJS.WritableStream & { isTTY?: boolean };
  if (output === undefined || output === 'stderr') target = options.stream ?? process.stderr;
  else if (output === 'stdout') target = process.stdout;
  else target = createWriteStream(output, { flags: 'a' });
  const encoding = logs?.encoding ?? (mode === 'raw' ? 'console' : target.isTTY ? 'console' : 'json');
  const channels = logs?.channels ?? {};
  const onChild = (child: Logger): void => {
    const name = (child.bindings() as { logger?: unknown }).logger;
    const channel = typeof name === 'string' ? channels[name] : undefined;
    if (!channel || level === 'silent') return;
    if (channel.mode === 'off' || channel.mode === 'none') child.level = 'silent';
    else if (channel.level) child.level = mapLevel(channel.level);
  };
  const base = { base: undefined, level, timestamp: pino.stdTimeFunctions.epochTime, onChild };
  if (encoding === 'console') return pino(base, new ConsoleFormatter(target, Boolean(target.isTTY)));
  if (target === process.stderr) return pino(base, pino.destination({ dest: 2, sync: false }));
  if (target === process.stdout) return pino(base, pino.destination({ dest: 1, sync: false }));
  return pino(base, target);
}

function mapLevel(level: string): string {
  return level === 'panic' ? 'fatal' : level;
}
