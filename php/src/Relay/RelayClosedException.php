<?php

declare(strict_types=1);

namespace Burner\Relay;

/** The peer closed the relay cleanly, between two frames (for a worker: the server is gone). */
class RelayClosedException extends RelayException
{
}
