<?php

declare(strict_types=1);

namespace Burner\Relay;

use Burner\Frame;

/**
 * A duplex byte channel carrying goridge frames. Frames are strictly sequential per relay.
 */
interface RelayInterface
{
    /** Writes one complete packed frame (see Frame::packFrame()). */
    public function send(string $frameBytes): void;

    /** Blocks until one complete frame has been read. */
    public function receive(): Frame;

    /** Whether bytes are waiting to be read, waiting at most $timeout seconds (0 = just poll). */
    public function hasFrame(float $timeout = 0.0): bool;

    public function close(): void;
}
