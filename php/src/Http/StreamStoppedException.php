<?php

declare(strict_types=1);

namespace Burner\Http;

/**
 * Thrown into a streaming Generator when the server cancels the stream (the HTTP client went away).
 */
final class StreamStoppedException extends \RuntimeException
{
    public function __construct(string $message = 'the server stopped the stream (client disconnected)')
    {
        parent::__construct($message);
    }
}
