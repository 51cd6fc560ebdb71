/**
 * What rpc.Config shows. RoadRunner returns the whole config; Burner never hands out values that are secrets by
 * construction or by name, because anyone who can reach the RPC listener can call rpc.Config (see server.ts):
 * - every value of `server.env` and `server.on_init.env` (keys stay visible, so tools can see what is set);
 * - any value under a key named like a secret (password, secret, token, api key, credentials, private key, dsn);
 * - the user:password part of URLs (`amqp://user:pass@host` → `amqp://user:[redacted]@host`).
 */
export const REDACTED = '[redacted]';

const SECRET_KEY = /(pass(word|wd)?|secret|token|api[_-]?key|credentials?|private[_-]?key|dsn)$/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/i;

function redactEnv(env: unknown): unknown {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return env === undefined ? undefined : REDACTED;
  return Object.fromEntries(Object.keys(env).map((k) => [k, REDACTED]));
}

function walk(value: unknown, key: string): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) && value !== '' ? REDACTED : value.replace(URL_PASSWORD, `$1:${REDACTED}@`);
  if (Array.isArray(value)) return value.map((v) => walk(v, key));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== null && typeof v !== 'object' ? REDACTED : walk(v, k);
    return out;
  }
  return value;
}

/** A copy of the expanded config that is safe to hand to any RPC caller. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out = walk(config, '') as Record<string, unknown>;
  const server = out.server;
  if (typeof server === 'object' && server !== null) {
    const s = server as Record<string, unknown>;
    if ('env' in s) s.env = redactEnv(s.env);
    const onInit = s.on_init;
    if (typeof onInit === 'object' && onInit !== null && 'env' in onInit)
      (onInit as Record<string, unknown>).env = redactEnv((onInit as Record<string, unknown>).env);
  }
  return out;
}
