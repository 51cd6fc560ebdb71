<?php

declare(strict_types=1);

namespace Burner\Tests\Http;

use Burner\Frame;
use Burner\Tests\Fixtures\WorkerProcess;
use PHPUnit\Framework\TestCase;

/**
 * bin/http-worker-example.php answers the spec's example request with the spec's example response frame.
 */
final class ExampleWorkerTest extends TestCase
{
    public function testHelloWorkerMatchesTheSpecFrames(): void
    {
        $w = new WorkerProcess(\dirname(__DIR__, 2) . '/bin/http-worker-example.php');
        try {
            self::assertSame($w->pid(), $w->handshake());
            $w->sendPayload(ProtoCodecTest::SPEC_REQUEST_CTX, '', Frame::CODEC_PROTO);
            // roadrunner-protocol.md §1.7 "HTTP response: status 200, Content-Type: text/plain, body Hello"
            self::assertSame(
                '148026000000' . '5ea13a1d' . '0000' . '21000000' . \bin2hex(ProtoCodecTest::SPEC_RESPONSE_HDR) . \bin2hex('Hello'),
                \bin2hex($w->readFrame()->pack()),
            );

            $w->sendPayload('{"method":"GET","uri":"http://localhost/"}', '', Frame::CODEC_JSON);
            $json = $w->readFrame();
            self::assertSame(Frame::CODEC_JSON, $json->flags);
            self::assertSame('{"status":200,"headers":{"Content-Type":["text/plain"]}}Hello', $json->payload);

            $w->sendStop();
            self::assertSame(0, $w->wait());
            self::assertSame('', $w->readRemainingStdout());
        } finally {
            $w->close();
        }
    }
}
