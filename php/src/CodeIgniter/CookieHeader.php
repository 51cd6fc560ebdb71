<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * Set-Cookie lines byte for byte as PHP's setcookie()/setrawcookie() write them, which is what CodeIgniter sends
 * under PHP-FPM: CI hands each cookie's getOptions() to setcookie(). CI's own Cookie::toHeaderString() differs
 * (`Expires=Wed, 02-Dec-2026 ...; Path=/`), so the bridge does not use it.
 */
final class CookieHeader
{
    /** @param object $cookie CodeIgniter\Cookie\Cookie */
    public static function fromCookie(object $cookie): string
    {
        $options = $cookie->getOptions();

        return self::line(
            $cookie->getPrefixedName(),
            $cookie->getValue(),
            (int) ($options['expires'] ?? 0),
            (string) ($options['path'] ?? ''),
            (string) ($options['domain'] ?? ''),
            (bool) ($options['secure'] ?? false),
            (bool) ($options['httponly'] ?? false),
            (string) ($options['samesite'] ?? ''),
            method_exists($cookie, 'isRaw') && $cookie->isRaw(),
        );
    }

    /**
     * The line setcookie() builds: an empty value means "delete" (PHP writes `deleted` and a date in 1970);
     * Max-Age is counted from now and never negative.
     */
    public static function line(
        string $name,
        string $value,
        int $expires = 0,
        string $path = '',
        string $domain = '',
        bool $secure = false,
        bool $httpOnly = false,
        string $sameSite = '',
        bool $raw = false,
        ?int $now = null,
    ): string {
        $now ??= time();
        if ($value === '') {
            $line = $name . '=deleted; expires=' . self::date(1) . '; Max-Age=0';
        } else {
            $line = $name . '=' . ($raw ? $value : rawurlencode($value));
            if ($expires > 0) {
                $line .= '; expires=' . self::date($expires) . '; Max-Age=' . max(0, $expires - $now);
            }
        }
        if ($path !== '') {
            $line .= '; path=' . $path;
        }
        if ($domain !== '') {
            $line .= '; domain=' . $domain;
        }
        if ($secure) {
            $line .= '; secure';
        }
        if ($httpOnly) {
            $line .= '; HttpOnly';
        }
        if ($sameSite !== '') {
            $line .= '; SameSite=' . $sameSite;
        }

        return $line;
    }

    private static function date(int $timestamp): string
    {
        return gmdate('D, d M Y H:i:s', $timestamp) . ' GMT';
    }
}
