/**
 * The realistic page's backing services and sessions: MariaDB and Redis from Debian's binaries (started by
 * test/support/services.ts on 127.0.0.1, free ports, data in temp dirs), a seeded database, the pids whose CPU the
 * report counts, and the session cookies wrk sends.
 */
import { writeFile } from 'node:fs/promises';
import { startMariaDb, startRedis, type MariaDb, type Redis } from '../test/support/services.js';
import { listenerPids } from './proc.js';
import { get } from './servers.js';

export interface PageServices {
  /** What the app's workers, php-fpm's pool and the ceiling get in their environment. */
  env: Record<string, string>;
  /**
   * The app's `.env` while the page is measured: Config\Session's $savePath on this Redis, set the way CI4 apps set
   * it. (server.env would not do: RoadRunner's config upper-cases its keys, and CodeIgniter looks for `session.savePath`.)
   */
  dotenv: string;
  mariadbPids(): Promise<number[]>;
  redisPids(): Promise<number[]>;
  stop(): Promise<void>;
}

export const CATEGORIES = ['Hand tools', 'Power tools', 'Fasteners', 'Adhesives', 'Safety', 'Measuring', 'Storage', 'Abrasives'];
export const PRODUCTS_PER_CATEGORY = 60;

/** The schema and rows of the realistic page's database: 8 categories, 60 products each. */
export function seedSql(): string {
  const q = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  const cats = CATEGORIES.map((name, i) => `(${i + 1}, ${q(name)}, ${q(name.toLowerCase().replaceAll(' ', '-'))})`);
  const products: string[] = [];
  let id = 0;
  for (let c = 1; c <= CATEGORIES.length; c++) {
    for (let i = 1; i <= PRODUCTS_PER_CATEGORY; i++) {
      id++;
      const name = `${CATEGORIES[c - 1]!.replace(/s$/, '')} item ${i}, professional grade (${10 + (id % 90)} pieces)`;
      // A few out of stock (filtered out by the page's query), prices spread so ORDER BY price has work to do.
      products.push(
        `(${id}, ${c}, ${q(`BSC-${String(c).padStart(2, '0')}-${String(i).padStart(4, '0')}`)}, ${q(name)}, ${((id * 7919) % 50_000) / 100 + 1}, ${id % 11 === 0 ? 0 : (id * 37) % 120})`,
      );
    }
  }
  return [
    'CREATE TABLE categories (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, slug VARCHAR(64) NOT NULL) ENGINE=InnoDB;',
    'CREATE TABLE products (id INT PRIMARY KEY, category_id INT NOT NULL, sku VARCHAR(32) NOT NULL, name VARCHAR(128) NOT NULL, ' +
      'price DECIMAL(10,2) NOT NULL, stock INT NOT NULL, KEY by_category (category_id, price)) ENGINE=InnoDB;',
    `INSERT INTO categories VALUES ${cats.join(', ')};`,
    `INSERT INTO products VALUES ${products.join(', ')};`,
  ].join('\n');
}

/** Starts MariaDB (database, user and password "bench", seeded) and Redis; stop() ends both and removes their dirs. */
export async function startPageServices(): Promise<PageServices> {
  let db: MariaDb | undefined;
  let redis: Redis | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([db?.stop(), redis?.stop()]);
  };
  try {
    [db, redis] = await Promise.all([startMariaDb({ database: { name: 'bench', user: 'bench', password: 'bench' } }), startRedis()]);
    await db.query(`USE bench;\n${seedSql()}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const [dbPort, redisPort] = [db.port, redis.port];
  return {
    env: { BENCH_DB_PORT: String(dbPort), BENCH_REDIS_PORT: String(redisPort) },
    dotenv: `session.savePath = "tcp://127.0.0.1:${redisPort}"\n`,
    mariadbPids: () => listenerPids(dbPort),
    redisPids: () => listenerPids(redisPort),
    stop,
  };
}

/** The session cookie ("ci_session=…") a page answer sets, or throws saying what came instead. */
export function sessionCookie(setCookie: string[] | undefined, cookieName = 'ci_session'): string {
  for (const line of setCookie ?? []) {
    const pair = line.split(';', 1)[0]!.trim();
    if (pair.startsWith(cookieName + '=') && pair.length > cookieName.length + 1) return pair;
  }
  throw new Error(`no ${cookieName} cookie in the answer (Set-Cookie: ${JSON.stringify(setCookie ?? [])})`);
}

/** The visit counter the realistic page shows (id="visits">N<). */
export function visitsOf(body: string): number {
  const m = /id="visits">(\d+)</.exec(body);
  if (!m) throw new Error(`the page shows no visit counter; body starts ${JSON.stringify(body.slice(0, 300))}`);
  return Number(m[1]);
}

/**
 * Opens `count` sessions through `baseUrl` (one GET each without a cookie) and returns their cookies. Then proves
 * that a session is read and written: the same cookie on each server in `check` counts on (visit 2, 3, …), so both
 * servers share the Redis sessions and the database.
 */
export async function openSessions(baseUrl: string, path: string, count: number, check: string[]): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await get(baseUrl + path);
    if (res.status !== 200) throw new Error(`opening a session: HTTP ${res.status}, body starts ${JSON.stringify(res.body.slice(0, 300))}`);
    if (visitsOf(res.body) !== 1) throw new Error(`a new session showed visit ${visitsOf(res.body)}, not 1`);
    cookies.push(sessionCookie(res.setCookie));
  }
  let expected = 1;
  for (const server of check) {
    const res = await get(server + path, 5000, { Cookie: cookies[0]! });
    expected++;
    if (res.status !== 200 || visitsOf(res.body) !== expected) {
      throw new Error(
        `${server}${path} with a session cookie: HTTP ${res.status}, visit ${res.status === 200 ? visitsOf(res.body) : '?'} (expected ${expected})`,
      );
    }
  }
  return cookies;
}

/**
 * A wrk Lua script sending the cookies round robin, one per request. With more sessions than connections (the bench
 * opens 4 per connection), two requests of one session are never served at the same time in practice, so CI's
 * session lock never waits: like many users, each browsing with their own session.
 */
export function cookieScript(cookies: string[]): string {
  const list = cookies.map((c) => `  ${JSON.stringify(c)},`).join('\n');
  return [
    '-- Generated by bench/services.ts: one session cookie per request, round robin.',
    'local cookies = {',
    list,
    '}',
    'local requests = {}',
    'local i = 0',
    'function init(args)',
    '  for n, c in ipairs(cookies) do requests[n] = wrk.format(nil, nil, { ["Cookie"] = c }) end',
    'end',
    'function request()',
    '  i = i % #requests + 1',
    '  return requests[i]',
    'end',
    '',
  ].join('\n');
}

export async function writeCookieScript(file: string, cookies: string[]): Promise<string> {
  await writeFile(file, cookieScript(cookies));
  return file;
}
