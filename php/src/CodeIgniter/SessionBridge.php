<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * PHP's session module keeps its id between requests of a long-lived process, and cannot send its cookie from the
 * CLI SAPI. Before every request the id is set from THIS request's cookie or cleared (so PHP makes a new one):
 * no request can ever continue the previous client's session. After the request the session is written and
 * closed, and the cookie is sent whenever the id is new or was regenerated.
 */
final class SessionBridge
{
    private string $requestId = '';

    public function __construct(private string $cookieName)
    {
    }

    /** @param array<string, string> $cookies the request's cookies */
    public function begin(array $cookies): void
    {
        if (session_status() === PHP_SESSION_ACTIVE) {
            session_write_close();
        }
        unset($_SESSION);
        $id = (string) ($cookies[$this->cookieName] ?? '');
        // PHP accepts only these characters in an id; anything else is treated as no session at all.
        if ($id !== '' && preg_match('/^[A-Za-z0-9,-]{1,256}$/', $id) !== 1) {
            $id = '';
        }
        session_id($id);
        $this->requestId = $id;
    }

    /** Writes the session, adds its cookie to the reply when needed, and leaves no id behind. */
    public function finish(Reply $reply): void
    {
        if (session_status() === PHP_SESSION_ACTIVE) {
            $id = (string) session_id();
            $name = session_name() ?: $this->cookieName;
            session_write_close();
            self::cacheLimiterHeaders($reply);
            if ($id !== '' && $id !== $this->requestId && ! self::hasCookie($reply, $name)) {
                $reply->addHeader('Set-Cookie', self::cookieLine($name, $id));
            }
        }
        unset($_SESSION);
        session_id('');
        $this->requestId = '';
    }

    /**
     * The headers session_start() sends under a web SAPI for session.cache_limiter (none from the CLI SAPI), ahead
     * of the app's own. PHP's private/public limiters also send Last-Modified (the script's mtime): not reproduced.
     */
    private static function cacheLimiterHeaders(Reply $reply): void
    {
        $maxAge = 60 * (int) session_cache_expire();
        $headers = match (session_cache_limiter()) {
            'nocache' => [
                'Expires' => 'Thu, 19 Nov 1981 08:52:00 GMT',
                'Cache-Control' => 'no-store, no-cache, must-revalidate',
                'Pragma' => 'no-cache',
            ],
            'private' => ['Expires' => 'Thu, 19 Nov 1981 08:52:00 GMT', 'Cache-Control' => 'private, max-age=' . $maxAge],
            'private_no_expire' => ['Cache-Control' => 'private, max-age=' . $maxAge],
            'public' => [
                'Expires' => gmdate('D, d M Y H:i:s', time() + $maxAge) . ' GMT',
                'Cache-Control' => 'public, max-age=' . $maxAge,
            ],
            default => [],
        };
        foreach (array_reverse($headers, true) as $name => $value) {
            $reply->prependHeader($name, $value);
        }
    }

    private static function hasCookie(Reply $reply, string $name): bool
    {
        foreach ($reply->headers as $header => $values) {
            if (strcasecmp($header, 'Set-Cookie') !== 0) {
                continue;
            }
            foreach ($values as $line) {
                if (str_starts_with($line, $name . '=')) {
                    return true;
                }
            }
        }

        return false;
    }

    /** The cookie PHP itself would send, from the parameters CI configured (session_set_cookie_params). */
    private static function cookieLine(string $name, string $id): string
    {
        $p = session_get_cookie_params();
        $lifetime = (int) ($p['lifetime'] ?? 0);

        return CookieHeader::line(
            $name,
            $id,
            $lifetime > 0 ? time() + $lifetime : 0,
            (string) ($p['path'] ?? '') !== '' ? (string) $p['path'] : '/',
            (string) ($p['domain'] ?? ''),
            ! empty($p['secure']),
            ! empty($p['httponly']),
            (string) ($p['samesite'] ?? ''),
        );
    }
}
