/**
 * Loads `.rr.yaml` the way RoadRunner does (roadrunner-protocol.md §6.1): version "3" as a string, `${VAR}`,
 * `$VAR` and `${VAR:-default}` expansion in string values, `include:` files replacing whole sections, `-o key=value`
 * overrides, an optional dotenv file. Every error names the file, the line and the key.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Document, isMap, isScalar, isPair, LineCounter, parseDocument, parse as parseYaml, visit, Scalar, YAMLMap } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { configSchema, FOREIGN_SECTIONS, UNSUPPORTED_KEYS, type Config } from './schema.js';

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
  /** The expanded, overridden document as plain data (for rpc.Config). */
  raw: Record<string, unknown>;
  /** Non-fatal findings (sections of RoadRunner plugins Burner does not provide, ...). */
  warnings: string[];
}

interface Source {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

const EXPANSION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** RoadRunner's expansion, including its quirk: a value containing `:-` expands only `${VAR:-default}` forms. */
export function expandEnv(value: string, env: NodeJS.ProcessEnv): string {
  if (!value.includes('$')) return value;
  const defaultsOnly = value.includes(':-');
  return value.replace(EXPANSION, (match, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    if (defaultsOnly && fallback === undefined) return '';
    const current = env[name];
    if (fallback !== undefined) return current === undefined || current === '' ? fallback : current;
    return current ?? '';
  });
}

/** A minimal dotenv reader: KEY=VALUE lines, `#` comments, optional `export`, single or double quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[m[1]!] = value;
  }
  return out;
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
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${pos.line}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  if (!isMap(doc.contents)) throw new ConfigError(`${file}:1: the config must be a YAML mapping of sections`);
  return { file, doc, lines };
}

/** Expand env vars in every string scalar; a plain (unquoted) scalar is re-typed after expansion, so `${N:-4}` is 4. */
function expandDocument(doc: Document.Parsed, env: NodeJS.ProcessEnv): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const expanded = expandEnv(node.value, env);
      node.value = node.type === Scalar.PLAIN ? retype(expanded) : expanded;
    },
  });
}

function retype(value: string): unknown {
  if (value === '') return value;
  try {
    const parsed: unknown = parseYaml(value);
    return parsed === null || typeof parsed === 'object' ? value : parsed;
  } catch {
    return value;
  }
}

function unquote(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'" || q === '`') && value.length >= 2 && value.endsWith(q)) return value.slice(1, -1);
  return value;
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

  const main = readSource(file);
  expandDocument(main.doc, env);
  const warnings: string[] = [];
  /** Which source each top-level section came from, for error positions. */
  const sectionSource = new Map<string, Source>();
  const root = main.doc.contents as YAMLMap;
  for (const pair of root.items) if (isScalar(pair.key)) sectionSource.set(String(pair.key.value), main);

  const version = main.doc.get('version');
  if (version === undefined) throw new ConfigError(`${file}:1: version: missing; add version: "3" at the top`);

  const includes = main.doc.get('include');
  if (includes !== undefined) {
    const list = isScalar(includes) ? [includes.value] : (includes as { items?: unknown[] })?.items?.map((i) => (isScalar(i) ? i.value : i));
    if (!Array.isArray(list) || list.some((i) => typeof i !== 'string')) {
      throw new ConfigError(`${where(main, ['include'])}: include: must be a list of file paths`);
    }
    for (const inc of list as string[]) {
      const incFile = path.resolve(options.workDir ?? path.dirname(file), inc);
      const src = readSource(incFile);
      expandDocument(src.doc, env);
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
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new ConfigError(`-o ${spec}: an override must look like key=value (for example http.pool.num_workers=4)`);
    const key = spec.slice(0, eq).trim();
    const keyPath = key.split('.');
    if (keyPath.some((k) => k === '')) throw new ConfigError(`-o ${spec}: invalid key "${key}"`);
    const value = retype(expandEnv(unquote(spec.slice(eq + 1).trim()), env));
    main.doc.setIn(keyPath, value);
    overridden.set(key, spec);
    if (!sectionSource.has(keyPath[0]!)) sectionSource.set(keyPath[0]!, main);
  }

  const raw = main.doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  for (const name of Object.keys(raw)) {
    if (FOREIGN_SECTIONS.has(name)) {
      warnings.push(`${where(sectionSource.get(name) ?? main, [name])}: ${name}: this RoadRunner plugin is not provided by Burner; the section is ignored`);
      delete raw[name];
    }
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssue(result.error.issues[0]!, main, sectionSource, overridden, result.error.issues.length));
  return { file, config: result.data, raw, warnings };
}

function describeIssue(
  issue: z.core.$ZodIssue,
  main: Source,
  sections: Map<string, Source>,
  overridden: Map<string, string>,
  count: number,
): string {
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
  for (let i = keyPath.length; i > 0; i--) {
    const spec = overridden.get(keyPath.slice(0, i).join('.'));
    if (spec !== undefined) return `-o ${spec}: ${dotted}: ${message}${more}`;
  }
  const source = sections.get(keyPath[0] ?? '') ?? main;
  return `${where(source, keyPath)}: ${dotted}: ${message}${more}`;
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
