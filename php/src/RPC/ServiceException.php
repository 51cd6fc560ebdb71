<?php

declare(strict_types=1);

namespace Burner\RPC;

/** The server answered the call with an error (unknown method, plugin error...). The connection stays usable. */
class ServiceException extends RPCException
{
    public function __construct(
        public readonly string $method,
        public readonly string $serverError,
        string $relay = '',
    ) {
        parent::__construct(\sprintf("Error '%s' on %s%s", $serverError, $method, $relay !== '' ? ' (' . $relay . ')' : ''));
    }
}
