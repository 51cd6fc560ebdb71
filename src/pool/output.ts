/**
 * What a child process prints, as log lines: chunks are split on newlines with the partial last line kept for the
 * next chunk (a line split across two reads is one line), and the last lines are kept to quote in error messages.
 * Used for worker stderr (and stdout on socket relays) and for `server.on_init` output.
 */
import type { Readable } from 'node:stream';

/** A line without a newline for this long is logged as it is, so one endless line cannot grow without bound. */
const MAX_LINE = 65536;

/**
 * Worker stderr: a partial line that nothing follows for this long is logged as it is. RoadRunner logs each stderr
 * write as it comes, and loggers such as the official SDK's `Worker::getLogger()` write without a trailing newline;
 * a line split across two quick writes is still one line. (on_init output waits for the newline or the end.)
 */
export const PARTIAL_LINE_FLUSH_MS = 250;

export class LineSplitter {
  private partial = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly flushAfterMs = 0,
  ) {}

  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    if (this.partial.length > MAX_LINE) {
      lines.push(this.partial);
      this.partial = '';
    }
    for (const line of lines) this.emit(line);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.partial !== '' && this.flushAfterMs > 0) {
      this.timer = setTimeout(() => this.end(), this.flushAfterMs);
      this.timer.unref();
    }
  }

  /** The stream ended (or went quiet): a last line without a newline is still a line. */
  end(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.partial !== '') this.emit(this.partial);
    this.partial = '';
  }

  private emit(line: string): void {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line !== '') this.onLine(line);
  }
}

/** Feeds a readable stream into a splitter of its own (decoded as UTF-8, so a character split across reads is whole). */
export function splitLines(stream: Readable, onLine: (line: string) => void, flushAfterMs = 0): void {
  const splitter = new LineSplitter(onLine, flushAfterMs);
  stream.setEncoding('utf8');
  stream.on('data', (s: string) => splitter.push(s));
  stream.on('end', () => splitter.end());
}

/** The last `max` lines (each cut at 1000 characters). */
export class OutputTail {
  private readonly lines: string[] = [];

  constructor(private readonly max = 30) {}

  add(line: string): void {
    this.lines.push(line.length > 1000 ? `${line.slice(0, 1000)}...` : line);
    if (this.lines.length > this.max) this.lines.shift();
  }

  text(): string {
    return this.lines.join('\n');
  }
}
