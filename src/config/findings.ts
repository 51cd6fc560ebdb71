/**
 * Non-fatal findings about a valid config, each naming file:line:key: RoadRunner keys Burner accepts but ignores,
 * durations written as bare numbers (nanoseconds), several log outputs of which only the first is used.
 */
import { formatDuration } from './duration.js';
import { DURATION_KEYS, IGNORED_KEYS } from './keys.js';

/** `data`: the config as the schema got it (strings as written); `locate`: file:line (or -o) of a dotted key. */
export function findings(data: Record<string, unknown>, locate: (key: string) => string): string[] {
  const out = [...ignoredKeyWarnings(data, locate), ...bareDurationWarnings(data, locate)];
  const outputs = valueAt(data, ['logs', 'output']);
  if (Array.isArray(outputs) && outputs.length > 1) {
    out.push(
      `${locate('logs.output')}: logs.output: only the first output (${JSON.stringify(outputs[0])}) is used by Burner; the others are ignored`,
    );
  }
  return out;
}

function valueAt(data: unknown, keyPath: string[]): unknown {
  let node = data;
  for (const key of keyPath) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every present key matching an IGNORED_KEYS pattern (`*` = any one segment). */
function ignoredKeyWarnings(data: Record<string, unknown>, locate: (key: string) => string): string[] {
  const out: string[] = [];
  const visit = (node: unknown, pattern: string[], done: string[], note: string): void => {
    if (pattern.length === 0) {
      if (node !== undefined) {
        const key = done.join('.');
        out.push(`${locate(key)}: ${key}: accepted for RoadRunner compatibility, not used by Burner (${note})`);
      }
      return;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    const [head, ...rest] = pattern;
    const keys = head === '*' ? Object.keys(node) : [head!];
    for (const k of keys) visit((node as Record<string, unknown>)[k], rest, [...done, k], note);
  };
  for (const [pattern, note] of IGNORED_KEYS) visit(data, pattern.split('.'), [], note);
  return out;
}

/** A bare number at a duration key is nanoseconds; small ones are rejected by the schema, large ones are named here. */
function bareDurationWarnings(data: Record<string, unknown>, locate: (key: string) => string): string[] {
  const out: string[] = [];
  for (const key of DURATION_KEYS) {
    const value = valueAt(data, key.split('.'));
    if (typeof value !== 'string' || !/^\s*\d+\s*$/.test(value) || Number(value) === 0) continue;
    const readable = formatDuration(Number(value) / 1e6);
    out.push(`${locate(key)}: ${key}: ${value.trim()} without a unit is read as nanoseconds (${readable}); write ${readable} to say so`);
  }
  return out;
}
