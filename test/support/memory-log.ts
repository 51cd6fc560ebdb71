/** A logger for tests: records every entry, prints nothing. */
import type { Log } from '../../src/pool/types.js';

export interface Entry {
  level: string;
  obj: unknown;
  msg: string;
}

export class MemoryLog implements Log {
  readonly entries: Entry[] = [];

  /** The same entries (the name the HTTP tests use). */
  get lines(): Entry[] {
    return this.entries;
  }

  private add(level: string, obj: object | string, msg?: string): void {
    this.entries.push(typeof obj === 'string' ? { level, obj: {}, msg: obj } : { level, obj, msg: msg ?? '' });
  }

  debug(obj: object | string, msg?: string): void {
    this.add('debug', obj, msg);
  }

  info(obj: object | string, msg?: string): void {
    this.add('info', obj, msg);
  }

  warn(obj: object | string, msg?: string): void {
    this.add('warn', obj, msg);
  }

  error(obj: object | string, msg?: string): void {
    this.add('error', obj, msg);
  }

  has(level: string, pattern: RegExp): boolean {
    return this.entries.some((l) => l.level === level && pattern.test(l.msg));
  }

  text(level?: string): string {
    return this.entries
      .filter((e) => !level || e.level === level)
      .map((e) => `${e.level} ${e.msg}`)
      .join('\n');
  }
}
