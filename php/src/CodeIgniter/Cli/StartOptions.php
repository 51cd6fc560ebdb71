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
     * The config of a --watch run: .rr.yaml included as it is, plus the reload plugin, which restarts the HTTP
     * workers when a .php file under app/ or the .env file changes (CodeIgniter reads both once per worker). The
     * root is watched with every other top-level directory ignored, since the plugin watches directories, not
     * single files. A file rather than `-o` overrides because the plugin's keys are lists, which `-o` cannot set.
     * A reload section in .rr.yaml itself wins (included sections replace the including file's).
     */
    public static function watchConfig(string $rootPath, string $configPath, string $configYaml): string
    {
        $ignore = [];
        foreach (scandir($rootPath) ?: [] as $entry) {
            if ($entry === '.' || $entry === '..' || $entry === 'app' || ! is_dir(rtrim($rootPath, '/') . '/' . $entry)) {
                continue;
            }
            $ignore[] = $entry;
        }
        $version = preg_match('/^version:[ \t]*["\']?([\w.]+)/m', $configYaml, $m) === 1 ? $m[1] : '3';
        $quote = static fn ($item): string => (string) json_encode((string) $item, JSON_UNESCAPED_SLASHES);
        $list = static fn (array $items): string => '[' . implode(', ', array_map($quote, $items)) . ']';

        return "# Written by `php spark burner:start --watch` for this run: {$configPath} plus the reload plugin.\n"
            . 'version: ' . json_encode($version) . "\n"
            . 'include: ' . $list([$configPath]) . "\n"
            . "reload:\n"
            . "  interval: 1s\n"
            . '  patterns: ' . $list(self::WATCH_PATTERNS) . "\n"
            . "  services:\n"
            . "    http:\n"
            . '      dirs: ["."]' . "\n"
            . "      recursive: true\n"
            . '      ignore: ' . $list($ignore) . "\n";
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
