/**
 * The three apps, each served the same way by both sides: (a) hello world, (b) CI4's welcome page,
 * (c) a CI4 JSON endpoint reading SQLite. The CI4 app is created by scripts/ci4-app.sh under tmp/bench/ (gitignored)
 * and gets bench/apps/ci4/ copied over it plus a route and a SQLite db.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cp, readFile, appendFile } from 'node:fs/promises';
import path from 'node:path';

const run = promisify(execFile);

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const PHP_CLI = ['php', '-d', 'opcache.enable_cli=1'];

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
  /** What a correct answer contains (checked before measuring). */
  expect: string;
}

export const APP_IDS = ['hello', 'ci4-welcome', 'ci4-json'] as const;

export async function prepareCi4(): Promise<string> {
  const root = path.join(REPO, 'tmp/bench/ci4-app');
  const { stdout } = await run('bash', [path.join(REPO, 'scripts/ci4-app.sh'), root], { cwd: REPO, maxBuffer: 16 << 20 });
  const created = stdout.trim().split('\n').pop() || root;
  await cp(path.join(REPO, 'bench/apps/ci4/app'), path.join(created, 'app'), { recursive: true });
  const routes = path.join(created, 'app/Config/Routes.php');
  if (!(await readFile(routes, 'utf8')).includes('BenchJson::index')) {
    await appendFile(routes, "\n// Burner bench: the JSON endpoint reading SQLite.\n$routes->get('bench/json', 'BenchJson::index');\n");
  }
  await run('php', [path.join(REPO, 'bench/apps/ci4/setup-db.php'), created]);
  return created;
}

export async function buildApps(ids: string[]): Promise<App[]> {
  const apps: App[] = [];
  let ci4Root: string | undefined;
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
    } else if (id === 'ci4-welcome' || id === 'ci4-json') {
      ci4Root ??= await prepareCi4();
      const worker = path.join(ci4Root, 'vendor/burner/burner/worker/codeigniter.php');
      apps.push({
        id,
        title: id === 'ci4-welcome' ? 'CI4 welcome page' : 'CI4 JSON + SQLite',
        path: id === 'ci4-welcome' ? '/' : '/bench/json',
        docRoot: path.join(ci4Root, 'public'),
        workerCommand: [...PHP_CLI, worker],
        workerEnv: { BURNER_APP_ROOT: ci4Root },
        ci4Root,
        expect: id === 'ci4-welcome' ? 'Welcome to CodeIgniter' : '"count":10',
      });
    } else {
      throw new Error(`unknown app "${id}" (known: ${APP_IDS.join(', ')})`);
    }
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

/** CI4 booted once in one PHP process, the request served in a loop (bench/ceiling.php). */
export async function measureCeiling(app: App, seconds: number): Promise<Ceiling> {
  if (!app.ci4Root) throw new Error(`no in-process ceiling for ${app.id}`);
  const [cmd, ...args] = PHP_CLI;
  const { stdout } = await run(cmd!, [...args, path.join(REPO, 'bench/ceiling.php'), app.ci4Root, app.path, String(seconds)], {
    maxBuffer: 16 << 20,
    timeout: (seconds + 60) * 1000,
  });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as Ceiling;
  if (result.status !== 200) throw new Error(`ceiling for ${app.id}: status ${result.status}`);
  return result;
}
