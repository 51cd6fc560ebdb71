<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/** Set-Cookie lines produced outside the response object during the current request (see DetachedCookieStore). */
final class PendingCookies
{
    /** @var array<string, string> name => header line; a later cookie of the same name replaces the earlier one */
    private static array $lines = [];

    public static function add(string $name, string $headerLine): void
    {
        self::$lines[$name] = $headerLine;
    }

    /** @return array<string, string> */
    public static function take(): array
    {
        $lines = self::$lines;
        self::$lines = [];

        return $lines;
    }
}
