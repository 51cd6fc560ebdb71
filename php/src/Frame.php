<?php

declare(strict_types=1);

namespace Burner;

use Burner\Relay\FrameException;

/**
 * One goridge frame: a 12-byte header, 0..10 uint32 options, then the payload.
 *
 * Layout (all integers little-endian):
 *   0     version (high nibble, 1) | header length in 32-bit words (low nibble, 3 + options)
 *   1     flags (CONTROL, codecs, ERROR)
 *   2..5  payload length
 *   6..9  CRC-32 (IEEE, PHP's crc32()) of bytes 0..5 only
 *   10    stream bits (STREAM, STOP, PING, PONG)
 *   11    reserved, 0
 */
final class Frame
{
    // byte 1
    public const CONTROL = 0x01;
    public const CODEC_RAW = 0x04;
    public const CODEC_JSON = 0x08;
    public const CODEC_MSGPACK = 0x10;
    public const CODEC_GOB = 0x20;
    public const ERROR = 0x40;
    public const CODEC_PROTO = 0x80;

    // byte 10
    public const STREAM = 0x01;
    public const STOP = 0x02;
    public const PING = 0x04;
    public const PONG = 0x08;

    public const VERSION = 1;
    public const HEADER_SIZE = 12;
    /** Go panics above 10 options, so no valid peer ever sends more. */
    public const MAX_OPTIONS = 10;
    public const MAX_PAYLOAD = 0xFFFFFFFF;

    /**
     * @param list<int> $options
     */
    public function __construct(
        public string $payload = '',
        public int $flags = 0,
        public array $options = [],
        public int $byte10 = 0,
        public int $byte11 = 0,
    ) {
    }

    public function hasFlag(int $flag): bool
    {
        return ($this->flags & $flag) === $flag;
    }

    public function hasStreamBit(int $bit): bool
    {
        return ($this->byte10 & $bit) === $bit;
    }

    public function pack(): string
    {
        return self::packFrame($this->payload, $this->flags, $this->options, $this->byte10);
    }

    /**
     * Builds the complete frame as one string, so that it can be written with a single write.
     *
     * @param list<int> $options
     */
    public static function packFrame(string $payload, int $flags = 0, array $options = [], int $byte10 = 0): string
    {
        return self::packHeader(\strlen($payload), $flags, $options, $byte10) . $payload;
    }

    /**
     * The header and options of a frame whose payload is $length bytes: a caller holding the payload in pieces
     * writes header . piece1 . piece2 (one string built in one go) instead of joining the pieces first.
     *
     * @param list<int> $options
     */
    public static function packHeader(int $length, int $flags = 0, array $options = [], int $byte10 = 0): string
    {
        $count = \count($options);
        if ($count > self::MAX_OPTIONS) {
            throw new FrameException(\sprintf('a frame carries at most %d options, got %d', self::MAX_OPTIONS, $count));
        }
        if ($length > self::MAX_PAYLOAD) {
            throw new FrameException('payload too large for one frame (max 4 GiB - 1)');
        }
        $head = \pack('CCV', (self::VERSION << 4) | (3 + $count), $flags & 0xFF, $length);
        $header = $head . \pack('VCC', \crc32($head), $byte10 & 0xFF, 0);
        if ($count === 1) {
            $header .= \pack('V', $options[0]);
        } elseif ($count > 0) {
            $header .= \pack('V*', ...$options);
        }

        return $header;
    }

    /**
     * Parses the fixed 12-byte header.
     *
     * @return array{optionBytes: int, flags: int, length: int, byte10: int, byte11: int}
     *         optionBytes = how many option bytes follow the header
     */
    public static function parseHeader(string $header): array
    {
        [$optionBytes, $flags, $length, $byte10, $byte11] = self::decodeHeader($header);

        return [
            'optionBytes' => $optionBytes,
            'flags' => $flags,
            'length' => $length,
            'byte10' => $byte10,
            'byte11' => $byte11,
        ];
    }

    /**
     * parseHeader() as a list, for the read loop: [optionBytes, flags, length, byte10, byte11].
     *
     * @return array{int, int, int, int, int}
     */
    public static function decodeHeader(string $header): array
    {
        if (\strlen($header) !== self::HEADER_SIZE) {
            throw new FrameException(\sprintf('a frame header is %d bytes, got %d', self::HEADER_SIZE, \strlen($header)));
        }
        /** @var array{1: int, 2: int} $v length, crc */
        $v = \unpack('V2', $header, 2);
        if ($v[2] !== \crc32(\substr($header, 0, 6))) {
            throw new FrameException(
                'frame header CRC mismatch (the stream is not goridge frames or is out of sync): 0x' . \bin2hex($header)
            );
        }
        $words = \ord($header[0]) & 0x0F;
        if ($words < 3 || $words > 3 + self::MAX_OPTIONS) {
            throw new FrameException(\sprintf('invalid frame header length of %d words: 0x%s', $words, \bin2hex($header)));
        }

        return [($words - 3) * 4, \ord($header[1]), $v[1], \ord($header[10]), \ord($header[11])];
    }

    /**
     * The frame whose header decodeHeader() gave, from the bytes that follow it (options, then payload).
     */
    public static function fromParts(int $optionBytes, int $flags, int $byte10, int $byte11, string $data): self
    {
        if ($optionBytes === 0) {
            return new self($data, $flags, [], $byte10, $byte11);
        }
        $options = \array_values(\unpack('V' . ($optionBytes >> 2), $data));

        return new self(\substr($data, $optionBytes), $flags, $options, $byte10, $byte11);
    }

    /**
     * Reads one frame through $read, which must return exactly the number of bytes asked for
     * (the relays loop over short reads).
     *
     * @param callable(int): string $read
     */
    public static function read(callable $read): self
    {
        [$optionBytes, $flags, $length, $byte10, $byte11] = self::decodeHeader($read(self::HEADER_SIZE));
        $rest = $optionBytes + $length;

        return self::fromParts($optionBytes, $flags, $byte10, $byte11, $rest > 0 ? $read($rest) : '');
    }

    /**
     * Parses one complete frame held in a string (the inverse of pack()).
     */
    public static function unpack(string $bytes): self
    {
        $offset = 0;
        $frame = self::read(static function (int $n) use ($bytes, &$offset): string {
            if ($offset + $n > \strlen($bytes)) {
                throw new FrameException(\sprintf('truncated frame: need %d bytes at offset %d, have %d', $n, $offset, \strlen($bytes)));
            }
            $chunk = \substr($bytes, $offset, $n);
            $offset += $n;

            return $chunk;
        });
        if ($offset !== \strlen($bytes)) {
            throw new FrameException(\sprintf('%d trailing bytes after the frame', \strlen($bytes) - $offset));
        }

        return $frame;
    }
}
