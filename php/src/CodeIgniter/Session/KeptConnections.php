<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Session;

/**
 * The session handlers' connections, one per save path, kept for the worker's life. A connection holds no user's
 * data (every request gets a new handler with its own session id, lock and fingerprint; only the socket is shared),
 * so keeping it cannot mix sessions. It is checked (one ping) before reuse only when it was idle for more than a
 * second or its last request did not close the session normally; a failed check drops it and a new one is opened.
 */
final class KeptConnections
{
    private const CHECK_AFTER_IDLE = 1.0;

    /** @var array<string, array{connection: object, released: float, open: bool}> */
    private static array $kept = [];

    /** The kept connection for this key, or null (the caller connects and keep()s it). */
    public static function take(string $key, callable $alive): ?object
    {
        $entry = self::$kept[$key] ?? null;
        if ($entry === null) {
            return null;
        }
        $suspect = $entry['open'] || microtime(true) - $entry['released'] > self::CHECK_AFTER_IDLE;
        if ($suspect) {
            try {
                $ok = (bool) $alive($entry['connection']);
            } catch (\Throwable) {
                $ok = false;
            }
            if (! $ok) {
                unset(self::$kept[$key]);

                return null;
            }
        }
        self::$kept[$key]['open'] = true;

        return $entry['connection'];
    }

    public static function keep(string $key, object $connection): void
    {
        self::$kept[$key] = ['connection' => $connection, 'released' => microtime(true), 'open' => true];
    }

    /** The request closed its session normally: the connection is fine to reuse without a check. */
    public static function release(string $key): void
    {
        if (isset(self::$kept[$key])) {
            self::$kept[$key]['open'] = false;
            self::$kept[$key]['released'] = microtime(true);
        }
    }

    public static function drop(string $key): void
    {
        unset(self::$kept[$key]);
    }
}
