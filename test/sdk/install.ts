/**
 * Installs the official RoadRunner PHP SDK from ../shared/composer (a composer path repository, see its README) the
 * way a user would: `composer install`, offline, packagist off, packages mirrored (not symlinked). The result is
 * cached in the repository's gitignored tmp/ under a key made of the package folder names (which carry the versions),
 * so reruns do not call composer at all.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES, ROOT } from '../e2e/harness.js';

export const SHARED_COMPOSER = path.join(ROOT, '..', 'shared', 'composer');

/** The versions required: the suite tests exactly these. */
export const SDK_PACKAGES: Record<string, string> = {
  'spiral/roadrunner-http': '3.4.0',
  'spiral/roadrunner-worker': '3.4.0',
  'spiral/goridge': '4.2.0',
  'spiral/roadrunner-metrics': '3.1.0',
  'nyholm/psr7': '1.8.2',
};

export type SdkInstall = { autoload: string; skip?: undefined } | { skip: string; autoload?: undefined };

let installing: Promise<SdkInstall> | undefined;

/** The autoload.php of an installed SDK, or why the suite must be skipped (only when ../shared/composer is absent). */
export function installSdk(): Promise<SdkInstall> {
  return (installing ??= install());
}

async function install(): Promise<SdkInstall> {
  if (!existsSync(SHARED_COMPOSER)) return { skip: `${SHARED_COMPOSER} is absent: the official SDK packages are not available offline` };
  const folders = readdirSync(SHARED_COMPOSER)
    .filter((f) => !f.includes('.md'))
    .sort();
  const composerJson = JSON.stringify(
    {
      name: 'burner/sdk-compat',
      description: 'The official RoadRunner PHP SDK, installed for Burner compatibility tests',
      require: SDK_PACKAGES,
      repositories: [{ type: 'path', url: `${SHARED_COMPOSER}/*`, options: { symlink: false } }, { 'packagist.org': false }],
      config: { 'allow-plugins': false },
    },
    null,
    2,
  );
  const key = createHash('sha256').update(folders.join('\n')).update(composerJson).digest('hex').slice(0, 16);
  const cacheRoot = path.join(ROOT, 'tmp', 'sdk');
  const dir = path.join(cacheRoot, key);
  const autoload = path.join(dir, 'vendor', 'autoload.php');
  if (existsSync(autoload)) return { autoload };

  // Install next to the cache and rename into place: a concurrent test file never sees a half-installed tree.
  mkdirSync(cacheRoot, { recursive: true });
  const work = path.join(cacheRoot, `${key}.${process.pid}.${Date.now()}`);
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'composer.json'), composerJson);
  try {
    await promisify(execFile)('composer', ['install', '--no-interaction', '--no-progress', '--no-plugins', '--no-scripts'], {
      cwd: work,
      env: {
        ...process.env,
        COMPOSER_DISABLE_NETWORK: '1',
        COMPOSER_HOME: path.join(work, '.composer-home'),
        COMPOSER_CACHE_DIR: path.join(work, '.composer-cache'),
        COMPOSER_NO_INTERACTION: '1',
      },
      timeout: 120_000,
    });
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`composer install of the official SDK failed: ${e.stderr || e.message}`, { cause: err });
  }
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another run won the race; its tree is complete
  }
  return { autoload };
}

/** Runs test/fixtures/sdk/rpc.php (official RPC and metrics clients) against `rpcAddress`; returns its JSON output. */
export async function runSdkRpc(autoload: string, rpcAddress: string, scenario: string): Promise<Record<string, any>> {
  const { stdout } = await promisify(execFile)('php', [path.join(FIXTURES, 'sdk', 'rpc.php'), autoload, rpcAddress, scenario], {
    timeout: 60_000,
  });
  try {
    return JSON.parse(stdout) as Record<string, any>;
  } catch {
    throw new Error(`rpc.php ${scenario} printed no JSON: ${stdout.slice(0, 2000)}`);
  }
}
