<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/**
 * burner:start's options as `rr serve` arguments: each one becomes a `-o key=value` override of .rr.yaml, so the
 * file stays the single description of the server and the command line only adjusts it for this run.
 */
final class StartOptions
{
    /** What --watch reacts to: PHP files under app/, and .env in the project root. */
    public const WATCH_PATTERNS = ['.php', '.env'];

    /**
     * @param list<string> $overrides `key=value` pairs for `-o`
     */
    private function __construct(
        public readonly array $overrides,
        public readonly bool $daemon,
        public readonly bool $watch,
    ) {
    }

    /**
     * @param string $configuredAddress http.address of .rr.yaml (host:port), so --port alone keeps the host and
     *                                  --host alone keeps the port
     */
    public static function from(Options $options, string $configuredAddress = '0.0.0.0:8080'): self
    {
        $overrides = [];
        $workers = $options->value('workers');
        if ($workers !== null) {
            $overrides[] = 'http.pool.num_workers=' . self::count('workers', $workers, 1);
        }
        $maxRequests = $options->value('max-requests');
        if ($maxRequests !== null) {
            // 0 = no limit, as in .rr.yaml
            $overrides[] = 'http.pool.max_jobs=' . self::count('max-requests', $maxRequests, 0);
        }

        $host = $options->value('host');
        $port = $options->value('port');
        if ($host !== null || $port !== null) {
            [$configuredHost, $configuredPort] = self::splitAddress($configuredAddress);
            if ($host !== null && ! self::validHost($host)) {
                throw new \InvalidArgumentException("--host must be an IP address or a host name, got '{$host}'");
            }
            if ($port !== null) {
                self::count('port', $port, 1);
                if ((int) $port > 65535) {
                    throw new \InvalidArgumentException("--port must be a port number (1-65535), got '{$port}'");
                }
            }
            $h = trim($host ?? $configuredHost, '[]');
            $overrides[] = 'http.address=' . (str_contains($h, ':') ? "[{$h}]" : $h) . ':' . (int) ($port ?? $configuredPort);
        }

        return new self($overrides, $options->has('daemon'), $options->has('watch'));
    }

    /**
     * This run with --watch: the reload plugin restarts the HTTP workers when a .php file under app/ or the .env file
     * changes (CodeIgniter reads both once per worker), set with `-o` like every other option. The root is watched
     * with every other top-level directory ignored, since the plugin watches directories, not single files (a
     * directory whose name holds a comma cannot be listed in `-o` and stays watched; only .php and .env count).
     * A reload section in the app's config is used as it is.
     *
     * @param string $configYaml the app's config file, to see whether it has a reload section of its own
     */
    public function watching(string $rootPath, string $configYaml): self
    {
        if (self::hasReloadSection($configYaml)) {
            return $this;
        }
        $ignore = [];
        foreach (scandir($rootPath) ?: [] as $entry) {
            $skip = in_array($entry, ['.', '..', 'app'], true) || str_contains($entry, ',');
            if ($skip || ! is_dir(rtrim($rootPath, '/') . '/' . $entry)) {
                continue;
            }
            $ignore[] = $entry;
        }
        $overrides = [
            'reload.interval=1s',
            'reload.patterns=' . implode(',', self::WATCH_PATTERNS),
            'reload.services.http.dirs=.',
            'reload.services.http.recursive=true',
            'reload.services.http.ignore=' . implode(',', $ignore),
        ];

        return new self([...$this->overrides, ...$overrides], $this->daemon, $this->watch);
    }

    /** Whether the app's config has a top-level reload section (read without a YAML parser, as configuredAddress()). */
    public static function hasReloadSection(string $configYaml): bool
    {
        return preg_match('/^reload:/m', $configYaml) === 1;
    }

    /** @return list<string> `-o`, `key=value`, ... */
    public function arguments(): array
    {
        $args = [];
        foreach ($this->overrides as $override) {
            $args[] = '-o';
            $args[] = $override;
        }

        return $args;
    }

    /** @return array{0: string, 1: string} */
    public static function splitAddress(string $address): array
    {
        if (preg_match('/^\[([^\]]+)\]:(\d+)$/', $address, $m) === 1 || preg_match('/^([^:]*):(\d+)$/', $address, $m) === 1) {
            return [$m[1] === '' ? '0.0.0.0' : $m[1], $m[2]];
        }

        return ['0.0.0.0', '8080'];
    }

    /** http.address of a .rr.yaml written by burner:init (or edited by hand), without a YAML parser. */
    public static function configuredAddress(string $yaml): string
    {
        if (
            preg_match('/^http:\s*\n((?:[ \t]+.*\n|[ \t]*\n)*)/m', $yaml . "\n", $section) === 1
            && preg_match('/^[ \t]+address:[ \t]*["\']?([^"\'\s#]+)/m', $section[1], $m) === 1
        ) {
            return $m[1];
        }

        return '0.0.0.0:8080';
    }

    private static function count(string $name, string $value, int $min): int
    {
        if (! ctype_digit($value) || (int) $value < $min) {
            $range = $min > 0 ? " of at least {$min}" : ' (0 = no limit)';
            throw new \InvalidArgumentException("--{$name} must be a whole number{$range}, got '{$value}'");
        }

        return (int) $value;
    }

    private static function validHost(string $host): bool
    {
        $h = trim($host, '[]');

        return filter_var($h, FILTER_VALIDATE_IP) !== false
            || preg_match('/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/', $h) === 1;
    }
}
