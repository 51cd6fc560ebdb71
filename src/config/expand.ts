/**
 * Environment expansion in config values, as RoadRunner does it (roadrunner-server/config, expand.go), on the text of
 * each value: the result is always a string, and the config key's own type decides what it becomes (so `PIN: $PIN`
 * with PIN=007 stays "007"). RoadRunner's forms:
 *   `${VAR}`, `$VAR`      the variable, or "" when unset (Burner also reports it, see `unset`)
 *   `${VAR:-default}`     the default when VAR is unset or empty
 *   `$` before anything that is not a name (`5$`, `$ x`) stays as it is.
 * Where Burner differs, on purpose:
 *   - `:-` is looked for inside each `${...}` only. RoadRunner checks the whole value, so `x:-y $HOME` (a `:-` outside
 *     any reference) expands to "" there; here it keeps `$HOME`'s value.
 *   - `$$` is a literal `$` (RoadRunner reads `$$` as the unset shell variable `$`, i.e. nothing), so a password such as
 *     `pa$$word` can be written at all.
 *   - an unterminated `${` is kept as written (RoadRunner drops the `${`).
 */

export interface Expansion {
  value: string;
  /** Names referenced without a default that were not set: RoadRunner makes them "", Burner warns. */
  unset: string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
/** Go's shell special variables: one character each, looked up like any name (practically always unset). */
const SPECIAL = new Set(['*', '#', '@', '!', '?', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

export function expand(value: string, env: NodeJS.ProcessEnv): Expansion {
  const unset: string[] = [];
  if (!value.includes('$')) return { value, unset };
  const lookup = (name: string): string => {
    const v = env[name];
    if (v === undefined) unset.push(name);
    return v ?? '';
  };
  let out = '';
  let i = 0;
  while (i < value.length) {
    const dollar = value.indexOf('$', i);
    if (dollar < 0 || dollar === value.length - 1) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, dollar);
    const next = value[dollar + 1]!;
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = value.indexOf('}', dollar + 2);
      if (close < 0) {
        out += value.slice(dollar);
        break;
      }
      const inner = value.slice(dollar + 2, close);
      const sep = inner.indexOf(':-');
      if (sep >= 0) {
        const current = env[inner.slice(0, sep)];
        out += current === undefined || current === '' ? inner.slice(sep + 2) : current;
      } else if (inner !== '') {
        out += lookup(inner);
      }
      i = close + 1;
    } else if (SPECIAL.has(next)) {
      out += lookup(next);
      i = dollar + 2;
    } else if (NAME_START.test(next)) {
      let end = dollar + 2;
      while (end < value.length && NAME_CHAR.test(value[end]!)) end++;
      out += lookup(value.slice(dollar + 1, end));
      i = end;
    } else {
      out += '$';
      i = dollar + 1;
    }
  }
  return { value: out, unset };
}

/** The expanded string alone (for `-o` values and tests). */
export function expandEnv(value: string, env: NodeJS.ProcessEnv): string {
  return expand(value, env).value;
}
