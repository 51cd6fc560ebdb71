<?php

declare(strict_types=1);

namespace Burner\Tests\Relay;

use Burner\Frame;
use Burner\Relay\Relay;
use Burner\Relay\RelayException;
use Burner\Relay\SocketRelay;
use Burner\Relay\StreamRelay;
use Burner\Tests\Fixtures\WorkerProcess;
use PHPUnit\Framework\TestCase;

final class RelayTest extends TestCase
{
    /** @var list<resource> */
    private array $streams = [];
    /** @var list<WorkerProcess> */
    private array $procs = [];
    private ?string $tmpDir = null;

    protected function tearDown(): void
    {
        foreach ($this->procs as $p) {
            $p->close();
        }
        foreach ($this->streams as $s) {
            if (\is_resource($s)) {
                \fclose($s);
            }
        }
        if ($this->tmpDir !== null) {
            foreach (\glob($this->tmpDir . '/*') ?: [] as $f) {
                @\unlink($f);
            }
            @\rmdir($this->tmpDir);
        }
    }

    /** @return array{resource, resource} */
    private function pair(): array
    {
        $pair = \stream_socket_pair(\STREAM_PF_UNIX, \STREAM_SOCK_STREAM, \STREAM_IPPROTO_IP);
        self::assertIsArray($pair);
        \array_push($this->streams, ...$pair);

        return $pair;
    }

    public function testFramesRoundTripOverASocketPair(): void
    {
        [$a, $b] = $this->pair();
        $left = new StreamRelay($a, $a);
        $right = new StreamRelay($b, $b);

        self::assertFalse($right->hasFrame());
        $left->send(Frame::packFrame('ctx' . 'body', Frame::CODEC_PROTO, [3]));
        $left->send(Frame::packFrame('', 0, [], Frame::STOP));
        self::assertTrue($right->hasFrame(1.0));

        $first = $right->receive();
        self::assertSame('ctxbody', $first->payload);
        self::assertSame([3], $first->options);
        self::assertSame(Frame::CODEC_PROTO, $first->flags);
        $second = $right->receive();
        self::assertSame('', $second->payload);
        self::assertTrue($second->hasStreamBit(Frame::STOP));
        self::assertFalse($right->hasFrame());
    }

    public function testTwoFramesInOneWriteAreReadOneAtATime(): void
    {
        [$a, $b] = $this->pair();
        $right = new StreamRelay($b, $b);
        \fwrite($a, Frame::packFrame('first', 0, [0]) . Frame::packFrame('second', Frame::CODEC_JSON, [1]));

        self::assertSame('first', $right->receive()->payload);
        // PHP's stream buffer may already hold the second frame: hasFrame() must see it there, not only in the socket.
        self::assertTrue($right->hasFrame(0.0));
        $second = $right->receive();
        self::assertSame(['second', Frame::CODEC_JSON, [1]], [$second->payload, $second->flags, $second->options]);
        self::assertFalse($right->hasFrame(0.0), 'nothing read past the second frame');
    }

    public function testFrameWrittenOneByteAtATimeIsReassembled(): void
    {
        $payload = 'header-part' . \str_repeat('B', 40);
        $bytes = Frame::packFrame($payload, Frame::CODEC_JSON, [11])
            . Frame::packFrame('{"pid":7}', Frame::CONTROL);
        $writer = new WorkerProcess(WorkerProcess::fixture('slow-writer.php'), [\bin2hex($bytes)]);
        $this->procs[] = $writer;
        \stream_set_blocking($writer->stdout, true);

        $relay = new StreamRelay($writer->stdout, $writer->stdin);
        $frame = $relay->receive();
        self::assertSame($payload, $frame->payload);
        self::assertSame([11], $frame->options);
        self::assertSame(Frame::CODEC_JSON, $frame->flags);
        $control = $relay->receive();
        self::assertSame('{"pid":7}', $control->payload);
        self::assertTrue($control->hasFlag(Frame::CONTROL));
        self::assertSame(0, $writer->wait());

        try {
            $relay->receive();
            self::fail('reading past EOF must throw');
        } catch (RelayException $e) {
            self::assertStringContainsString('peer closed', $e->getMessage());
        }
    }

    public function testPeerClosingMidFrameIsAClearError(): void
    {
        [$a, $b] = $this->pair();
        \fwrite($a, \substr(Frame::packFrame('0123456789', 0, [4]), 0, 20));
        \fclose($a);
        $this->expectException(RelayException::class);
        $this->expectExceptionMessage('peer closed the relay (8 of 14 bytes read)');
        (new StreamRelay($b, $b))->receive();
    }

    public function testGarbageOnTheStreamIsAFrameError(): void
    {
        [$a, $b] = $this->pair();
        \fwrite($a, "Warning: something printed\n");
        $this->expectException(RelayException::class);
        $this->expectExceptionMessage('CRC mismatch');
        (new StreamRelay($b, $b))->receive();
    }

    public function testRelayCreate(): void
    {
        self::assertInstanceOf(StreamRelay::class, Relay::create('pipes'));
        self::assertInstanceOf(StreamRelay::class, Relay::create(''));
        $tcp = Relay::create('tcp://127.0.0.1:6001');
        self::assertInstanceOf(SocketRelay::class, $tcp);
        self::assertSame('tcp://127.0.0.1:6001', $tcp->getAddress());
        self::assertFalse($tcp->isConnected(), 'socket relays connect lazily');
        self::assertSame('unix:///tmp/rr.sock', Relay::create('unix:///tmp/rr.sock')->getAddress());
        self::assertSame('tcp://[::1]:9000', SocketRelay::parseDsn('tcp://[::1]:9000'));
    }

    /** @return iterable<array{string}> */
    public static function badDsns(): iterable
    {
        yield ['tcp://:6001'];
        yield ['tcp://localhost'];
        yield ['tcp://localhost:99999'];
        yield ['udp://localhost:1'];
        yield ['unix://'];
        yield ['/tmp/rr.sock'];
    }

    /** @dataProvider badDsns */
    public function testBadDsnIsRejected(string $dsn): void
    {
        $this->expectException(\InvalidArgumentException::class);
        Relay::create($dsn);
    }

    public function testTcpRelay(): void
    {
        $server = \stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        self::assertNotFalse($server, $errstr);
        $this->streams[] = $server;
        $relay = new SocketRelay('tcp://' . \stream_socket_get_name($server, false));
        $relay->send(Frame::packFrame('ping', Frame::CODEC_RAW, [0, 4]));
        self::assertTrue($relay->isConnected());

        $conn = \stream_socket_accept($server, 5);
        self::assertNotFalse($conn);
        $this->streams[] = $conn;
        $serverSide = new StreamRelay($conn, $conn);
        $frame = $serverSide->receive();
        self::assertSame('ping', $frame->payload);
        self::assertSame([0, 4], $frame->options);

        $serverSide->send(Frame::packFrame(\str_repeat('z', 300000), Frame::CODEC_RAW, [0, 0]));
        self::assertSame(300000, \strlen($relay->receive()->payload));
        $relay->close();
        self::assertFalse($relay->isConnected());
    }

    public function testUnixRelay(): void
    {
        $this->tmpDir = \sys_get_temp_dir() . '/burner-relay-' . \bin2hex(\random_bytes(4));
        \mkdir($this->tmpDir);
        $path = $this->tmpDir . '/relay.sock';
        $server = \stream_socket_server('unix://' . $path, $errno, $errstr);
        self::assertNotFalse($server, $errstr);
        $this->streams[] = $server;

        $relay = Relay::create('unix://' . $path);
        $relay->send(Frame::packFrame('{"pid":1}', Frame::CONTROL));
        $conn = \stream_socket_accept($server, 5);
        self::assertNotFalse($conn);
        $this->streams[] = $conn;
        self::assertSame('{"pid":1}', (new StreamRelay($conn, $conn))->receive()->payload);
        $relay->close();
    }

    public function testReadTimeout(): void
    {
        $server = \stream_socket_server('tcp://127.0.0.1:0');
        $this->streams[] = $server;
        $relay = new SocketRelay('tcp://' . \stream_socket_get_name($server, false), readTimeout: 0.2);
        $relay->send(Frame::packFrame('unanswered', 0, [0, 0]));
        $this->expectException(RelayException::class);
        $this->expectExceptionMessage('read timed out');
        $relay->receive();
    }

    public function testConnectGivesUpAfterTheRetries(): void
    {
        // Bind a port, then free it: nothing listens there any more.
        $server = \stream_socket_server('tcp://127.0.0.1:0');
        $address = 'tcp://' . \stream_socket_get_name($server, false);
        \fclose($server);

        $relay = new SocketRelay($address, retries: 2, retryDelayMs: 10, timeout: 1.0);
        $this->expectException(RelayException::class);
        $this->expectExceptionMessage('after 3 attempts');
        $relay->receive();
    }

    public function testConnectRetriesUntilTheServerIsUp(): void
    {
        $this->tmpDir = \sys_get_temp_dir() . '/burner-relay-' . \bin2hex(\random_bytes(4));
        \mkdir($this->tmpDir);
        $path = $this->tmpDir . '/late.sock';
        // A child creates the listening socket after a delay, accepts, and echoes one frame back.
        $script = $this->tmpDir . '/late-server.php';
        \file_put_contents($script, '<?php usleep(300000); $s = stream_socket_server("unix://' . $path . '");'
            . ' $c = stream_socket_accept($s, 5); fwrite($c, fread($c, 1024)); fclose($c);');
        $this->procs[] = new WorkerProcess($script);

        $relay = new SocketRelay('unix://' . $path, retries: 100, retryDelayMs: 20);
        $relay->send(Frame::packFrame('late', 0, [0]));
        self::assertSame('late', $relay->receive()->payload);
        $relay->close();
    }
}
