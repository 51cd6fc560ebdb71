/**
 * RoadRunner's form tree (roadrunner-protocol.md §3.3): `a[b][c]=1` → {"a":{"b":{"c":"1"}}}, `a[]` keeps every value
 * as a list, a plain key keeps its last value, and a key that is both a value and a branch is an error.
 */

export type FormTree = { [key: string]: string | string[] | FormTree };

export class FormError extends Error {
  override name = 'FormError';
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
export function mount<T>(tree: Record<string, unknown>, key: string, values: T[], leaf: (values: T[]) => unknown = (v) => v[v.length - 1]): void {
  if (values.length === 0) return;
  const segments = keySegments(key);
  if (segments.length > MAX_SEGMENTS) return;
  let node = tree;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const rest = segments.length - i;
    if (rest === 1) {
      if (isTree(node[seg])) throw new FormError(`invalid multiple values to key '${segments.slice(0, i + 1).join('.')}' in tree`);
      node[seg] = leaf(values);
      return;
    }
    if (rest === 2 && segments[i + 1] === '') {
      if (isTree(node[seg])) throw new FormError(`invalid multiple values to key '${segments.slice(0, i + 1).join('.')}' in tree`);
      node[seg] = values;
      return;
    }
    const next = node[seg];
    if (next === undefined) {
      const child: Record<string, unknown> = {};
      node[seg] = child;
      node = child;
    } else if (isTree(next)) {
      node = next;
    } else {
      throw new FormError(`invalid multiple values to key '${segments.slice(0, i + 1).join('.')}' in tree`);
    }
  }
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
