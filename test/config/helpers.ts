/** Shared by the config tests: a .rr.yaml in a temp dir, and the message of the ConfigError a load throws. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/load.js';

/** Writes `text` as .rr.yaml (and `extra` files beside it) in a fresh temp dir, runs `fn`, removes the dir. */
export function withFile<T>(text: string, fn: (file: string, dir: string) => T, extra: Record<string, string> = {}): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'burner-cfg-'));
  try {
    const file = path.join(dir, '.rr.yaml');
    writeFileSync(file, text);
    for (const [name, body] of Object.entries(extra)) writeFileSync(path.join(dir, name), body);
    return fn(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected an error');
}
