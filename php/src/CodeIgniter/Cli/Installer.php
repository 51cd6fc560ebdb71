<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/**
 * What `spark burner:init` does, without the CLI around it (so it is testable): install the server (the npm package
 * burner-server under vendor/burner-server/, run by the launcher vendor/bin/rr), write app/Config/Burner.php and
 * .rr.yaml, renaming existing files to a timestamped backup instead of overwriting them.
 */
final class Installer
{
    /** The npm package of the server. */
    public const NPM_PACKAGE = 'burner-server';

    /** The server version this code goes with (package.json's version; a test keeps them equal). */
    public const SERVER_VERSION = '0.1.0';

    /** @var list<string> what was done, for the command to print at the end */
    public array $log = [];

    /** @var list<string> each step of the server install as it happened, the commands run included */
    public array $steps = [];

    /** @var (\Closure(string): void)|null */
    private ?\Closure $output;

    /** @param (callable(string): void)|null $output called with each step as it happens (commands included) */
    public function __construct(
        private string $rootPath,
        private string $packagePath,
        ?callable $output = null,
    ) {
        $this->output = $output === null ? null : \Closure::fromCallable($output);
        $this->rootPath = rtrim($rootPath, '/') . '/';
        $this->packagePath = rtrim($packagePath, '/') . '/';
    }

    public static function nodeVersion(): ?string
    {
        $out = @shell_exec('node --version 2>/dev/null');
        $version = is_string($out) ? trim($out) : '';

        return preg_match('/^v\d+\.\d+/', $version) === 1 ? $version : null;
    }

    /** The server needs Node.js 20.15 or newer (package.json's engines). */
    public static function nodeSupported(string $version): bool
    {
        return preg_match('/^v?(\d+)\.(\d+)/', $version, $m) === 1 && ((int) $m[1] > 20 || ((int) $m[1] === 20 && (int) $m[2] >= 15));
    }

    /**
     * Installs the server and points vendor/bin/rr at it. Without a source, the npm package burner-server of the
     * same version as this composer package is installed from the npm registry; with one (an `npm pack` tarball, or
     * a directory holding the package), from there, with no registry involved (the tarball bundles its
     * dependencies). The new install is staged next to the old one and vendor/bin/rr is replaced only once
     * `rr --version` answered through the new launcher: on any failure, an earlier vendor/bin/rr keeps working.
     *
     * @throws InstallFailed what failed and what to do
     */
    public function installServer(?string $source = null): string
    {
        $npm = self::which('npm');
        if ($npm === null) {
            throw new InstallFailed(
                'npm was not found in PATH',
                'Install Node.js (>= 20.15, it comes with npm), then run `php spark burner:init RoadRunner` again.',
            );
        }
        $vendor = $this->rootPath . 'vendor/';
        $target = $vendor . self::NPM_PACKAGE;
        $stamp = getmypid() . '-' . bin2hex(random_bytes(3));
        $staging = "{$target}.new-{$stamp}";
        $old = "{$target}.old-{$stamp}";
        $bin = $vendor . 'bin/rr';
        $launcher = "{$bin}.new-{$stamp}";
        $packDir = null;
        $keep = is_file($bin) ? 'vendor/bin/rr was left as it was.' : 'No vendor/bin/rr was installed.';

        try {
            if ($source === null) {
                [$version, $why] = $this->serverVersion();
                $spec = self::NPM_PACKAGE . '@' . $version;
                $this->say("installing {$spec} from the npm registry ({$why})");
                $offline = false;
                $advice = "If this machine cannot reach the npm registry, get the package elsewhere (`npm pack {$spec}`) and run "
                    . '`php spark burner:init RoadRunner --server=/path/to/' . self::NPM_PACKAGE . "-{$version}.tgz`.";
            } else {
                [$spec, $packDir] = $this->resolveSource($source);
                $offline = true;
                $advice = 'The tarball must come from `npm pack` of burner-server (it bundles its dependencies, so no registry is needed).';
            }

            mkdir($staging, 0777, true);
            file_put_contents($staging . '/package.json', json_encode([
                'private' => true,
                'description' => 'The Burner server of this application, installed by `php spark burner:init` (vendor/bin/rr runs it).',
            ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");
            $command = 'npm install --no-audit --no-fund --loglevel=error --omit=dev'
                . ($offline ? ' --offline' : '') . ' ' . escapeshellarg($spec);
            [$code, $output] = $this->run($command, $staging);
            if ($code !== 0) {
                throw new InstallFailed("`npm install` failed (exit code {$code})" . Shell::tail($output), $advice);
            }
            $entry = $staging . '/node_modules/' . self::NPM_PACKAGE . '/bin/rr.js';
            if (! is_file($entry)) {
                throw new InstallFailed(
                    'the installed package has no node_modules/' . self::NPM_PACKAGE . '/bin/rr.js',
                    'Is it the ' . self::NPM_PACKAGE . " package? {$advice}",
                );
            }

            // Swap the directories, then prove the new launcher works before it becomes vendor/bin/rr.
            if (file_exists($target)) {
                rename($target, $old);
            }
            rename($staging, $target);
            is_dir(dirname($bin)) || mkdir(dirname($bin), 0777, true);
            file_put_contents($launcher, self::launcherScript());
            chmod($launcher, 0755);
            [$code, $output] = $this->run(escapeshellarg($launcher) . ' --version', $this->rootPath);
            if ($code !== 0 || ! str_contains($output, 'burner')) {
                // Put the previous server back where the previous vendor/bin/rr expects it.
                Shell::remove($target);
                if (file_exists($old)) {
                    rename($old, $target);
                }
                throw new InstallFailed(
                    "`vendor/bin/rr --version` failed with the new server (exit code {$code})" . Shell::tail($output),
                    'Check that `node --version` is 20.15 or newer; run `node vendor/' . self::NPM_PACKAGE . '/node_modules/'
                    . self::NPM_PACKAGE . '/bin/rr.js --version` for details.'
                );
            }
            rename($launcher, $bin);
            $this->say('vendor/bin/rr --version: ' . trim($output));
            $this->log[] = 'installed the server: vendor/bin/rr -> vendor/' . self::NPM_PACKAGE . '/node_modules/' . self::NPM_PACKAGE . '/bin/rr.js';

            return $bin;
        } catch (InstallFailed $e) {
            throw $e->keeping($keep);
        } catch (\Throwable $e) {
            throw (new InstallFailed($e->getMessage(), 'Check that vendor/ is writable.'))->keeping($keep);
        } finally {
            Shell::remove($staging);
            Shell::remove($old);
            if (is_file($launcher)) {
                unlink($launcher);
            }
            if ($packDir !== null) {
                Shell::remove($packDir);
            }
        }
    }

    /**
     * The server version to install and why: the version composer installed burner/burner at, or for a
     * development install (a branch, a path repository) the version this code declares.
     *
     * @return array{0: string, 1: string}
     */
    public function serverVersion(): array
    {
        $installed = $this->composerVersion();
        if ($installed !== null && preg_match('/^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/', $installed, $m) === 1) {
            return [$m[1], "the version of burner/burner, {$installed}"];
        }

        $what = 'burner/burner is ' . ($installed ?? 'not a composer install');

        return [self::SERVER_VERSION, "{$what}, which declares server version " . self::SERVER_VERSION];
    }

    /** The launcher finds the server relative to itself, so the project can move (container builds, deploys). */
    public static function launcherScript(): string
    {
        return "#!/bin/sh\n# Burner server launcher, written by `php spark burner:init`.\n"
            . 'exec node "$(dirname "$0")/../' . self::NPM_PACKAGE . '/node_modules/' . self::NPM_PACKAGE . '/bin/rr.js" "$@"' . "\n";
    }

    /**
     * An npm install spec for --server: a tarball as it is; a directory packed first with `npm pack` (which builds
     * it when it is a source checkout without dist/), into a temp dir returned for removal.
     *
     * @return array{0: string, 1: ?string}
     */
    private function resolveSource(string $source): array
    {
        $path = str_starts_with($source, '/') ? $source : getcwd() . '/' . $source;
        $real = realpath($path);
        if ($real === false) {
            throw new InstallFailed(
                "--server={$source}: no such file or directory",
                'Give the path of a tarball made by `npm pack` in the Burner repository (' . self::NPM_PACKAGE
                . '-<version>.tgz), or of such a package directory.',
            );
        }
        if (is_file($real)) {
            $this->say("installing the server from {$real} (no registry)");

            return [$real, null];
        }
        $manifest = json_decode((string) @file_get_contents($real . '/package.json'), true);
        if (! is_array($manifest) || ($manifest['name'] ?? null) !== self::NPM_PACKAGE) {
            throw new InstallFailed(
                "--server={$source}: {$real} is not the " . self::NPM_PACKAGE . ' package (its package.json does not name it)',
                'Give the Burner repository, an unpacked ' . self::NPM_PACKAGE . ' package, or a tarball made by `npm pack`.',
            );
        }
        $packDir = sys_get_temp_dir() . '/burner-pack-' . getmypid() . '-' . bin2hex(random_bytes(3));
        mkdir($packDir, 0777, true);
        // A directory with a build packs as it is; a source checkout without one is built by the package's prepack.
        $built = is_dir($real . '/dist/src');
        $this->say('packing ' . $real . ($built ? ' (its existing build)' : ' (building it first)'));
        [$code, $output] = $this->run('npm pack --silent' . ($built ? ' --ignore-scripts' : '')
            . ' --pack-destination ' . escapeshellarg($packDir), $real);
        $tarballs = glob($packDir . '/*.tgz') ?: [];
        if ($code !== 0 || count($tarballs) !== 1) {
            Shell::remove($packDir);
            throw new InstallFailed(
                "`npm pack` in {$real} failed (exit code {$code})" . Shell::tail($output),
                'Run `npm ci && npm pack` there yourself and pass the tarball with --server.',
            );
        }

        return [$tarballs[0], $packDir];
    }

    private function composerVersion(): ?string
    {
        if (class_exists(\Composer\InstalledVersions::class) && \Composer\InstalledVersions::isInstalled('burner/burner')) {
            return \Composer\InstalledVersions::getPrettyVersion('burner/burner');
        }
        $installed = $this->rootPath . 'vendor/composer/installed.json';
        if (is_file($installed)) {
            $data = json_decode((string) file_get_contents($installed), true);
            foreach ((is_array($data) ? ($data['packages'] ?? $data) : []) as $package) {
                if (is_array($package) && ($package['name'] ?? '') === 'burner/burner') {
                    return (string) ($package['version'] ?? '');
                }
            }
        }

        return null;
    }

    public function writeConfig(string $driver): string
    {
        return $this->configFiles()->writeConfig($driver);
    }

    public function writeServerConfig(): string
    {
        return $this->configFiles()->writeServerConfig();
    }

    /** Renames an existing file to <name>.<timestamp>.bak (never overwrites a backup). */
    public function backup(string $file): ?string
    {
        return $this->configFiles()->backup($file);
    }

    public static function cpuCount(): int
    {
        return ConfigFiles::cpuCount();
    }

    private function configFiles(): ConfigFiles
    {
        return new ConfigFiles($this->rootPath, $this->packagePath, $this->log);
    }

    /**
     * Runs a command, its output captured (and shown with the failure), after printing it: the user sees exactly
     * what was run.
     *
     * @return array{0: int, 1: string} exit code, stdout + stderr
     */
    private function run(string $command, string $cwd): array
    {
        $where = $cwd !== $this->rootPath ? '   (in ' . $this->relative(rtrim($cwd, '/') . '/') . ')' : '';
        $this->say('$ ' . str_replace($this->rootPath, '', $command) . $where);
        $proc = proc_open($command . ' 2>&1', [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w']], $pipes, $cwd);
        if (! is_resource($proc)) {
            return [-1, 'could not start the command'];
        }
        $output = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);

        return [proc_close($proc), $output];
    }

    private function say(string $line): void
    {
        $this->steps[] = $line;
        if ($this->output !== null) {
            ($this->output)($line);
        }
    }

    public static function which(string $program): ?string
    {
        return Shell::which($program);
    }

    private function relative(string $path): string
    {
        return str_starts_with($path, $this->rootPath) ? substr($path, strlen($this->rootPath)) : $path;
    }
}
