<?php

declare(strict_types=1);

namespace Burner\Tests\Worker;

use Burner\Frame;
use Burner\Relay\RelayException;
use Burner\Relay\StreamRelay;
use Burner\Worker\Environment;
use Burner\Worker\Payload;
use Burner\Worker\Worker;
use Burner\Worker\WorkerException;
use PHPUnit\Framework\TestCase;

/**
 * The worker loop in-process over stream_socket_pair(): one end is the worker's relay, the test writes and
 * reads raw frames on the other.
 */
final class WorkerTest extends TestCase
{
    /** @var resource */
    private $server;
    /** @var resource */
    private $client;
    private StreamRelay $serverSide;
    private Worker $worker;

    protected function setUp(): void
    {
        [$this->server, $this->client] = \stream_socket_pair(\STREAM_PF_UNIX, \STREAM_SOCK_STREAM, \STREAM_IPPROTO_IP);
        $this->serverSide = new StreamRelay($this->server, $this->server);
        // No output interception here: PHPUnit owns this process's output buffers.
        $this->worker = new Worker(new StreamRelay($this->client, $this->client), false);
    }

    protected function tearDown(): void
    {
        \fclose($this->server);
        \fclose($this->client);
    }

    private function serverSends(string $payload, int $flags = 0, array $options = [], int $byte10 = 0): void
    {
        $this->serverSide->send(Frame::packFrame($payload, $flags, $options, $byte10));
    }

    public function testHandshakeIsAnsweredLazilyThenPayloadThenStop(): void
    {
        $this->serverSends('{"pid":12345}', Frame::CONTROL | Frame::CODEC_JSON);
        $this->serverSends('ctx' . 'body', Frame::CODEC_PROTO, [3]);

        $payload = $this->worker->waitPayload();
        self::assertNotNull($payload);
        self::assertSame('ctx', $payload->header);
        self::assertSame('body', $payload->body);
        self::assertSame(Frame::CODEC_PROTO, $payload->flags);
        self::assertFalse($payload->stream);

        $pid = $this->serverSide->receive();
        self::assertSame(Frame::CONTROL, $pid->flags, 'PHP answers with CONTROL only');
        self::assertSame([], $pid->options);
        self::assertSame(['pid' => \getmypid(), 'pipelining' => true], \json_decode($pid->payload, true));

        $this->worker->respond(new Payload('hdr', 'out'), Frame::CODEC_PROTO);
        $reply = $this->serverSide->receive();
        self::assertSame('hdrout', $reply->payload);
        self::assertSame([3], $reply->options);
        self::assertSame(Frame::CODEC_PROTO, $reply->flags);
        self::assertSame(0, $reply->byte10);

        $this->serverSends('{"stop":true}', Frame::CONTROL | Frame::CODEC_JSON);
        self::assertNull($this->worker->waitPayload());
        self::assertFalse($this->serverSide->hasFrame(), 'the worker sends nothing in reply to stop');
    }

    public function testEmptyHeaderAndEmptyBody(): void
    {
        $this->serverSends('x', 0, [0]);
        $payload = $this->worker->waitPayload();
        self::assertSame('', $payload->header);
        self::assertSame('x', $payload->body);
        $this->worker->respond(new Payload());
        $reply = $this->serverSide->receive();
        self::assertSame([0], $reply->options);
        self::assertSame('', $reply->payload);
    }

    public function testHeaderLengthBeyondThePayloadIsAnError(): void
    {
        $this->serverSends('abc', 0, [10]);
        $this->expectException(WorkerException::class);
        $this->expectExceptionMessage('context length 10 exceeds payload length 3');
        $this->worker->waitPayload();
    }

    public function testInvalidControlFrameIsAnError(): void
    {
        $this->serverSends('not json', Frame::CONTROL);
        $this->expectException(WorkerException::class);
        $this->worker->waitPayload();
    }

    public function testStreamChunksAndCancellation(): void
    {
        $this->serverSends('', 0, [0]);
        $this->worker->waitPayload();

        $this->worker->respond(new Payload('h', 'chunk1'), Frame::CODEC_PROTO, true);
        self::assertFalse($this->worker->isStreamStopped());
        $first = $this->serverSide->receive();
        self::assertSame(Frame::STREAM, $first->byte10);
        self::assertSame(Frame::CODEC_PROTO, $first->flags);

        // The client went away: the server sends STOP and drains until a frame without STREAM.
        $this->serverSends('', 0, [], Frame::STOP);
        self::assertTrue($this->worker->isStreamStopped());
        $this->worker->respond(new Payload('h', ''), Frame::CODEC_PROTO, false);
        $last = $this->serverSide->receive();
        self::assertSame(0, $last->byte10);
        self::assertFalse($this->worker->isStreamStopped(), 'the flag ends with the stream');

        // The next request is unaffected.
        $this->serverSends('', 0, [0]);
        self::assertNotNull($this->worker->waitPayload());
    }

    public function testStopDuringAStreamEndsTheLoopAfterTheStream(): void
    {
        $this->serverSends('', 0, [0]);
        $this->worker->waitPayload();
        $this->worker->respond(new Payload('', 'a'), 0, true);
        $this->serverSends('{"stop":true}', Frame::CONTROL | Frame::CODEC_JSON);
        self::assertTrue($this->worker->isStreamStopped());
        $this->worker->respond(new Payload('', ''), 0, false);
        self::assertNull($this->worker->waitPayload());
    }

    public function testRequestsWrittenTogetherAreAnsweredInOrder(): void
    {
        // A pipelining server: the second request is in the relay before the first is answered.
        \fwrite($this->server, Frame::packFrame('h1' . 'b1', 0, [2]) . Frame::packFrame('h2' . 'b2', 0, [2]));

        $first = $this->worker->waitPayload();
        self::assertSame(['h1', 'b1'], [$first->header, $first->body]);
        $this->worker->respond(new Payload('', 'answer 1'));
        $second = $this->worker->waitPayload();
        self::assertSame(['h2', 'b2'], [$second->header, $second->body]);
        $this->worker->respond(new Payload('', 'answer 2'));

        self::assertSame('answer 1', $this->serverSide->receive()->payload);
        self::assertSame('answer 2', $this->serverSide->receive()->payload);
    }

    public function testARequestWaitingDuringAStreamIsServedAfterIt(): void
    {
        \fwrite($this->server, Frame::packFrame('', 0, [0]) . Frame::packFrame('next' . 'body', 0, [4]));
        self::assertNotNull($this->worker->waitPayload());

        // Streaming polls the relay for a STOP: the waiting request is not one, and must not be lost.
        $this->worker->respond(new Payload('', 'chunk1'), 0, true);
        self::assertFalse($this->worker->isStreamStopped());
        $this->worker->respond(new Payload('', 'chunk2'), 0, true);
        self::assertFalse($this->worker->isStreamStopped());
        $this->worker->respond(new Payload('', 'end'), 0, false);

        $next = $this->worker->waitPayload();
        self::assertNotNull($next);
        self::assertSame(['next', 'body'], [$next->header, $next->body]);
        $this->worker->respond(new Payload('', 'answer 2'));

        $answers = [];
        for ($i = 0; $i < 4; $i++) {
            $frame = $this->serverSide->receive();
            $answers[] = [$frame->payload, $frame->byte10];
        }
        self::assertSame([['chunk1', Frame::STREAM], ['chunk2', Frame::STREAM], ['end', 0], ['answer 2', 0]], $answers);
    }

    public function testAStreamStopBehindAWaitingRequestStopsTheStreamAndTheRequestIsServedNext(): void
    {
        $this->serverSends('', 0, [0]);
        self::assertNotNull($this->worker->waitPayload());
        $this->worker->respond(new Payload('', 'chunk'), 0, true);
        // The next request was written ahead, then the client of the streamed answer went away.
        \fwrite($this->server, Frame::packFrame('next', 0, [0]) . Frame::packFrame('', 0, [], Frame::STOP));
        self::assertTrue($this->worker->isStreamStopped());
        $this->worker->respond(new Payload('', ''), 0, false);

        $next = $this->worker->waitPayload();
        self::assertNotNull($next);
        self::assertSame('next', $next->body);
        $this->worker->respond(new Payload('', 'plain'), 0, true);
        self::assertFalse($this->worker->isStreamStopped(), 'the STOP was used up by the stream it was meant for');
    }

    public function testAStopAfterAWaitingRequestEndsTheLoopAfterThatRequest(): void
    {
        $this->serverSends('', 0, [0]);
        self::assertNotNull($this->worker->waitPayload());
        $this->worker->respond(new Payload('', 'a'), 0, true);
        \fwrite($this->server, Frame::packFrame('queued', 0, [0])
            . Frame::packFrame('{"stop":true}', Frame::CONTROL | Frame::CODEC_JSON));
        self::assertTrue($this->worker->isStreamStopped(), 'a stop request ends the stream');
        $this->worker->respond(new Payload('', ''), 0, false);

        $queued = $this->worker->waitPayload();
        self::assertNotNull($queued, 'the request sent before the stop is served');
        self::assertSame('queued', $queued->body);
        $this->worker->respond(new Payload('', 'done'));
        self::assertNull($this->worker->waitPayload());
    }

    public function testServerClosingTheRelayBetweenFramesEndsTheLoop(): void
    {
        $this->serverSends('', 0, [0]);
        self::assertNotNull($this->worker->waitPayload());
        \stream_socket_shutdown($this->server, \STREAM_SHUT_WR);
        self::assertNull($this->worker->waitPayload());
    }

    public function testServerClosingTheRelayMidFrameIsAnError(): void
    {
        \fwrite($this->server, \substr(Frame::packFrame('abcdef', 0, [1]), 0, 14));
        \stream_socket_shutdown($this->server, \STREAM_SHUT_WR);
        $this->expectException(RelayException::class);
        $this->expectExceptionMessage('peer closed the relay (2 of 10 bytes read)');
        $this->worker->waitPayload();
    }

    public function testErrorFrame(): void
    {
        $this->worker->error('something failed');
        $frame = $this->serverSide->receive();
        self::assertSame(Frame::ERROR, $frame->flags);
        self::assertSame([], $frame->options);
        self::assertSame('something failed', $frame->payload);
    }

    public function testEnvironmentLookupOrder(): void
    {
        try {
            \putenv('BURNER_T=from-getenv');
            self::assertSame('from-getenv', Environment::get('BURNER_T'));
            $_SERVER['BURNER_T'] = 'from-server';
            self::assertSame('from-server', Environment::get('BURNER_T'));
            $_ENV['BURNER_T'] = 'from-env';
            self::assertSame('from-env', Environment::get('BURNER_T'));
            self::assertSame('dflt', Environment::get('BURNER_UNSET_' . \getmypid(), 'dflt'));
        } finally {
            \putenv('BURNER_T');
            unset($_ENV['BURNER_T'], $_SERVER['BURNER_T']);
        }
    }

    public function testLeaveBetweenRequestsHandsBackWhatWasWrittenAheadUntilTheServerStopsIt(): void
    {
        $this->serverSends('{"pid":1}', Frame::CONTROL | Frame::CODEC_JSON);
        $this->serverSends('ctx' . 'one', Frame::CODEC_JSON, [3]);
        // written ahead while the first was running:
        $this->serverSends('ctx' . 'two', Frame::CODEC_JSON, [3]);
        $this->serverSends('{"stop":true}', Frame::CONTROL | Frame::CODEC_JSON);

        self::assertSame('one', $this->worker->waitPayload()?->body);
        $this->serverSide->receive(); // the PID reply
        $this->worker->respond(new Payload('{}', 'answer one'));
        self::assertSame('{}answer one', $this->serverSide->receive()->payload);

        $this->worker->leave(); // the loop ended: the script is going away

        $leaving = $this->serverSide->receive();
        self::assertTrue($leaving->hasFlag(Frame::CONTROL));
        self::assertSame('{"leaving":true}', $leaving->payload);
        $handedBack = $this->serverSide->receive();
        self::assertSame('{"stop":true}', $handedBack->payload, 'the request written ahead is handed back');
        self::assertSame([13], $handedBack->options);
        // leave() returned on the server's stop: nothing else was written.
        self::assertFalse($this->serverSide->hasFrame(0.0));
    }

    public function testLeaveDoesNothingInTheMiddleOfARequest(): void
    {
        $this->serverSends('{"pid":1}', Frame::CONTROL | Frame::CODEC_JSON);
        $this->serverSends('ctx' . 'one', Frame::CODEC_JSON, [3]);
        self::assertSame('one', $this->worker->waitPayload()?->body);
        $this->serverSide->receive(); // the PID reply

        $this->worker->leave(); // e.g. exit() in the handler: that request fails, the server re-routes the rest

        self::assertFalse($this->serverSide->hasFrame(0.0));
    }

    public function testAfterStopARequestWrittenAheadIsHandedBackNotReturned(): void
    {
        $this->serverSends('{"pid":1}', Frame::CONTROL | Frame::CODEC_JSON);
        $this->serverSends('ctx' . 'one', Frame::CODEC_JSON, [3]);
        $this->serverSends('ctx' . 'two', Frame::CODEC_JSON, [3]); // written ahead
        $this->serverSends('{"stop":true}', Frame::CONTROL | Frame::CODEC_JSON);

        self::assertSame('one', $this->worker->waitPayload()?->body);
        $this->serverSide->receive(); // the PID reply
        $this->worker->stop(); // instead of answering: the server retries "one" elsewhere

        self::assertNull($this->worker->waitPayload(), '"two" is not run here');
        self::assertSame('{"stop":true}', $this->serverSide->receive()->payload, 'the answer to "one"');
        self::assertSame('{"stop":true}', $this->serverSide->receive()->payload, '"two" handed back');
        self::assertFalse($this->serverSide->hasFrame(0.0));
    }
}
