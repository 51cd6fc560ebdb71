/**
 * Loads `.rr.yaml` the way RoadRunner does (roadrunner-protocol.md §6.1): version "3" as a string, `${VAR}`,
 * `$VAR` and `${VAR:-default}` expansion (expand.ts), `include:` files replacing whole sections, `-o key=value`
 * overrides, an optional dotenv file. YAML is read with the failsafe schema: every value reaches the schema as the
 * text it was written as (expanded), and the schema reads numbers and booleans where a key wants them, so a value
 * is never re-typed on the way (`PIN: 007` stays "007"). Every error and warning names the file, the line and the key.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Document, isAlias, isMap, isScalar, isSeq, isPair, LineCounter, parseDocument, parse as parseYaml, Scalar, YAMLMap } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { FOREIGN_SECTIONS, UNSUPPORTED_KEYS } from './keys.js';
import { parseDotenv } from './dotenv.js';
import { findings } from './findings.js';
import { expand, expandEnv } from './expand.js';
import { OverrideError, parseOverride, type Override } from './overrides.js';

export { expandEnv, parseDotenv };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Path of the config file (relative to cwd). */
  file: string;
  /** `-o key=value` overrides, in order. */
  overrides?: string[];
  /** dotenv file loaded into the environment before expansion (existing variables win). */
  dotenv?: string;
  /** Environment used for expansion (default process.env; dotenv values are added to it). */
  env?: NodeJS.ProcessEnv;
  /** Directory that `include:` paths are relative to (RoadRunner: the working directory). */
  workDir?: string;
}

export interface LoadedConfig {
  file: string;
  config: Config;
  /** The expanded, overridden document as plain data (for rpc.Config); literals typed as YAML reads them. */
  raw: Record<string, unknown>;
  /** Non-fatal findings, each naming file:line:key (foreign sections, ignored keys, unset variables, ...). */
  warnings: string[];
  /** `file:line` of a dotted key (or `-o key=value` when an override set it), for errors found after loading. */
  locate(key: string): string;
}

interface Source {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

function readSource(file: string): Source {
  if (!existsSync(file)) throw new ConfigError(`${file}: config file not found`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config file: ${(err as Error).message}`);
  }
  const lines = new LineCounter();
  // failsafe: every scalar stays the text it was written as; the schema reads numbers and booleans per key.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, schema: 'failsafe' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${pos.line}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  if (!isMap(doc.contents)) throw new ConfigError(`${file}:1: the config must be a YAML mapping of sections`);
  return { file, doc, lines };
}

/**
 * Expands env references in every scalar value (not keys), in place; reports unset names with their file:line:key.
 * `expanded` collects the scalars that held a reference: they stay strings in `raw` as well.
 */
function expandDocument(src: Source, env: NodeJS.ProcessEnv, expanded: WeakSet<object>, warnings: string[]): void {
  const walk = (node: unknown, keyPath: string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) walk(pair.value, [...keyPath, isScalar(pair.key) ? String(pair.key.value) : '?']);
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...keyPath, String(i)]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const { value, unset } = expand(node.value, env);
      expanded.add(node);
      if (unset.length > 0) {
        const line = src.lines.linePos(node.range?.[0] ?? 0).line;
        const names = unset.map((n) => `$${n}`).join(', ');
        warnings.push(
          `${src.file}:${line}: ${keyPath.join('.')}: ${names} ${unset.length > 1 ? 'are' : 'is'} not set in the environment and expands to nothing ` +
            `(value: ${JSON.stringify(value)}); write $$ for a literal $, or \${NAME:-} for an intended empty value`,
        );
      }
      node.value = value;
    }
  };
  walk(src.doc.contents, []);
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

/**
 * Plain data from the document. `typed` false (for the schema): strings as written, an empty or `~` value absent.
 * `typed` true (for rpc.Config): unexpanded plain literals typed as YAML's core schema reads them.
 */
function toData(node: unknown, doc: Document.Parsed, expanded: WeakSet<object>, typed: boolean): unknown {
  if (isAlias(node)) return toData(node.resolve(doc), doc, expanded, typed);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items)
      out[isScalar(pair.key) ? String(pair.key.value) : String(pair.key)] = toData(pair.value, doc, expanded, typed);
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => toData(item, doc, expanded, typed));
  if (isScalar(node)) {
    if (node.type !== Scalar.PLAIN || expanded.has(node) || typeof node.value !== 'string') return node.value;
    if (!typed) return NULLS.has(node.value) ? undefined : node.value;
    return coreValue(node.value);
  }
  return node ?? undefined;
}

function coreValue(text: string): unknown {
  try {
    const parsed: unknown = parseYaml(text);
    return typeof parsed === 'object' && parsed !== null ? text : parsed;
  } catch {
    return text;
  }
}

export function loadConfig(options: LoadOptions): LoadedConfig {
  const file = path.resolve(options.file);
  const env: NodeJS.ProcessEnv = options.env ?? process.env;
  const dotenvPath = options.dotenv ?? env.DOTENV_PATH;
  if (dotenvPath) {
    const dotenvFile = path.resolve(dotenvPath);
    if (!existsSync(dotenvFile)) throw new ConfigError(`${dotenvFile}: dotenv file not found`);
    for (const [k, v] of Object.entries(parseDotenv(readFileSync(dotenvFile, 'utf8')))) {
      if (env[k] === undefined) env[k] = v;
    }
  }

  const warnings: string[] = [];
  const expanded = new WeakSet<object>();
  const main = readSource(file);
  expandDocument(main, env, expanded, warnings);
  /** Which source each top-level section came from, for error positions. */
  const sectionSource = new Map<string, Source>();
  const root = main.doc.contents as YAMLMap;
  for (const pair of root.items) if (isScalar(pair.key)) sectionSource.set(String(pair.key.value), main);

  const versionNode = main.doc.get('version', true);
  if (versionNode === undefined) throw new ConfigError(`${file}:1: version: missing; add version: "3" at the top`);
  const version = isScalar(versionNode) ? versionNode.value : versionNode;
  if (isScalar(versionNode) && versionNode.type === Scalar.PLAIN && typeof coreValue(String(version)) === 'number') {
    throw new ConfigError(`${where(main, ['version'])}: version: version must be the string "3" (quote it: version: "3")`);
  }

  const includes = main.doc.get('include');
  if (includes !== undefined) {
    const list = isScalar(includes)
      ? [includes.value]
      : (includes as { items?: unknown[] })?.items?.map((i) => (isScalar(i) ? i.value : i));
    if (!Array.isArray(list) || list.some((i) => typeof i !== 'string')) {
      throw new ConfigError(`${where(main, ['include'])}: include: must be a list of file paths`);
    }
    for (const inc of list as string[]) {
      const incFile = path.resolve(options.workDir ?? path.dirname(file), inc);
      const src = readSource(incFile);
      expandDocument(src, env, expanded, warnings);
      const incVersion = src.doc.get('version');
      if (String(incVersion) !== String(version)) {
        throw new ConfigError(`${incFile}:1: version: an included file must declare the same version as ${file} ("${String(version)}")`);
      }
      for (const pair of (src.doc.contents as YAMLMap).items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (name === 'version' || name === 'include') continue;
        main.doc.set(name, pair.value);
        sectionSource.set(name, src);
      }
    }
  }

  const overridden = new Map<string, string>();
  for (const spec of options.overrides ?? []) {
    let override: Override;
    try {
      override = parseOverride(spec, env);
    } catch (err) {
      if (err instanceof OverrideError) throw new ConfigError(err.message);
      throw err;
    }
    const { key, keyPath, value } = override;
    main.doc.setIn(keyPath, Array.isArray(value) ? main.doc.createNode(value) : value);
    overridden.set(key, spec);
    if (!sectionSource.has(keyPath[0]!)) sectionSource.set(keyPath[0]!, main);
  }

  const locate = (key: string): string => {
    const keyPath = key.split('.');
    for (let i = keyPath.length; i > 0; i--) {
      const spec = overridden.get(keyPath.slice(0, i).join('.'));
      if (spec !== undefined) return `-o ${spec}`;
    }
    return where(sectionSource.get(keyPath[0] ?? '') ?? main, keyPath);
  };

  const data = toData(main.doc.contents, main.doc, expanded, false) as Record<string, unknown>;
  const raw = toData(main.doc.contents, main.doc, expanded, true) as Record<string, unknown>;
  for (const name of Object.keys(data)) {
    if (FOREIGN_SECTIONS.has(name)) {
      warnings.push(`${locate(name)}: ${name}: this RoadRunner plugin is not provided by Burner; the section is ignored`);
      delete data[name];
      delete raw[name];
    }
  }

  const result = configSchema.safeParse(data);
  if (!result.success) throw new ConfigError(describeIssue(result.error.issues[0]!, locate, result.error.issues.length));
  warnings.push(...findings(data, locate));
  return { file, config: result.data, raw, warnings, locate };
}

function describeIssue(issue: z.core.$ZodIssue, locate: (key: string) => string, count: number): string {
  let keyPath = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    keyPath = [...keyPath, issue.keys[0]!];
    message = UNSUPPORTED_KEYS.has(keyPath.join('.'))
      ? `a RoadRunner option Burner does not support: ${UNSUPPORTED_KEYS.get(keyPath.join('.'))}`
      : `unknown key${keyPath.length === 1 ? ' (section)' : ''}`;
  } else if (issue.code === 'invalid_type' && /received undefined/.test(message)) {
    message = `missing required key (${message})`;
  }
  const dotted = keyPath.join('.') || '(root)';
  const more = count > 1 ? ` (and ${count - 1} more problem${count > 2 ? 's' : ''})` : '';
  return `${locate(keyPath.join('.'))}: ${dotted}: ${message}${more}`;
}

/** `file:line` of the deepest existing node on the path (the key itself when possible). */
function where(source: Source, keyPath: string[]): string {
  let node: unknown = source.doc.contents;
  let offset = 0;
  for (const key of keyPath) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (!pair) break;
    const keyNode = pair.key as YamlNode;
    offset = keyNode.range?.[0] ?? offset;
    node = pair.value;
  }
  const line = source.lines.linePos(offset).line;
  return `${source.file}:${line}`;
}
