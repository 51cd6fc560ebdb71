<?php

declare(strict_types=1);

namespace Burner\Relay;

/**
 * Builds a relay from the DSN the server hands out in RR_RELAY / RR_RPC.
 */
final class Relay
{
    public const PIPES = 'pipes';

    /**
     * @param string $dsn `pipes`, `tcp://host:port` or `unix:///path/to.sock`
     */
    public static function create(string $dsn): RelayInterface
    {
        $dsn = \trim($dsn);
        if ($dsn === '' || \strtolower($dsn) === self::PIPES) {
            return StreamRelay::pipes();
        }

        return new SocketRelay($dsn);
    }
}
