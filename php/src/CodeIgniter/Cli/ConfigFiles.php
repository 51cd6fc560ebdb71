<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/**
 * The files `spark burner:init` writes into the app: app/Config/Burner.php and .rr.yaml from the templates, each
 * existing file first renamed to a timestamped backup (never overwritten). What was done is appended to `$log`.
 */
final class ConfigFiles
{
    /** @param list<string> $log the installer's log, appended to */
    public function __construct(
        private string $rootPath,
        private string $packagePath,
        private array &$log,
    ) {
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
        // The published package keeps the PHP code under php/ (the repository's layout); a path repository or a
        // split of php/ alone has it at the package root.
        foreach (['vendor/burner/burner/php/worker/codeigniter.php', 'vendor/burner/burner/worker/codeigniter.php'] as $relative) {
            if (is_file($this->rootPath . $relative)) {
                return $relative;
            }
        }

        return $this->packagePath . 'worker/codeigniter.php';
    }

    private function relative(string $path): string
    {
        return str_starts_with($path, $this->rootPath) ? substr($path, strlen($this->rootPath)) : $path;
    }
}
