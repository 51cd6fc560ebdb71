<?php

declare(strict_types=1);

namespace Burner\Relay;

/** The relay failed: connect, read, write, closed peer. */
class RelayException extends \RuntimeException
{
}
