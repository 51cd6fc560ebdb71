/**
 * Directories the config names must exist when the server starts: a missing `http.static.dir` would serve nothing
 * and a missing `http.uploads.dir` would fail every upload, both silently. Neither is created: a typo must not
 * become a new directory. Checked by `rr serve` only (`rr reset` and `rr workers` read the same config elsewhere).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type LoadedConfig } from './load.js';

export function checkDirectories(loaded: LoadedConfig, cwd: string): void {
  const http = loaded.config.http;
  if (!http) return;
  const dirs: Array<[key: string, dir: string | undefined, why: string]> = [
    ['http.static.dir', http.static?.dir, 'static files are served from it'],
    ['http.uploads.dir', http.uploads.dir, 'uploaded files are written to it; leave the key out to use the system temp dir'],
  ];
  for (const [key, dir, why] of dirs) {
    if (dir === undefined) continue;
    const full = path.resolve(cwd, dir);
    let problem: string | undefined;
    try {
      if (!statSync(full).isDirectory()) problem = 'is not a directory';
    } catch (err) {
      problem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    }
    if (problem) throw new ConfigError(`${loaded.locate(key)}: ${key}: ${full} ${problem} (${why})`);
  }
}
