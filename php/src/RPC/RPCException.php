<?php

declare(strict_types=1);

namespace Burner\RPC;

/** The RPC exchange failed: bad reply frame, sequence mismatch, undecodable body. */
class RPCException extends \RuntimeException
{
}
