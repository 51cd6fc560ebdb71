<?php

declare(strict_types=1);

namespace Burner\Tests\RPC;

use Burner\Frame;
use Burner\Relay\RelayException;
use Burner\Relay\SocketRelay;
use Burner\RPC\RPC;
use Burner\RPC\RPCException;
use Burner\RPC\ServiceException;
use Burner\Tests\Fixtures\WorkerProcess;
use PHPUnit\Framework\TestCase;

/**
 * The RPC client against a small goridge RPC server running in a child process (fixtures/sdk/rpc-server.php).
 */
final class RPCTest extends TestCase
{
    private ?WorkerProcess $server = null;
    private ?string $tmpDir = null;

    protected function tearDown(): void
    {
        $this->server?->close();
        if ($this->tmpDir !== null) {
            @\unlink($this->tmpDir . '/rpc.sock');
            @\rmdir($this->tmpDir);
        }
    }

    private function serve(string $listen): string
    {
        $this->server = new WorkerProcess(WorkerProcess::fixture('rpc-server.php'), [$listen]);

        return $this->server->readLine();
    }

    public function testJsonCallsOverTcp(): void
    {
        $rpc = RPC::create($this->serve('tcp://127.0.0.1:0'));
        self::assertSame(['a' => [1, 2], 'b' => 'x/y', 'c' => 1.0], $rpc->call('test.Echo', ['a' => [1, 2], 'b' => 'x/y', 'c' => 1.0]));
        self::assertSame(6, $rpc->call('test.Sum', ['values' => [1, 2, 3]]));
        self::assertTrue($rpc->call('test.Echo', true));
        self::assertSame('http', $rpc->withServicePrefix('test')->call('Echo', 'http'));
        self::assertNull($rpc->call('test.Echo', null));
    }

    public function testServiceErrorIsAClearExceptionAndTheConnectionStaysUsable(): void
    {
        $rpc = RPC::create($this->serve('tcp://127.0.0.1:0'));
        try {
            $rpc->call('test.Fail', 'foo');
            self::fail('an ERROR reply must throw');
        } catch (ServiceException $e) {
            self::assertSame("Error 'no such plugin: foo' on test.Fail", $e->getMessage());
            self::assertSame('no such plugin: foo', $e->serverError);
            self::assertSame('test.Fail', $e->method);
        }
        try {
            $rpc->call('nope.Method', true);
            self::fail('an unknown method must throw');
        } catch (ServiceException $e) {
            self::assertStringContainsString("can't find service nope.Method", $e->getMessage());
        }
        self::assertSame(42, $rpc->call('test.Echo', 42));
    }

    public function testSequenceMismatchDropsTheConnectionAndTheNextCallReconnects(): void
    {
        $rpc = RPC::create($this->serve('tcp://127.0.0.1:0'));
        try {
            $rpc->call('test.BadSeq', true);
            self::fail('a reply with another sequence number must throw');
        } catch (RPCException $e) {
            self::assertStringContainsString('sequence mismatch', $e->getMessage());
        }
        self::assertFalse($rpc->getRelay()->isConnected());
        self::assertSame('again', $rpc->call('test.Echo', 'again'));
    }

    public function testInvalidJsonReply(): void
    {
        $rpc = RPC::create($this->serve('tcp://127.0.0.1:0'));
        $this->expectException(RPCException::class);
        $this->expectExceptionMessage('not valid JSON');
        $rpc->call('test.Garbage', true);
    }

    public function testRawCodecOverUnixSocket(): void
    {
        $this->tmpDir = \sys_get_temp_dir() . '/burner-rpc-' . \bin2hex(\random_bytes(4));
        \mkdir($this->tmpDir);
        $rpc = RPC::create($this->serve('unix://' . $this->tmpDir . '/rpc.sock'), Frame::CODEC_RAW);
        self::assertSame("raw:\x00\xffbytes", $rpc->call('test.Raw', "\x00\xffbytes"));
        self::assertSame(['k' => 1], $rpc->withCodec(Frame::CODEC_JSON)->call('test.Echo', ['k' => 1]), 'same relay, JSON codec');
    }

    public function testDefaultsToRrRpc(): void
    {
        $address = $this->serve('tcp://127.0.0.1:0');
        $saved = $_SERVER['RR_RPC'] ?? null;
        $_SERVER['RR_RPC'] = $address;
        try {
            $rpc = RPC::create();
            self::assertInstanceOf(SocketRelay::class, $rpc->getRelay());
            self::assertSame($address, $rpc->getRelay()->getAddress());
            self::assertSame('ok', $rpc->call('test.Echo', 'ok'));
        } finally {
            if ($saved === null) {
                unset($_SERVER['RR_RPC']);
            } else {
                $_SERVER['RR_RPC'] = $saved;
            }
        }
    }

    public function testServerGoneIsARelayError(): void
    {
        $rpc = RPC::create($this->serve('tcp://127.0.0.1:0'));
        self::assertSame(1, $rpc->call('test.Echo', 1));
        $this->server->close();
        $this->server = null;
        $this->expectException(RelayException::class);
        $rpc->call('test.Echo', 2);
    }

    public function testBadDsn(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        RPC::create('pipes');
    }
}
