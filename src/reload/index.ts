/**
 * Development reload (roadrunner-protocol.md §7.3): every `interval`, walk the configured directories, compare file
 * modification times, and once a whole interval has passed without further changes, reset the plugin's workers.
 * Polling (not inotify) keeps it identical on every filesystem, including bind mounts.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../pool/types.js';

export interface WatchService {
  dirs: string[];
  recursive: boolean;
  ignore: string[];
  /** Extensions with the dot (".php") or glob-free suffixes. */
  patterns: string[];
}

export interface ReloadOptions {
  interval: number;
  services: Map<string, WatchService>;
  reset: (plugin: string) => Promise<void>;
  log: Log;
}

type Snapshot = Map<string, string>;

async function scan(service: WatchService): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  const ignore = new Set(service.ignore.map((d) => path.resolve(d)));
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (service.recursive && !ignore.has(full)) await walk(full);
      } else if (service.patterns.some((p) => e.name.endsWith(p))) {
        try {
          const s = await stat(full);
          snap.set(full, `${s.mtimeMs}:${s.size}:${s.mode}`);
        } catch {
          /* removed meanwhile */
        }
      }
    }
  };
  for (const dir of service.dirs) await walk(path.resolve(dir));
  return snap;
}

function changed(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return true;
  for (const [k, v] of a) if (b.get(k) !== v) return true;
  return false;
}

export class Reloader {
  private timer: NodeJS.Timeout | undefined;
  private readonly last = new Map<string, Snapshot>();
  private readonly dirty = new Set<string>();
  private running: Promise<void> | undefined;

  constructor(private readonly options: ReloadOptions) {}

  async start(): Promise<void> {
    let files = 0;
    for (const [name, svc] of this.options.services) {
      const snap = await scan(svc);
      this.last.set(name, snap);
      files += snap.size;
    }
    // Changes count from here: a file written before this line is part of the starting state.
    this.options.log.info({ plugins: [...this.options.services.keys()], files }, 'reload: watching');
    this.timer = setInterval(
      () => {
        this.running ??= this.tick().finally(() => (this.running = undefined));
      },
      Math.max(this.options.interval, 100),
    );
    this.timer.unref();
  }

  /** No more scans; waits for a scan or reset in progress, so the pool is not stopped under a running reset. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async tick(): Promise<void> {
    const quiet: string[] = [];
    for (const [name, svc] of this.options.services) {
      const next = await scan(svc);
      if (changed(this.last.get(name)!, next)) {
        this.dirty.add(name);
        this.last.set(name, next);
      } else if (this.dirty.has(name)) {
        quiet.push(name); // a whole interval without further changes: debounce done
      }
    }
    for (const name of quiet) {
      this.dirty.delete(name);
      this.options.log.info({ plugin: name }, 'reload: files changed, resetting workers');
      await this.options
        .reset(name)
        .catch((err: unknown) => this.options.log.error({ plugin: name, err: String(err) }, 'reload: reset failed'));
    }
  }
}
