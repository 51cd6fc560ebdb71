/**
 * The apps, each served the same way by both sides: (a) hello world, (b) CI4's welcome page, (c) a CI4 JSON endpoint
 * reading SQLite, (d) a realistic CI4 page (Redis session, two MariaDB SELECTs through the query builder, a ~10 KB
 * view). The CI4 apps run on CodeIgniter 4.7.2 by default; `<id>@<version>` (e.g. `ci4-welcome@4.1.3`) picks another
 * release that scripts/ci4-app.sh knows, and `ci4-welcome-4.1` is the 4.1.3 welcome page the default run keeps as a
 * row. Each version's app is created by scripts/ci4-app.sh under tmp/bench/ci4-<version> (gitignored) and gets
 * bench/apps/ci4/ (all versions) and bench/apps/ci4-page/ (4.7+: the realistic page) copied over it, routes and a
 * SQLite db.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cp, readFile, appendFile } from 'node:fs/promises';
import path from 'node:path';

const run = promisify(execFile);

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const PHP_CLI = ['php', '-d', 'opcache.enable_cli=1'];

/** The CodeIgniter release of the CI4 rows unless an id says otherwise. */
export const CI4_DEFAULT_VERSION = '4.7.2';
/** The earlier release kept as an extra row (`ci4-welcome-4.1`). */
export const CI4_LEGACY_VERSION = '4.1.3';

export interface App {
  id: string;
  title: string;
  path: string;
  /** nginx root (CI4: public/, with index.php as front controller). */
  docRoot: string;
  /** Burner's worker command and environment. */
  workerCommand: string[];
  workerEnv?: Record<string, string>;
  /** For the in-process ceiling (CI4 apps only). */
  ci4Root?: string;
  /** The CodeIgniter release (CI4 apps only). */
  ciVersion?: string;
  /** Needs MariaDB and Redis (bench/services.ts), a seeded database and session cookies (the realistic page). */
  services?: boolean;
  /** What a correct answer contains (checked before measuring). */
  expect: string;
}

/** The apps of a full run, in order. */
export const APP_IDS = ['hello', 'ci4-welcome', 'ci4-json', 'ci4-page', 'ci4-welcome-4.1'] as const;

const CI4_PAGES = {
  welcome: { title: 'CI4 welcome page', path: '/', expect: 'Welcome to CodeIgniter' },
  json: { title: 'CI4 JSON + SQLite', path: '/bench/json', expect: '"count":10' },
  page: { title: 'CI4 realistic page', path: '/bench/page', expect: 'id="visits">' },
} as const;

/** `ci4-<page>[@<version>]` (and the `ci4-welcome-4.1` alias) → page and version; undefined for other ids. */
export function parseCi4Id(id: string): { page: keyof typeof CI4_PAGES; version: string } | undefined {
  if (id === 'ci4-welcome-4.1') return { page: 'welcome', version: CI4_LEGACY_VERSION };
  const m = /^ci4-(welcome|json|page)(?:@(\d+\.\d+\.\d+))?$/.exec(id);
  if (!m) return undefined;
  const version = m[2] ?? CI4_DEFAULT_VERSION;
  if (m[1] === 'page' && compareVersions(version, '4.7.0') < 0) {
    throw new Error(`app "${id}": the realistic page needs CodeIgniter 4.7 or later (its Config/Session.php is 4.7's)`);
  }
  return { page: m[1] as keyof typeof CI4_PAGES, version };
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

async function addRoute(routesFile: string, marker: string, line: string, why: string): Promise<void> {
  if (!(await readFile(routesFile, 'utf8')).includes(marker)) await appendFile(routesFile, `\n// Burner bench: ${why}.\n${line}\n`);
}

const prepared = new Map<string, Promise<string>>();

/** The CI4 app of one release (created once per run, reused across runs by scripts/ci4-app.sh's marker). */
export function prepareCi4(version: string): Promise<string> {
  let p = prepared.get(version);
  if (!p) {
    p = createCi4(version);
    prepared.set(version, p);
  }
  return p;
}

async function createCi4(version: string): Promise<string> {
  const root = path.join(REPO, 'tmp/bench', `ci4-${version}`);
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [path.join(REPO, 'scripts/ci4-app.sh'), root, '--version', version], {
      cwd: REPO,
      maxBuffer: 16 << 20,
    }));
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    throw new Error(
      `scripts/ci4-app.sh could not create the CodeIgniter ${version} app (exit ${err.code}): ${String(err.stderr ?? '').trim()}`,
      { cause: e },
    );
  }
  const created = stdout.trim().split('\n').pop() || root;
  await cp(path.join(REPO, 'bench/apps/ci4/app'), path.join(created, 'app'), { recursive: true });
  const routes = path.join(created, 'app/Config/Routes.php');
  await addRoute(routes, 'BenchJson::index', "$routes->get('bench/json', 'BenchJson::index');", 'the JSON endpoint reading SQLite');
  if (compareVersions(version, '4.7.0') >= 0) {
    await cp(path.join(REPO, 'bench/apps/ci4-page/app'), path.join(created, 'app'), { recursive: true });
    await addRoute(
      routes,
      'BenchPage::index',
      "$routes->get('bench/page', 'BenchPage::index');",
      'the realistic page (Redis session, MariaDB, 10 KB view)',
    );
  }
  await run('php', [path.join(REPO, 'bench/apps/ci4/setup-db.php'), created]);
  return created;
}

export async function buildApps(ids: string[]): Promise<App[]> {
  const apps: App[] = [];
  for (const id of ids) {
    if (id === 'hello') {
      const dir = path.join(REPO, 'bench/apps/hello');
      apps.push({
        id,
        title: 'hello world',
        path: '/',
        docRoot: dir,
        workerCommand: [...PHP_CLI, path.join(dir, 'worker.php')],
        expect: 'Hello, world!',
      });
      continue;
    }
    const ci4 = parseCi4Id(id);
    if (!ci4) throw new Error(`unknown app "${id}" (known: ${APP_IDS.join(', ')}; CI4 pages also as ci4-<welcome|json|page>@<version>)`);
    const ci4Root = await prepareCi4(ci4.version);
    const page = CI4_PAGES[ci4.page];
    apps.push({
      id,
      title: `${page.title}, CI ${ci4.version}`,
      path: page.path,
      docRoot: path.join(ci4Root, 'public'),
      workerCommand: [...PHP_CLI, path.join(ci4Root, 'vendor/burner/burner/worker/codeigniter.php')],
      workerEnv: { BURNER_APP_ROOT: ci4Root },
      ci4Root,
      ciVersion: ci4.version,
      services: ci4.page === 'page',
      expect: page.expect,
    });
  }
  return apps;
}

export interface Ceiling {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Us: number;
  p99Us: number;
  cpuUsPerReq: number;
  status: number;
  bodyBytes: number;
  rssKb: number;
}

/**
 * CI4 booted once in one PHP process, the request served in a loop (bench/ceiling.php). `cookie` ("name=value") is
 * sent with every request (the realistic page's session); `env` reaches the app (the services' ports).
 */
export async function measureCeiling(
  app: App,
  seconds: number,
  opts: { cookie?: string; env?: Record<string, string> } = {},
): Promise<Ceiling> {
  if (!app.ci4Root) throw new Error(`no in-process ceiling for ${app.id}`);
  const [cmd, ...args] = PHP_CLI;
  const { stdout } = await run(
    cmd!,
    [...args, path.join(REPO, 'bench/ceiling.php'), app.ci4Root, app.path, String(seconds), '200', opts.cookie ?? ''],
    {
      maxBuffer: 16 << 20,
      timeout: (seconds + 60) * 1000,
      env: { ...process.env, ...opts.env },
    },
  );
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as Ceiling;
  if (result.status !== 200) throw new Error(`ceiling for ${app.id}: status ${result.status}`);
  return result;
}
