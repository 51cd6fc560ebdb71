<?php

declare(strict_types=1);

namespace Burner\Tests\Worker;

use Burner\Frame;
use Burner\Tests\Fixtures\WorkerProcess;
use PHPUnit\Framework\TestCase;

/**
 * A real worker script (fixtures/sdk/echo-worker.php) as a child process; the test plays the server on its
 * stdin/stdout (pipes relay) or on a socket, and watches both stdout and stderr.
 */
final class WorkerProcessTest extends TestCase
{
    private ?WorkerProcess $w = null;
    /** @var resource|null */
    private $server = null;
    private ?string $tmpDir = null;

    protected function tearDown(): void
    {
        $this->w?->close();
        if (\is_resource($this->server)) {
            \fclose($this->server);
        }
        if ($this->tmpDir !== null) {
            @\unlink($this->tmpDir . '/worker.sock');
            @\rmdir($this->tmpDir);
        }
    }

    private function start(array $env = []): WorkerProcess
    {
        return $this->w = new WorkerProcess(WorkerProcess::fixture('echo-worker.php'), [], $env);
    }

    /** Sends stop, expects a clean exit and not one stray byte on stdout; returns stderr. */
    private function stopAndCheckStdout(WorkerProcess $w): string
    {
        $w->sendStop();
        self::assertSame(0, $w->wait());
        self::assertSame('', $w->readRemainingStdout(), 'nothing but frames may reach stdout');

        return $w->drainStderr();
    }

    public function testHandshakePayloadAndStop(): void
    {
        $w = $this->start();
        self::assertSame($w->pid(), $w->handshake(), 'the worker reports its own pid');

        $w->sendPayload('{"ctx":1}', 'hello', Frame::CODEC_JSON);
        $reply = $w->readFrame();
        self::assertSame([\strlen('h:{"ctx":1}')], $reply->options);
        self::assertSame('h:{"ctx":1}b:hello', $reply->payload);
        self::assertSame(Frame::CODEC_JSON, $reply->flags);
        self::assertSame(0, $reply->byte10);

        $stderr = $this->stopAndCheckStdout($w);
        self::assertStringContainsString('worker ready', $stderr);
        self::assertStringContainsString('bye-after-loop', $stderr, 'output after the loop still goes to stderr');
        self::assertStringContainsString('worker done', $stderr);
    }

    public function testEchoInsideTheLoopGoesToStderr(): void
    {
        $w = $this->start();
        $w->handshake();
        $w->sendPayload('', 'echo');
        self::assertSame('ok', $w->readFrame()->payload);
        $stderr = $w->waitStderr('printed-too');
        self::assertStringContainsString("echoed-inside-loop\n", $stderr);
        self::assertStringContainsString('printed-too', $stderr);

        $w->sendPayload('', 'warning');
        self::assertSame('warned', $w->readFrame()->payload);
        self::assertStringContainsString('Undefined array key "missing"', $w->waitStderr('Undefined array key'));

        $this->stopAndCheckStdout($w);
    }

    public function testSurvivesAppsThatEndAllOutputBuffers(): void
    {
        $w = $this->start();
        $w->handshake();

        $w->sendPayload('', 'kill-buffers');
        self::assertSame('killed', $w->readFrame()->payload);

        // The next wait re-armed the interception and drained what the app left in its own buffer.
        $w->sendPayload('', 'echo');
        self::assertSame('ok', $w->readFrame()->payload);
        $stderr = $w->waitStderr('printed-too');
        self::assertStringContainsString('left-in-user-buffer', $stderr);
        self::assertStringContainsString('echoed-inside-loop', $stderr);

        $w->sendPayload('', 'get-clean');
        self::assertSame('levels=1', $w->readFrame()->payload, 'between requests exactly one buffer (ours) is open');
        self::assertStringContainsString('echo-after-respond', $w->waitStderr('echo-after-respond'));

        $w->sendPayload('', 'get-clean');
        self::assertSame('levels=1', $w->readFrame()->payload);

        $this->stopAndCheckStdout($w);
    }

    public function testClosedStdinEndsTheLoopCleanly(): void
    {
        $w = $this->start();
        $w->handshake();
        \fclose($w->stdin);
        self::assertSame(0, $w->wait(), 'a server that goes away is a normal end of the loop');
        self::assertStringContainsString('worker done', $w->drainStderr());
        self::assertSame('', $w->readRemainingStdout());
    }

    public function testSoftErrorKeepsTheWorker(): void
    {
        $w = $this->start();
        $w->handshake();
        $w->sendPayload('', 'error');
        $error = $w->readFrame();
        self::assertSame(Frame::ERROR, $error->flags);
        self::assertSame([], $error->options);
        self::assertSame('boom', $error->payload);

        $w->sendPayload('x', 'after');
        self::assertSame('h:xb:after', $w->readFrame()->payload);
        $this->stopAndCheckStdout($w);
    }

    public function testWorkerStopRequest(): void
    {
        $w = $this->start();
        $w->handshake();
        $w->sendPayload('', 'stop');
        $frame = $w->readFrame();
        self::assertSame(0, $frame->flags);
        self::assertSame([13], $frame->options);
        self::assertSame('{"stop":true}', $frame->payload);
        $this->stopAndCheckStdout($w);
    }

    public function testLargePayloadsBothWays(): void
    {
        $w = $this->start();
        $w->handshake();
        $body = \random_bytes(3 * 1024 * 1024);
        $w->sendPayload('hdr', $body, Frame::CODEC_PROTO);
        $reply = $w->readFrame(30);
        self::assertSame([5], $reply->options);
        self::assertSame(Frame::CODEC_PROTO, $reply->flags);
        self::assertTrue('h:hdrb:' . $body === $reply->payload, 'the 3 MiB body comes back intact');
        $this->stopAndCheckStdout($w);
    }

    public function testStrayStreamFramesBetweenRequestsAreIgnored(): void
    {
        $w = $this->start();
        $w->handshake();
        $w->sendFrame('', 0, [], Frame::STOP);
        $w->sendFrame('', 0, [], Frame::PONG);
        $w->sendPayload('', 'x');
        self::assertSame('h:b:x', $w->readFrame()->payload);
        $this->stopAndCheckStdout($w);
    }

    public function testTcpRelay(): void
    {
        $this->server = \stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        self::assertNotFalse($this->server, $errstr);
        $w = $this->start(['RR_RELAY' => 'tcp://' . \stream_socket_get_name($this->server, false)]);
        $w->accept($this->server);
        self::assertSame($w->pid(), $w->handshake());
        $w->sendPayload('', 'echo');
        self::assertSame('ok', $w->readFrame()->payload);
        self::assertStringContainsString('echoed-inside-loop', $w->waitStderr('echoed-inside-loop'));
        $w->sendStop();
        self::assertSame(0, $w->wait());
        self::assertSame('', \stream_get_contents($w->stdout), 'stdout stays empty with a socket relay too');
    }

    public function testUnixRelay(): void
    {
        $this->tmpDir = \sys_get_temp_dir() . '/burner-worker-' . \bin2hex(\random_bytes(4));
        \mkdir($this->tmpDir);
        $this->server = \stream_socket_server('unix://' . $this->tmpDir . '/worker.sock', $errno, $errstr);
        self::assertNotFalse($this->server, $errstr);
        $w = $this->start(['RR_RELAY' => 'unix://' . $this->tmpDir . '/worker.sock']);
        $w->accept($this->server);
        self::assertSame($w->pid(), $w->handshake());
        $w->sendPayload('a', 'b');
        self::assertSame('h:ab:b', $w->readFrame()->payload);
        $w->sendStop();
        self::assertSame(0, $w->wait());
    }
}
