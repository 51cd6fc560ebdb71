<?php

declare(strict_types=1);

namespace Burner\Tests\Http;

use Burner\Frame;
use Burner\Http\ProtoCodec;
use Burner\Tests\Fixtures\WorkerProcess;
use PHPUnit\Framework\TestCase;

/**
 * fixtures/sdk/http-worker.php as a real child process, driven over its pipes in both codecs.
 */
final class HttpWorkerProcessTest extends TestCase
{
    private ?WorkerProcess $w = null;

    protected function setUp(): void
    {
        $this->w = new WorkerProcess(WorkerProcess::fixture('http-worker.php'), [], ['RR_MODE' => 'http']);
        $this->w->handshake();
    }

    protected function tearDown(): void
    {
        $this->w?->close();
    }

    /** @return array{Frame, string, string} */
    private function read(): array
    {
        $frame = $this->w->readFrame();
        self::assertCount(1, $frame->options, 'a response frame carries exactly one option');

        return [$frame, \substr($frame->payload, 0, $frame->options[0]), (string) \substr($frame->payload, $frame->options[0])];
    }

    private function finish(): void
    {
        $this->w->sendStop();
        self::assertSame(0, $this->w->wait());
        self::assertSame('', $this->w->readRemainingStdout());
    }

    public function testProtoRoundTrip(): void
    {
        $ctx = ProtoCodec::encodeRequest([
            'remoteAddr' => '192.0.2.1', 'protocol' => 'HTTP/1.1', 'method' => 'POST',
            'uri' => 'http://app.test/echo?q=1', 'headers' => ['Accept' => ['*/*'], 'Content-Type' => ['application/json']],
            'cookies' => ['c' => 'v'], 'rawQuery' => 'q=1',
        ]);
        $this->w->sendPayload($ctx, '{"raw":true}', Frame::CODEC_PROTO);
        [$frame, $header, $body] = $this->read();
        self::assertSame(0x80, $frame->flags);
        self::assertSame(
            ['status' => 201, 'headers' => ['Content-Type' => ['application/json'], 'X-Multi' => ['a', 'b'], 'X-Num' => ['7']]],
            ProtoCodec::decodeResponse($header),
        );
        $echo = \json_decode($body, true);
        self::assertSame('192.0.2.1', $echo['remoteAddr']);
        self::assertSame('POST', $echo['method']);
        self::assertSame('{"raw":true}', $echo['body']);
        self::assertSame(['c' => 'v'], $echo['cookies']);
        self::assertSame(['q' => '1'], $echo['query']);
        self::assertSame('*/*', $echo['accept']);
        self::assertSame('app.test', $echo['host']);
        self::assertSame(0x80, $echo['codec']);
        self::assertStringContainsString('noise from the app', $this->w->waitStderr('noise from the app'));
        $this->finish();
    }

    public function testPipelinedRequestsOverRealPipesAreAnsweredInOrder(): void
    {
        $ctx = static fn (string $path): string => '{"remoteAddr":"127.0.0.1","protocol":"HTTP/1.1","method":"GET",'
            . '"uri":"http://app.test' . $path . '","headers":{},"cookies":{},"rawQuery":"","parsed":false,'
            . '"uploads":null,"attributes":{}}';
        $frame = static fn (string $path): string => Frame::packFrame($ctx($path), Frame::CODEC_JSON, [\strlen($ctx($path))]);
        // Three requests in one write, as a pipelining server may leave them in the pipe: a plain one, a streamed
        // one (the worker polls for STOP while streaming, with the third request already waiting), a plain one.
        $this->w->send($frame('/a') . $frame('/stream') . $frame('/c'));

        [, , $body] = $this->read();
        self::assertSame('http://app.test/a', \json_decode($body, true)['uri']);
        $chunks = [];
        do {
            [$f, , $body] = $this->read();
            $chunks[] = $body;
        } while ($f->hasStreamBit(Frame::STREAM));
        self::assertSame(['one,', 'two,', 'end'], $chunks);
        [, , $body] = $this->read();
        self::assertSame('http://app.test/c', \json_decode($body, true)['uri']);
        $this->w->drainStderr();
        $this->finish();
    }

    public function testJsonRoundTripAndSwitchingCodecs(): void
    {
        $this->w->sendPayload('{"remoteAddr":"::1","protocol":"HTTP/2.0","method":"GET","uri":"https://app.test/","headers":{},'
            . '"cookies":{},"rawQuery":"","parsed":false,"uploads":null,"attributes":{}}', '', Frame::CODEC_JSON);
        [$frame, $header, $body] = $this->read();
        self::assertSame(Frame::CODEC_JSON, $frame->flags);
        self::assertSame(
            ['status' => 201, 'headers' => ['Content-Type' => ['application/json'], 'X-Multi' => ['a', 'b'], 'X-Num' => ['7']]],
            \json_decode($header, true),
        );
        self::assertSame('HTTP/2.0', \json_decode($body, true)['protocol']);

        $this->w->sendPayload(ProtoCodecTest::SPEC_REQUEST_CTX, '', Frame::CODEC_PROTO);
        [$frame] = $this->read();
        self::assertSame(0x80, $frame->flags);
        $this->finish();
    }

    public function testStreamEarlyHintsAndError(): void
    {
        $proto = static fn (string $path): string => ProtoCodec::encodeRequest(['method' => 'GET', 'uri' => 'http://h' . $path]);

        $this->w->sendPayload($proto('/stream'), '', Frame::CODEC_PROTO);
        $chunks = [];
        do {
            [$frame, $header, $body] = $this->read();
            self::assertSame(200, ProtoCodec::decodeResponse($header)['status']);
            $chunks[] = $body;
        } while ($frame->byte10 & Frame::STREAM);
        self::assertSame(['one,', 'two,', 'end'], $chunks);

        $this->w->sendPayload($proto('/early-hints'), '', Frame::CODEC_PROTO);
        [$hint, $hintHeader] = $this->read();
        self::assertSame(Frame::STREAM, $hint->byte10);
        self::assertSame(103, ProtoCodec::decodeResponse($hintHeader)['status']);
        [$final, $finalHeader, $finalBody] = $this->read();
        self::assertSame(0, $final->byte10);
        self::assertSame(['status' => 200, 'headers' => ['X-Step' => ['done']]], ProtoCodec::decodeResponse($finalHeader));
        self::assertSame('final', $finalBody);

        $this->w->sendPayload($proto('/error'), '', Frame::CODEC_PROTO);
        $error = $this->w->readFrame();
        self::assertSame(Frame::ERROR, $error->flags);
        self::assertSame('app failed', $error->payload);
        $this->finish();
    }

    public function testClientDisconnectStopsAnEndlessStream(): void
    {
        $proto = static fn (string $path): string => ProtoCodec::encodeRequest(['method' => 'GET', 'uri' => 'http://h' . $path]);
        $this->w->sendPayload($proto('/endless'), '', Frame::CODEC_PROTO);
        for ($i = 0; $i < 3; $i++) {
            [$frame, , $body] = $this->read();
            self::assertSame("chunk$i,", $body);
            self::assertSame(Frame::STREAM, $frame->byte10);
        }
        // What the server does when the HTTP client goes away: STOP, then drain until a frame without STREAM.
        $this->w->sendFrame('', 0, [], Frame::STOP);
        $drained = 0;
        do {
            [$frame] = $this->read();
            $drained++;
            self::assertLessThan(1000, $drained, 'the worker must notice STOP');
        } while ($frame->byte10 & Frame::STREAM);
        self::assertStringContainsString('generator saw the stop', $this->w->waitStderr('generator saw the stop'));

        $this->w->sendPayload($proto('/stopped-count'), '', Frame::CODEC_PROTO);
        [, , $count] = $this->read();
        self::assertSame('1', $count, 'the worker serves the next request normally');
        $this->finish();
    }
}
