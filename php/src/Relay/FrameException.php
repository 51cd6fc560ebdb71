<?php

declare(strict_types=1);

namespace Burner\Relay;

/** Bytes that are not a valid goridge frame (bad CRC, bad header length, truncated). */
class FrameException extends RelayException
{
}
