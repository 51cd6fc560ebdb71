/**
 * RoadRunner's form tree (roadrunner-protocol.md §3.3): `a[b][c]=1` → {"a":{"b":{"c":"1"}}}, `a[]` keeps every value
 * as a list, a plain key keeps its last value, and a key that is both a value and a branch is an error.
 */

export type FormTree = { [key: string]: string | string[] | FormTree };

export class FormError extends Error {
  override name = 'FormError';
}

/** A form past `http.max_form_size` (Go's net/http stops at 10 MB of urlencoded body). */
export class FormTooLarge extends Error {
  override name = 'FormTooLarge';
  constructor(what: string, limit: number) {
    super(`${what} exceed${what.endsWith('s') ? '' : 's'} max_form_size (${limit} bytes)`);
  }
}

const MAX_SEGMENTS = 127;

/** Splits `a[b][]` into ["a","b",""]; spaces in keys are dropped, like Go's fetchIndexes. */
export function keySegments(key: string): string[] {
  const out = [''];
  let pos = 0; // 0: inside a name, 1: just after '[', 2: just after ']'
  for (const ch of key) {
    if (ch === ' ') continue;
    if (ch === '[') {
      pos = 1;
      continue;
    }
    if (ch === ']') {
      if (pos === 1) out.push('');
      pos = 2;
      continue;
    }
    if (pos === 1 || pos === 2) out.push('');
    out[out.length - 1] += ch;
    pos = 0;
  }
  return out;
}

function isTree(v: unknown): v is FormTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Mounts a leaf value (strings, or upload objects for the uploads tree) at the key's path. */
export function mount<T>(
  tree: Record<string, unknown>,
  key: string,
  values: T[],
  leaf: (values: T[]) => unknown = (v) => v[v.length - 1],
): void {
  if (values.length === 0) return;
  const segments = keySegments(key);
  if (segments.length > MAX_SEGMENTS) return;
  let node = tree;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const rest = segments.length - i;
    // Own properties only: `__proto__[x]=1` is an ordinary key, never a way into Object.prototype.
    const current = Object.hasOwn(node, seg) ? node[seg] : undefined;
    if (rest === 1) {
      if (isTree(current)) throw new FormError(`invalid multiple values to key '${segments.slice(0, i + 1).join('.')}' in tree`);
      setOwn(node, seg, leaf(values));
      return;
    }
    if (rest === 2 && segments[i + 1] === '') {
      if (isTree(current)) throw new FormError(`invalid multiple values to key '${segments.slice(0, i + 1).join('.')}' in tree`);
      setOwn(node, seg, values);
      return;
    }
    if (current === undefined) {
      const child: Record<string, unknown> = {};
      setOwn(node, seg, child);
      node = child;
    } else if (isTree(current)) {
      node = current;
    } else {
      throw new FormError(`invalid multiple values to key '${segments.slice(0, i + 1).join('.')}' in tree`);
    }
  }
}

function setOwn(node: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  else node[key] = value;
}

/** Groups `key=value` pairs by key, in first-appearance order. */
export function groupPairs(pairs: Iterable<[string, string]>): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of pairs) {
    const list = grouped.get(k);
    if (list) list.push(v);
    else grouped.set(k, [v]);
  }
  return grouped;
}

export function buildTree(grouped: Map<string, string[]>): FormTree {
  const tree: Record<string, unknown> = {};
  for (const [k, values] of grouped) mount(tree, k, values);
  return tree as FormTree;
}

/** An urlencoded body as a form tree (Go's ParseQuery: `&` separates pairs, `+` is a space). */
export function parseUrlencoded(body: Buffer): FormTree {
  return buildTree(groupPairs(new URLSearchParams(body.toString('utf8'))));
}

/**
 * Bytes (of urlencoded text) and keys handled between two turns of the event loop: a large form costs a few ms per
 * slice (about 2 µs a pair), so other clients are served while it is parsed. Smaller forms are parsed in one go.
 */
const SLICE_BYTES = 32 * 1024;
const SLICE_KEYS = 2048;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** parseUrlencoded() for a body of any size, yielding to the event loop between slices. */
export async function parseUrlencodedSliced(body: Buffer): Promise<FormTree> {
  if (body.length <= SLICE_BYTES) return parseUrlencoded(body);
  const grouped = new Map<string, string[]>();
  for (let start = 0; start < body.length;) {
    let end = Math.min(start + SLICE_BYTES, body.length);
    // Cut at a `&` (never inside a UTF-8 sequence: 0x26 is no continuation byte); one long pair stays whole.
    if (end < body.length) {
      const amp = body.indexOf(0x26, end);
      end = amp < 0 ? body.length : amp;
    }
    for (const [k, v] of new URLSearchParams(body.toString('utf8', start, end))) {
      const list = grouped.get(k);
      if (list) list.push(v);
      else grouped.set(k, [v]);
    }
    start = end + 1;
    await nextTurn();
  }
  return buildTreeSliced(grouped);
}

/** buildTree() yielding to the event loop every SLICE_KEYS keys. */
export async function buildTreeSliced(grouped: Map<string, string[]>): Promise<FormTree> {
  if (grouped.size <= SLICE_KEYS) return buildTree(grouped);
  const tree: Record<string, unknown> = {};
  let n = 0;
  for (const [k, values] of grouped) {
    mount(tree, k, values);
    if (++n % SLICE_KEYS === 0) await nextTurn();
  }
  return tree as FormTree;
}

/** The form tree as JSON, like JSON.stringify(); a large one (by its source size) yields to the event loop. */
export async function formToJson(tree: FormTree, sourceBytes: number): Promise<Buffer> {
  if (sourceBytes <= SLICE_BYTES) return Buffer.from(JSON.stringify(tree));
  let out = '{';
  let budget = SLICE_KEYS;
  const stack: { node: FormTree; keys: string[]; i: number }[] = [{ node: tree, keys: Object.keys(tree), i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i === top.keys.length) {
      out += '}';
      stack.pop();
      continue;
    }
    const key = top.keys[top.i]!;
    if (top.i++ > 0) out += ',';
    out += JSON.stringify(key) + ':';
    const value = top.node[key]!;
    if (typeof value === 'string' || Array.isArray(value)) out += JSON.stringify(value);
    else {
      out += '{';
      stack.push({ node: value, keys: Object.keys(value), i: 0 });
    }
    if (--budget === 0) {
      budget = SLICE_KEYS;
      await nextTurn();
    }
  }
  return Buffer.from(out);
}
