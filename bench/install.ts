/**
 * The benchmark's own tools, installed by the benchmark when missing (CI and scripts/setup.sh do not need them):
 * wrk, nginx and php-fpm for every run; MariaDB, Redis and PHP's mysqli/redis extensions for the realistic page.
 * Debian's packages through apt-get, the way scripts/setup.sh installs its own: as root or with password-less sudo,
 * with a policy-rc.d that keeps apt from starting the packaged daemons (the bench starts its own).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Tool {
  /** Debian package that provides it. */
  pkg: string;
  /** What is checked. */
  what: string;
  present(): boolean;
}

function runs(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch (e) {
    // Only "not found" means absent: `nginx -v` and friends may exit non-zero and still be there.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function succeeds(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function phpModule(binary: string, module: string): boolean {
  try {
    return execFileSync(binary, ['-m'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .some((l) => l.trim().toLowerCase() === module);
  } catch {
    return false;
  }
}

/** The tools the selected apps need. */
export function toolsFor(appIds: string[]): Tool[] {
  const tools: Tool[] = [
    { pkg: 'php8.2-cli', what: 'php', present: () => runs('php', ['-v']) },
    { pkg: 'wrk', what: 'wrk', present: () => runs('wrk', ['-v']) },
    { pkg: 'nginx', what: 'nginx', present: () => runs('nginx', ['-v']) },
    { pkg: 'php8.2-fpm', what: 'php-fpm8.2', present: () => runs('php-fpm8.2', ['-v']) },
  ];
  if (appIds.some((id) => id.startsWith('ci4-'))) {
    tools.push({ pkg: 'php8.2-sqlite3', what: 'PHP sqlite3 extension', present: () => phpModule('php', 'sqlite3') });
  }
  if (appIds.some((id) => /^ci4-page(@|$)/.test(id))) {
    tools.push(
      { pkg: 'mariadb-server', what: 'mariadbd', present: () => existsSync('/usr/sbin/mariadbd') || runs('mariadbd', ['--version']) },
      { pkg: 'mariadb-client', what: 'mariadb client', present: () => runs('mariadb', ['--version']) },
      { pkg: 'redis-server', what: 'redis-server', present: () => runs('redis-server', ['--version']) },
      { pkg: 'php8.2-mysql', what: 'PHP mysqli extension', present: () => phpModule('php', 'mysqli') },
      { pkg: 'php8.2-redis', what: 'PHP redis extension', present: () => phpModule('php', 'redis') },
    );
  }
  return tools;
}

/** The apt-get commands that install `packages` (root: as is; otherwise through sudo). */
export function aptCommands(packages: string[], root: boolean): string[][] {
  const sudo = root ? [] : ['sudo', '-n'];
  return [
    [
      ...sudo,
      'sh',
      '-c',
      '[ -e /usr/sbin/policy-rc.d ] || { printf "#!/bin/sh\\nexit 101\\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; }',
    ],
    [...sudo, 'apt-get', 'update', '-qq'],
    [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages],
  ];
}

/** Installs what the selected apps need and is missing; throws with the command to run when it cannot. */
export async function ensureTools(appIds: string[], log: (msg: string) => void): Promise<void> {
  const missing = toolsFor(appIds).filter((t) => !t.present());
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.pkg))];
  const what = missing.map((t) => t.what).join(', ');
  const root = process.getuid?.() === 0;
  const manual = `apt-get install ${packages.join(' ')}`;
  if (!existsSync('/usr/bin/apt-get'))
    throw new Error(`missing for the benchmark: ${what}; no apt-get here: install ${packages.join(', ')} by hand`);
  if (!root && !succeeds('sudo', ['-n', 'true'])) throw new Error(`missing for the benchmark: ${what}; run: sudo ${manual}`);
  log(`installing the benchmark's tools (${what} missing): ${manual}`);
  for (const cmd of aptCommands(packages, root)) {
    try {
      execFileSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (e) {
      throw new Error(
        `installing ${packages.join(' ')} failed at \`${cmd.join(' ')}\`: ${(e as Error).message}; run: ${root ? '' : 'sudo '}${manual}`,
        { cause: e },
      );
    }
  }
  const still = toolsFor(appIds).filter((t) => !t.present());
  if (still.length) throw new Error(`still missing after apt-get install: ${still.map((t) => t.what).join(', ')}`);
}
