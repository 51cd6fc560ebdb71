<?php

declare(strict_types=1);

namespace Burner\Tests\Http;

use Burner\Http\ProtoCodec;
use Burner\Http\ProtoException;
use PHPUnit\Framework\TestCase;

/**
 * http.v1.Request / http.v1.Response against the bytes of roadrunner-protocol.md §1.7.
 */
final class ProtoCodecTest extends TestCase
{
    public const SPEC_REQUEST_CTX = "\x0a\x09127.0.0.1" . "\x12\x08HTTP/1.1" . "\x1a\x03GET"
        . "\x22\x1ahttp://localhost:8080/?a=1" . "\x2a\x0f" . "\x0a\x06Accept" . "\x12\x05" . "\x0a\x03*/*" . "\x3a\x03a=1";

    public const SPEC_RESPONSE_HDR = "\x08\xc8\x01" . "\x12\x1c" . "\x0a\x0cContent-Type" . "\x12\x0c" . "\x0a\x0atext/plain";

    public function testDecodesTheSpecRequest(): void
    {
        $r = ProtoCodec::decodeRequest(self::SPEC_REQUEST_CTX);
        self::assertSame('127.0.0.1', $r['remoteAddr']);
        self::assertSame('HTTP/1.1', $r['protocol']);
        self::assertSame('GET', $r['method']);
        self::assertSame('http://localhost:8080/?a=1', $r['uri']);
        self::assertSame(['Accept' => ['*/*']], $r['headers']);
        self::assertSame('a=1', $r['rawQuery']);
        self::assertFalse($r['parsed']);
        self::assertSame([], $r['cookies']);
        self::assertSame('', $r['uploads']);
    }

    public function testEncodesTheSpecResponseByteForByte(): void
    {
        self::assertSame(
            \bin2hex(self::SPEC_RESPONSE_HDR),
            \bin2hex(ProtoCodec::encodeResponse(200, ['Content-Type' => ['text/plain']])),
        );
        self::assertSame(
            ['status' => 200, 'headers' => ['Content-Type' => ['text/plain']]],
            ProtoCodec::decodeResponse(self::SPEC_RESPONSE_HDR),
        );
    }

    public function testEncodeRequestReproducesTheSpecContext(): void
    {
        self::assertSame(\bin2hex(self::SPEC_REQUEST_CTX), \bin2hex(ProtoCodec::encodeRequest([
            'remoteAddr' => '127.0.0.1', 'protocol' => 'HTTP/1.1', 'method' => 'GET',
            'uri' => 'http://localhost:8080/?a=1', 'headers' => ['Accept' => ['*/*']], 'rawQuery' => 'a=1',
        ])));
    }

    public function testFullRequestRoundTrip(): void
    {
        $uploads = '{"file":{"name":"a.txt","mime":"text/plain","size":3,"error":0,"tmpName":"/tmp/upload1"}}';
        $long = \str_repeat('v', 300); // a length that needs a 2-byte varint
        $bytes = ProtoCodec::encodeRequest([
            'remoteAddr' => '::1', 'protocol' => 'HTTP/2.0', 'method' => 'POST', 'uri' => 'https://h/p',
            'headers' => ['X-Multi' => ['1', '2'], 'X-Long' => [$long], 'X-Empty' => ['']],
            'cookies' => ['sid' => 'a b', 'n' => '1'],
            'rawQuery' => 'q[]=1&q[]=2',
            'parsed' => true,
            'uploads' => $uploads,
            'attributes' => ['route' => 'home'],
        ]);
        $r = ProtoCodec::decodeRequest($bytes);
        self::assertSame(['X-Multi' => ['1', '2'], 'X-Long' => [$long], 'X-Empty' => ['']], $r['headers']);
        self::assertSame(['sid' => ['a b'], 'n' => ['1']], $r['cookies']);
        self::assertTrue($r['parsed']);
        self::assertSame($uploads, $r['uploads']);
        self::assertSame(['route' => ['home']], $r['attributes']);
        self::assertSame('https://h/p', $r['uri']);
    }

    public function testRepeatedMapKeysAppendAndUnknownFieldsAreSkipped(): void
    {
        $entry = static fn (string $k, string $v): string => "\x0a" . \chr(\strlen($k)) . $k
            . "\x12" . \chr(\strlen($v) + 2) . "\x0a" . \chr(\strlen($v)) . $v;
        $bytes = "\x2a" . \chr(\strlen($entry('A', 'x'))) . $entry('A', 'x')
            . "\x58\x96\x01"                       // field 11 varint (unknown)
            . "\x61" . \str_repeat("\0", 8)        // field 12 fixed64 (unknown)
            . "\x6d" . \str_repeat("\0", 4)        // field 13 fixed32 (unknown)
            . "\x72\x02zz"                         // field 14 bytes (unknown)
            . "\x2a" . \chr(\strlen($entry('A', 'y'))) . $entry('A', 'y')
            . "\x1a\x04POST";
        $r = ProtoCodec::decodeRequest($bytes);
        self::assertSame(['A' => ['x', 'y']], $r['headers']);
        self::assertSame('POST', $r['method']);
    }

    public function testVarints(): void
    {
        foreach ([0, 1, 127, 128, 300, 599, 1 << 35, \PHP_INT_MAX, -1, -200] as $value) {
            $pos = 0;
            $enc = ProtoCodec::varint($value);
            self::assertSame($value, ProtoCodec::readVarint($enc, $pos), "varint $value");
            self::assertSame(\strlen($enc), $pos);
        }
        self::assertSame(10, \strlen(ProtoCodec::varint(-1)), 'negative int64 takes 10 bytes');
        self::assertSame("\xac\x02", ProtoCodec::varint(300));
    }

    /** @return iterable<string, array{string}> */
    public static function malformed(): iterable
    {
        yield 'truncated varint' => ["\x08\x80"];
        yield 'length past the end' => ["\x0a\x10abc"];
        yield 'field number 0' => ["\x00\x01"];
        yield 'wire type 3' => ["\x0b"];
        yield 'truncated fixed64' => ["\x61\x00\x00"];
        yield 'JSON instead of proto' => ['{"method":"GET"}'];
    }

    /** @dataProvider malformed */
    public function testMalformedInputIsAClearError(string $bytes): void
    {
        $this->expectException(ProtoException::class);
        $this->expectExceptionMessage('malformed protobuf');
        ProtoCodec::decodeRequest($bytes);
    }
}
