/**
 * `-o key=value` overrides as RoadRunner reads them: the key is a dotted path (`http.pool.num_workers`, and through
 * maps such as `reload.services.http.dirs`), the value may be quoted with `'`, `"` or `` ` `` and is env-expanded.
 * Where the schema wants a list (`reload.patterns`, `http.middleware`, ...) the value is split on commas, as
 * RoadRunner's config decoding splits a string given for a list (`-o reload.patterns=.php,.env`). Keys that take
 * a string or a list (`server.command`, log outputs) keep the string: a command is split on spaces, not commas.
 */
import type { z } from 'zod';
import { configSchema } from './schema.js';
import { expandEnv } from './expand.js';

export interface Override {
  /** The override as given on the command line, for error positions (`-o <spec>`). */
  spec: string;
  key: string;
  keyPath: string[];
  /** The text, or the list of items when the key is a list. */
  value: string | string[];
}

/** Thrown with the message to report (the loader wraps it in its ConfigError). */
export class OverrideError extends Error {
  override name = 'OverrideError';
}

export function parseOverride(spec: string, env: NodeJS.ProcessEnv): Override {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new OverrideError(`-o ${spec}: an override must look like key=value (for example http.pool.num_workers=4)`);
  const key = spec.slice(0, eq).trim();
  const keyPath = key.split('.');
  if (keyPath.some((k) => k === '')) throw new OverrideError(`-o ${spec}: invalid key "${key}"`);
  const text = expandEnv(unquote(spec.slice(eq + 1).trim()), env);
  return { spec, key, keyPath, value: isListKey(keyPath) ? splitList(text) : text };
}

/** Items around commas, trimmed; empty items are dropped, so an empty value is an empty list. */
function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function unquote(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'" || q === '`') && value.length >= 2 && value.endsWith(q)) return value.slice(1, -1);
  return value;
}

type Schema = z.core.$ZodType;
type Def = { type: string; innerType?: Schema; in?: Schema; out?: Schema; shape?: Record<string, Schema>; valueType?: Schema };

const def = (schema: Schema): Def => schema._zod.def as unknown as Def;

/** The schema of the value as written: through defaults, optionals and transforms to the type that reads it. */
function unwrap(schema: Schema): Schema {
  for (;;) {
    const d = def(schema);
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) {
      schema = d.innerType;
    } else if (d.type === 'pipe' && d.in && d.out) {
      // .transform() pipes the type into a transform; z.preprocess() pipes a transform into the type.
      schema = def(d.in).type === 'transform' ? d.out : d.in;
    } else {
      return schema;
    }
  }
}

/** Whether the config key at this path is a list (and only a list) in the schema. */
export function isListKey(keyPath: string[], root: Schema = configSchema): boolean {
  let schema: Schema | undefined = root;
  for (const key of keyPath) {
    const d = def(unwrap(schema));
    if (d.type === 'object') schema = d.shape?.[key];
    else if (d.type === 'record') schema = d.valueType;
    else return false;
    if (schema === undefined) return false;
  }
  return def(unwrap(schema)).type === 'array';
}
