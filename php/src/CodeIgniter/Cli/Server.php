<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/** Runs vendor/bin/rr for the burner:* spark commands, from the project root. */
final class Server
{
    public function __construct(private string $rootPath, private string $configFile = '.rr.yaml')
    {
        $this->rootPath = rtrim($rootPath, '/') . '/';
    }

    public static function forApp(): self
    {
        $file = '.rr.yaml';
        if (class_exists(\Config\Burner::class)) {
            $config = new \Config\Burner();
            if (isset($config->configFile) && is_string($config->configFile) && $config->configFile !== '') {
                $file = $config->configFile;
            }
        }

        return new self(ROOTPATH, $file);
    }

    public function binary(): string
    {
        return $this->rootPath . 'vendor/bin/rr';
    }

    public function configPath(): string
    {
        return str_starts_with($this->configFile, '/') ? $this->configFile : $this->rootPath . $this->configFile;
    }

    /** A message saying what is missing, or null when the server can be started. */
    public function problem(): ?string
    {
        if (! is_file($this->binary())) {
            return 'vendor/bin/rr is missing: run `php spark burner:init RoadRunner` first';
        }
        if (! is_file($this->configPath())) {
            return $this->configFile . ' is missing: run `php spark burner:init RoadRunner` first';
        }
        if (Installer::nodeVersion() === null) {
            return 'Node.js (>= 20.15) is required to run the Burner server, and `node` was not found in PATH';
        }

        return null;
    }

    /**
     * Replaces this PHP process with the server (pcntl_exec), so signals (Ctrl-C, SIGTERM from a supervisor) reach
     * the server itself. Without pcntl, runs it as a child and waits.
     *
     * @param list<string> $args
     */
    public function exec(array $args): int
    {
        if (function_exists('pcntl_exec')) {
            chdir($this->rootPath);
            $sub = array_shift($args);
            @pcntl_exec($this->binary(), [(string) $sub, '-c', $this->configPath(), '-w', rtrim($this->rootPath, '/'), ...$args]);
            // only reached when exec failed: fall back to a child process
        }

        return $this->run(func_get_args()[0]);
    }

    /**
     * What burner:stop, burner:reload and burner:workers do: run `vendor/bin/rr <args>` against the app's config and
     * report a failure. Returns what a spark command returns (null on success: CI 4.1 turns any returned number,
     * even 0, into exit status 400).
     */
    public static function runForSpark(array $args): ?int
    {
        $server = self::forApp();
        if (($problem = $server->problem()) !== null) {
            \CodeIgniter\CLI\CLI::error($problem);

            return 1;
        }
        $code = $server->run($args);
        if ($code !== 0) {
            \CodeIgniter\CLI\CLI::error('vendor/bin/rr ' . implode(' ', $args) . ' failed (exit code ' . $code . ')');
        }

        return $code === 0 ? null : $code;
    }

    /**
     * @param list<string> $args
     *
     * @return int exit code; stdio is the terminal's
     */
    public function run(array $args): int
    {
        $command = $this->command($args);
        $proc = proc_open($command, [0 => STDIN, 1 => STDOUT, 2 => STDERR], $pipes, $this->rootPath);

        return is_resource($proc) ? proc_close($proc) : 1;
    }

    /**
     * Starts the server in the background (with a .pid file in the project root), its output in
     * writable/logs/burner-server.log. Returns the pid, or null when it did not stay up.
     *
     * @param list<string> $args
     */
    public function startDaemon(array $args, string $logFile): ?int
    {
        $command = 'nohup ' . $this->command(['serve', '-p', ...$args]) . ' < /dev/null >> ' . escapeshellarg($logFile) . ' 2>&1 & echo $!';
        $pid = (int) trim((string) shell_exec('cd ' . escapeshellarg($this->rootPath) . ' && ' . $command));
        if ($pid <= 0) {
            return null;
        }
        // Wait for the server to write .pid (it is up) or to exit (a bad config ends it at once); on a busy machine
        // Node.js can take seconds to start.
        for ($i = 0; $i < 600; $i++) {
            if (is_file($this->rootPath . '.pid')) {
                return $pid;
            }
            if (! self::alive($pid)) {
                return null;
            }
            usleep(50_000);
        }

        return $pid;
    }

    public static function alive(int $pid): bool
    {
        return $pid > 0 && (function_exists('posix_kill') ? posix_kill($pid, 0) : is_dir('/proc/' . $pid));
    }

    /** @param list<string> $args */
    private function command(array $args): string
    {
        $parts = [escapeshellarg($this->binary())];
        $sub = array_shift($args);
        $parts[] = escapeshellarg((string) $sub);
        $parts[] = '-c';
        $parts[] = escapeshellarg($this->configPath());
        // The working directory is the project root for every command: `serve -p` writes .pid there and `stop`
        // reads it there, whichever file the config is.
        $parts[] = '-w';
        $parts[] = escapeshellarg(rtrim($this->rootPath, '/'));
        foreach ($args as $arg) {
            $parts[] = escapeshellarg($arg);
        }

        return implode(' ', $parts);
    }
}
