<?php

declare(strict_types=1);

namespace Burner\Worker;

/**
 * One worker message: the context ("header") part and the body part of a payload frame.
 * Note the argument order: header first, then body.
 */
final class Payload
{
    /**
     * @param int  $flags  frame flags it arrived with (the server's codec, e.g. 0x80 proto, 0x08 JSON)
     * @param bool $stream the frame had the STREAM bit (more frames follow)
     */
    public function __construct(
        public readonly string $header = '',
        public readonly string $body = '',
        public readonly int $flags = 0,
        public readonly bool $stream = false,
    ) {
    }
}
