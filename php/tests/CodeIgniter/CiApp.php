<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

/**
 * The CodeIgniter test applications (scripts/ci4-app.sh --version V --fixtures) and the drive.php runner.
 */
final class CiApp
{
    /** Exit code of scripts/ci4-app.sh when the version's tarball is absent. */
    public const TARBALL_ABSENT = 3;

    /** @var array<string, string> version => app path */
    private static array $paths = [];

    public static function repo(): string
    {
        return dirname(__DIR__, 3);
    }

    /**
     * Creates (or refreshes the fixtures of) the test app of a CodeIgniter version once per test run. Null when the
     * version's tarball is absent (the caller skips, saying so).
     */
    public static function path(string $version = '4.1.3'): ?string
    {
        if (! array_key_exists($version, self::$paths)) {
            $target = self::repo() . '/tmp/ci4-phpunit-' . $version;
            $cmd = ['bash', self::repo() . '/scripts/ci4-app.sh', $target, '--version', $version, '--fixtures'];
            $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
            $out = stream_get_contents($pipes[1]);
            $err = stream_get_contents($pipes[2]);
            $code = proc_close($proc);
            if ($code === self::TARBALL_ABSENT) {
                self::$paths[$version] = null;
            } elseif ($code !== 0) {
                throw new \RuntimeException("scripts/ci4-app.sh failed:\n{$out}\n{$err}");
            } else {
                self::$paths[$version] = $target;
            }
        }

        return self::$paths[$version];
    }

    /**
     * Serves the requests with one Kernel in one process; returns the replies (body decoded) and what the
     * process state looked like after each request.
     *
     * @param list<array<string, mixed>> $requests
     * @return list<array<string, mixed>>
     */
    public static function drive(string $app, array $requests, string $env = 'production', ?string &$stdout = null): array
    {
        $in = tempnam(sys_get_temp_dir(), 'burner-drive-in-');
        $out = tempnam(sys_get_temp_dir(), 'burner-drive-out-');
        file_put_contents($in, json_encode($requests, JSON_THROW_ON_ERROR));
        try {
            $env = ['CI_ENVIRONMENT' => $env] + getenv();
            $proc = proc_open(
                [PHP_BINARY, __DIR__ . '/drive.php', $app, $in, $out],
                [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                $pipes,
                null,
                $env,
            );
            $stdout = stream_get_contents($pipes[1]);
            $stderr = stream_get_contents($pipes[2]);
            $code = proc_close($proc);
            if ($code !== 0) {
                throw new \RuntimeException("drive.php exited with {$code}\nstdout: {$stdout}\nstderr: {$stderr}");
            }
            if ($stdout !== '' && func_num_args() < 4) {
                throw new \RuntimeException("the bridge wrote to STDOUT (the relay in a real worker): {$stdout}");
            }
            $replies = json_decode((string) file_get_contents($out), true, 512, JSON_THROW_ON_ERROR);
        } finally {
            @unlink($in);
            @unlink($out);
        }
        foreach ($replies as &$reply) {
            $reply['body'] = base64_decode($reply['body']);
        }

        return $replies;
    }
}
