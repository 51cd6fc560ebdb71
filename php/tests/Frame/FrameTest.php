<?php

declare(strict_types=1);

namespace Burner\Tests\Frame;

use Burner\Frame;
use Burner\Relay\FrameException;
use PHPUnit\Framework\TestCase;

/**
 * Packing and parsing against the worked examples of roadrunner-protocol.md §1.7, byte for byte.
 */
final class FrameTest extends TestCase
{
    private static function hex(string $spaced): string
    {
        return \hex2bin(\str_replace([' ', "\n"], '', $spaced));
    }

    /** @return iterable<string, array{string, string, int, list<int>, int}> expected header hex, payload, flags, options, byte10 */
    public static function specExamples(): iterable
    {
        yield 'PID request 12345' => ['13 09 0d 00 00 00 3a 6b fa cb 00 00', '{"pid":12345}', 0x09, [], 0];
        yield 'stop request' => ['13 09 0d 00 00 00 3a 6b fa cb 00 00', '{"stop":true}', 0x09, [], 0];
        yield 'PID reply 4242' => ['13 01 0c 00 00 00 9e 47 36 43 00 00', '{"pid":4242}', Frame::CONTROL, [], 0];
        yield 'worker error' => ['13 40 04 00 00 00 88 1e 11 e3 00 00', 'boom', Frame::ERROR, [], 0];
        yield 'stream STOP' => ['13 00 00 00 00 00 96 d1 80 34 02 00', '', 0, [], Frame::STOP];
        yield 'RPC call' => [
            '15 08 14 00 00 00 82 b9 d2 0d 00 00 01 00 00 00 0e 00 00 00', 'resetter.Reset"http"', Frame::CODEC_JSON, [1, 14], 0,
        ];
        yield 'RPC reply' => [
            '15 08 12 00 00 00 5e e6 b9 28 00 00 01 00 00 00 0e 00 00 00', 'resetter.Resettrue', Frame::CODEC_JSON, [1, 14], 0,
        ];
        yield 'RPC error reply' => [
            '15 48 21 00 00 00 58 e9 d4 92 00 00 01 00 00 00 0e 00 00 00', 'resetter.Resetno such plugin: foo',
            Frame::CODEC_JSON | Frame::ERROR, [1, 14], 0,
        ];
    }

    /**
     * @dataProvider specExamples
     * @param list<int> $options
     */
    public function testPackMatchesSpec(string $headerHex, string $payload, int $flags, array $options, int $byte10): void
    {
        $expected = self::hex($headerHex) . $payload;
        self::assertSame(\bin2hex($expected), \bin2hex(Frame::packFrame($payload, $flags, $options, $byte10)));
        self::assertSame(\bin2hex($expected), \bin2hex((new Frame($payload, $flags, $options, $byte10))->pack()));
    }

    /**
     * @dataProvider specExamples
     * @param list<int> $options
     */
    public function testUnpackMatchesSpec(string $headerHex, string $payload, int $flags, array $options, int $byte10): void
    {
        $frame = Frame::unpack(self::hex($headerHex) . $payload);
        self::assertSame($payload, $frame->payload);
        self::assertSame($flags, $frame->flags);
        self::assertSame($options, $frame->options);
        self::assertSame($byte10, $frame->byte10);
    }

    public function testHttpProtoRequestFrameFromSpec(): void
    {
        $ctx = "\x0a\x09127.0.0.1" . "\x12\x08HTTP/1.1" . "\x1a\x03GET" . "\x22\x1ahttp://localhost:8080/?a=1"
            . "\x2a\x0f" . "\x0a\x06Accept" . "\x12\x05" . "\x0a\x03*/*" . "\x3a\x03a=1";
        self::assertSame(76, \strlen($ctx));
        $bytes = Frame::packFrame($ctx, Frame::CODEC_PROTO, [\strlen($ctx)]);
        self::assertSame('1480' . '4c000000' . '39b6a149' . '0000' . '4c000000', \bin2hex(\substr($bytes, 0, 16)));
    }

    public function testHttpProtoResponseFrameFromSpec(): void
    {
        $hdr = "\x08\xc8\x01" . "\x12\x1c" . "\x0a\x0cContent-Type" . "\x12\x0c" . "\x0a\x0atext/plain";
        $bytes = Frame::packFrame($hdr . 'Hello', Frame::CODEC_PROTO, [\strlen($hdr)]);
        self::assertSame('1480' . '26000000' . '5ea13a1d' . '0000' . '21000000', \bin2hex(\substr($bytes, 0, 16)));

        // As a stream chunk only byte 10 changes: the CRC covers bytes 0-5.
        $chunk = Frame::packFrame($hdr . 'Hello', Frame::CODEC_PROTO, [\strlen($hdr)], Frame::STREAM);
        self::assertSame('1480' . '26000000' . '5ea13a1d' . '0100' . '21000000', \bin2hex(\substr($chunk, 0, 16)));
        self::assertTrue(Frame::unpack($chunk)->hasStreamBit(Frame::STREAM));
    }

    public function testBadCrcIsRejectedWithTheBytes(): void
    {
        $bytes = Frame::packFrame('{"pid":1}', Frame::CONTROL);
        $bytes[6] = \chr(\ord($bytes[6]) ^ 0xFF);
        $this->expectException(FrameException::class);
        $this->expectExceptionMessage('CRC mismatch');
        Frame::unpack($bytes);
    }

    public function testStrayTextIsNotAFrame(): void
    {
        $this->expectException(FrameException::class);
        Frame::unpack("Could not open input file: x.php\n");
    }

    public function testTruncatedFrame(): void
    {
        $bytes = Frame::packFrame('hello', 0, [2]);
        $this->expectException(FrameException::class);
        $this->expectExceptionMessage('truncated');
        Frame::unpack(\substr($bytes, 0, -1));
    }

    public function testTooManyOptions(): void
    {
        $this->expectException(FrameException::class);
        Frame::packFrame('', 0, \range(1, 11));
    }

    public function testTenOptionsAndLargeValuesRoundTrip(): void
    {
        $options = [0, 1, 0xFFFFFFFF, 7, 8, 9, 10, 11, 12, 0x80000000];
        $frame = Frame::unpack(Frame::packFrame(\str_repeat('x', 70000), 0x80, $options, Frame::STREAM | Frame::PING));
        self::assertSame($options, $frame->options);
        self::assertSame(70000, \strlen($frame->payload));
        self::assertSame(Frame::STREAM | Frame::PING, $frame->byte10);
    }
}
