<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/**
 * What `spark burner:init` does, without the CLI around it (so it is testable): install vendor/bin/rr, write
 * app/Config/Burner.php and .rr.yaml, renaming existing files to a timestamped backup instead of overwriting them.
 */
final class Installer
{
    /** @var list<string> what was done, for the command to print */
    public array $log = [];

    public function __construct(
        private string $rootPath,
        private string $packagePath,
    ) {
        $this->rootPath = rtrim($rootPath, '/') . '/';
        $this->packagePath = rtrim($packagePath, '/') . '/';
    }

    public static function nodeVersion(): ?string
    {
        $out = @shell_exec('node --version 2>/dev/null');
        $version = is_string($out) ? trim($out) : '';

        return preg_match('/^v\d+\.\d+/', $version) === 1 ? $version : null;
    }

    /**
     * vendor/bin/rr: a launcher for the server. From a checkout of the Burner repository (the package's parent
     * directory is the npm package "burner"), it runs that checkout's bin/rr.js, building it first if needed;
     * otherwise the npm package `burner` is installed under vendor/burner-server/.
     */
    public function installServer(): string
    {
        $repo = dirname(rtrim($this->packagePath, '/'));
        $pkg = is_file($repo . '/package.json') ? json_decode((string) file_get_contents($repo . '/package.json'), true) : null;
        if (is_array($pkg) && ($pkg['name'] ?? '') === 'burner' && is_file($repo . '/bin/rr.js')) {
            if (! is_dir($repo . '/dist/src')) {
                $this->run('npm run build --silent', $repo, 'building the Burner server (npm run build)');
            }
            $entry = $repo . '/bin/rr.js';
        } else {
            $version = $this->packageVersion();
            $target = $this->rootPath . 'vendor/burner-server';
            is_dir($target) || mkdir($target, 0777, true);
            $this->run('npm install --no-audit --no-fund --loglevel=error --prefix ' . escapeshellarg($target)
                . ' ' . escapeshellarg('burner@' . $version), $this->rootPath, "installing the npm package burner@{$version}");
            $entry = $target . '/node_modules/burner/bin/rr.js';
        }

        $bin = $this->rootPath . 'vendor/bin/rr';
        is_dir(dirname($bin)) || mkdir(dirname($bin), 0777, true);
        if (is_link($bin) || is_file($bin)) {
            unlink($bin);
        }
        $script = "#!/bin/sh\n# Burner server launcher, written by `php spark burner:init`.\nexec node "
            . escapeshellarg($entry) . " \"\$@\"\n";
        file_put_contents($bin, $script);
        chmod($bin, 0755);
        $this->log[] = "installed the server: vendor/bin/rr -> node {$entry}";

        return $bin;
    }

    public function writeConfig(string $driver): string
    {
        $template = (string) file_get_contents(dirname(__DIR__) . '/Templates/Burner.php.tpl');
        $file = $this->rootPath . 'app/Config/Burner.php';
        $this->backup($file);
        file_put_contents($file, str_replace('{{driver}}', $driver, $template));
        $this->log[] = 'wrote app/Config/Burner.php';

        return $file;
    }

    public function writeServerConfig(): string
    {
        $worker = $this->relativeWorkerPath();
        $template = (string) file_get_contents(dirname(__DIR__) . '/Templates/rr.yaml.tpl');
        $yaml = strtr($template, [
            '{{php}}' => 'php',
            '{{worker}}' => $worker,
            '{{workers}}' => (string) self::cpuCount(),
        ]);
        $file = $this->rootPath . '.rr.yaml';
        $this->backup($file);
        file_put_contents($file, $yaml);
        $this->log[] = 'wrote .rr.yaml (http on 0.0.0.0:8080, static files from public/, '
            . self::cpuCount() . ' workers, rpc on 127.0.0.1:6001)';

        return $file;
    }

    /** Renames an existing file to <name>.<timestamp>.bak (never overwrites a backup). */
    public function backup(string $file): ?string
    {
        if (! file_exists($file)) {
            return null;
        }
        $stamp = date('Ymd-His');
        $backup = "{$file}.{$stamp}.bak";
        for ($n = 2; file_exists($backup); $n++) {
            $backup = "{$file}.{$stamp}-{$n}.bak";
        }
        rename($file, $backup);
        $this->log[] = 'kept the previous ' . $this->relative($file) . ' as ' . $this->relative($backup);

        return $backup;
    }

    public static function cpuCount(): int
    {
        $n = 0;
        if (is_readable('/proc/cpuinfo')) {
            $n = preg_match_all('/^processor\s*:/m', (string) file_get_contents('/proc/cpuinfo'));
        }
        if ($n < 1) {
            $out = @shell_exec('nproc 2>/dev/null') ?: @shell_exec('sysctl -n hw.ncpu 2>/dev/null');
            $n = (int) trim((string) $out);
        }

        return max(1, $n);
    }

    /** The worker script as the server's command sees it from the project root. */
    private function relativeWorkerPath(): string
    {
        $installed = $this->rootPath . 'vendor/burner/burner/worker/codeigniter.php';
        if (is_file($installed)) {
            return 'vendor/burner/burner/worker/codeigniter.php';
        }

        return $this->packagePath . 'worker/codeigniter.php';
    }

    private function packageVersion(): string
    {
        $installed = $this->rootPath . 'vendor/composer/installed.json';
        if (is_file($installed)) {
            $data = json_decode((string) file_get_contents($installed), true);
            foreach (($data['packages'] ?? $data ?? []) as $package) {
                if (($package['name'] ?? '') === 'burner/burner' && preg_match('/^v?(\d+\.\d+\.\d+)$/', (string) ($package['version'] ?? ''), $m)) {
                    return $m[1];
                }
            }
        }

        return 'latest';
    }

    private function run(string $command, string $cwd, string $what): void
    {
        $this->log[] = $what;
        $proc = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => STDOUT, 2 => STDERR], $pipes, $cwd);
        $code = is_resource($proc) ? proc_close($proc) : -1;
        if ($code !== 0) {
            throw new \RuntimeException("{$what} failed (exit code {$code}): {$command}");
        }
    }

    private function relative(string $path): string
    {
        return str_starts_with($path, $this->rootPath) ? substr($path, strlen($this->rootPath)) : $path;
    }
}
