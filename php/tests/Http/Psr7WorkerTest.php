<?php

declare(strict_types=1);

namespace Burner\Tests\Http;

use Burner\Frame;
use Burner\Http\ProtoCodec;
use Burner\Http\Psr7Worker;
use Burner\Tests\Fixtures\WorkerProcess;
use PHPUnit\Framework\TestCase;

/**
 * Psr7Worker with Debian's nyholm/psr7 factories, in a real worker process (fixtures/sdk/psr7-worker.php).
 */
final class Psr7WorkerTest extends TestCase
{
    private ?WorkerProcess $w = null;
    private ?string $upload = null;

    protected function setUp(): void
    {
        if (!\class_exists(\Nyholm\Psr7\Factory\Psr17Factory::class)) {
            self::markTestSkipped('nyholm/psr7 is not installed (Debian package php-nyholm-psr7)');
        }
    }

    protected function tearDown(): void
    {
        $this->w?->close();
        if ($this->upload !== null) {
            @\unlink($this->upload);
        }
    }

    private function start(array $args = []): WorkerProcess
    {
        $this->w = new WorkerProcess(WorkerProcess::fixture('psr7-worker.php'), $args);
        $this->w->handshake();

        return $this->w;
    }

    public function testServerRequestFromAProtoContext(): void
    {
        $w = $this->start();
        $this->upload = \tempnam(\sys_get_temp_dir(), 'burner-upload');
        \file_put_contents($this->upload, 'file-content');
        $uploads = \json_encode([
            'doc' => ['name' => 'a.txt', 'mime' => 'text/plain', 'size' => 12, 'error' => 0, 'tmpName' => $this->upload],
            'more' => [['name' => 'bad.php', 'mime' => 'text/x-php', 'size' => 0, 'error' => 8, 'tmpName' => '']],
        ]);
        $ctx = ProtoCodec::encodeRequest([
            'remoteAddr' => '203.0.113.9', 'protocol' => 'HTTP/2.0', 'method' => 'POST',
            'uri' => 'https://shop.test:8443/cart/add?id=5&opt[]=x',
            'headers' => ['Accept' => ['text/html'], 'Content-Type' => ['multipart/form-data; boundary=z'], 'X-Multi' => ['1', '2']],
            'cookies' => ['session' => 'abc'], 'rawQuery' => 'id=5&opt[]=x', 'parsed' => true, 'uploads' => $uploads,
            'attributes' => ['route' => 'cart'],
        ]);
        $w->sendPayload($ctx, '{"qty":"2","meta":{"gift":"yes"}}', Frame::CODEC_PROTO);

        $frame = $w->readFrame();
        self::assertSame(0x80, $frame->flags);
        $header = ProtoCodec::decodeResponse(\substr($frame->payload, 0, $frame->options[0]));
        self::assertSame(202, $header['status']);
        self::assertSame(['a=1', 'b=2'], $header['headers']['Set-Cookie'], 'each Set-Cookie stays a separate value');
        self::assertSame(['application/json'], $header['headers']['Content-Type']);

        $r = \json_decode(\substr($frame->payload, $frame->options[0]), true);
        self::assertSame('Nyholm\Psr7\ServerRequest', $r['class']);
        self::assertSame('POST', $r['method']);
        // nyholm/psr7's Uri percent-encodes the brackets of the query
        self::assertSame('https://shop.test:8443/cart/add?id=5&opt%5B%5D=x', $r['uri']);
        self::assertSame('2', $r['protocol']);
        self::assertSame(['1', '2'], $r['headers']['X-Multi']);
        self::assertSame(['shop.test:8443'], $r['headers']['Host']);
        self::assertSame(['session' => 'abc'], $r['cookies']);
        self::assertSame(['id' => '5', 'opt' => ['x']], $r['query']);
        self::assertSame(['qty' => '2', 'meta' => ['gift' => 'yes']], $r['parsed']);
        self::assertSame(['route' => 'cart'], $r['attr']);
        self::assertSame([
            ['name' => 'a.txt', 'type' => 'text/plain', 'size' => 12, 'error' => 0, 'content' => 'file-content'],
            ['name' => 'bad.php', 'type' => 'text/x-php', 'size' => 0, 'error' => 8, 'content' => null],
        ], $r['files']);
        self::assertSame('203.0.113.9', $r['server']['REMOTE_ADDR']);
        self::assertSame('/cart/add?id=5&opt[]=x', $r['server']['REQUEST_URI']);
        self::assertSame('id=5&opt[]=x', $r['server']['QUERY_STRING']);
        self::assertSame('text/html', $r['server']['HTTP_ACCEPT']);
        self::assertSame('multipart/form-data; boundary=z', $r['server']['CONTENT_TYPE']);
        self::assertSame('on', $r['server']['HTTPS']);
        self::assertSame(8443, $r['server']['SERVER_PORT']);
        self::assertSame('shop.test:8443', $r['server']['HTTP_HOST']);

        $w->sendStop();
        self::assertSame(0, $w->wait());
    }

    public function testRawBodyOverJsonAndChunkedResponses(): void
    {
        $w = $this->start(['chunked']);
        $w->sendPayload('{"method":"PUT","uri":"http://h/x","protocol":"HTTP/1.1","headers":{"Content-Type":["text/plain"]}}', 'raw body', Frame::CODEC_JSON);
        $body = '';
        do {
            $frame = $w->readFrame();
            self::assertSame(Frame::CODEC_JSON, $frame->flags);
            $header = \json_decode(\substr($frame->payload, 0, $frame->options[0]), true);
            self::assertSame(202, $header['status']);
            $body .= \substr($frame->payload, $frame->options[0]);
            $chunks = ($chunks ?? 0) + 1;
        } while ($frame->byte10 & Frame::STREAM);
        self::assertGreaterThan(10, $chunks, 'chunkSize 4 streams the body in many frames');
        $r = \json_decode($body, true);
        self::assertSame('raw body', $r['body']);
        self::assertNull($r['parsed']);
        self::assertSame('1.1', $r['protocol']);

        $w->sendStop();
        self::assertSame(0, $w->wait());
    }

    public function testProtocolVersionMapping(): void
    {
        self::assertSame('2', Psr7Worker::protocolVersion('HTTP/2.0'));
        self::assertSame('1.0', Psr7Worker::protocolVersion('HTTP/1.0'));
        self::assertSame('1.1', Psr7Worker::protocolVersion(''));
    }
}
