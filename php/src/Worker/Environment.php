<?php

declare(strict_types=1);

namespace Burner\Worker;

/**
 * Reads the variables the server passes to workers (RR_RELAY, RR_RPC, RR_MODE, RR_VERSION):
 * $_ENV first, then $_SERVER, then getenv() (variables_order often leaves $_ENV empty).
 */
final class Environment
{
    public static function get(string $name, ?string $default = null): ?string
    {
        foreach ([$_ENV, $_SERVER] as $source) {
            if (isset($source[$name]) && \is_scalar($source[$name]) && (string) $source[$name] !== '') {
                return (string) $source[$name];
            }
        }
        $value = \getenv($name);

        return $value !== false && $value !== '' ? $value : $default;
    }

    /** `pipes`, `tcp://host:port` or `unix:///path`. */
    public static function relay(): string
    {
        return self::get('RR_RELAY', 'pipes');
    }

    public static function rpc(): string
    {
        return self::get('RR_RPC', 'tcp://127.0.0.1:6001');
    }

    /** `http`, `jobs`, ... or null when not started by a server. */
    public static function mode(): ?string
    {
        return self::get('RR_MODE');
    }
}
