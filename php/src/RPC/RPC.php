<?php

declare(strict_types=1);

namespace Burner\RPC;

use Burner\Frame;
use Burner\Relay\RelayException;
use Burner\Relay\RelayInterface;
use Burner\Relay\SocketRelay;
use Burner\Worker\Environment;

/**
 * Synchronous goridge RPC client (Go net/rpc over goridge frames), e.g. to reset workers or push metrics:
 *
 *     $rpc = RPC::create();                          // RR_RPC, default tcp://127.0.0.1:6001
 *     $rpc->call('resetter.Reset', 'http');          // true
 *     $rpc->withServicePrefix('informer')->call('Workers', 'http');
 *
 * Frames carry two options, [sequence, method length]; the payload is the method name followed by the body
 * encoded with the codec named in the flags (JSON by default, RAW for byte strings).
 */
final class RPC
{
    /** Process-wide, like the reference client: several RPC objects may share one connection. */
    private static int $seq = 0;

    private string $prefix = '';

    public function __construct(
        private readonly RelayInterface $relay,
        private readonly int $codec = Frame::CODEC_JSON,
    ) {
        if ($codec !== Frame::CODEC_JSON && $codec !== Frame::CODEC_RAW) {
            throw new \InvalidArgumentException('RPC codec must be Frame::CODEC_JSON or Frame::CODEC_RAW');
        }
    }

    /**
     * @param string|null $dsn tcp://host:port or unix:///path; null: RR_RPC (default tcp://127.0.0.1:6001)
     */
    public static function create(?string $dsn = null, int $codec = Frame::CODEC_JSON): self
    {
        $dsn ??= Environment::rpc();
        if (!\str_starts_with($dsn, 'tcp://') && !\str_starts_with($dsn, 'unix://')) {
            throw new \InvalidArgumentException(\sprintf('invalid RPC DSN "%s": expected tcp://host:port or unix:///path', $dsn));
        }

        // No read timeout: resetter.Reset legitimately waits for a whole pool to restart. Build the relay
        // yourself (new RPC(new SocketRelay($dsn, readTimeout: 10.0))) to bound calls.
        return new self(new SocketRelay($dsn, retries: 5, retryDelayMs: 100, timeout: 5.0), $codec);
    }

    public function getRelay(): RelayInterface
    {
        return $this->relay;
    }

    /** A client whose calls are prefixed with `$service.` (shares the relay). */
    public function withServicePrefix(string $service): self
    {
        $rpc = clone $this;
        $rpc->prefix = $service === '' ? '' : \rtrim($service, '.') . '.';

        return $rpc;
    }

    /** A client using another codec (shares the relay). */
    public function withCodec(int $codec): self
    {
        $rpc = new self($this->relay, $codec);
        $rpc->prefix = $this->prefix;

        return $rpc;
    }

    /**
     * Calls `Service.Method` and returns the decoded result.
     *
     * @throws ServiceException the server answered with an error
     * @throws RPCException     protocol errors
     */
    public function call(string $method, mixed $payload = null): mixed
    {
        $method = $this->prefix . $method;
        $seq = self::$seq = self::$seq >= 0xFFFFFFFF ? 1 : self::$seq + 1;

        $request = Frame::packFrame($method . $this->encode($payload), $this->codec, [$seq, \strlen($method)]);
        try {
            $this->relay->send($request);
            $frame = $this->relay->receive();
        } catch (RelayException $e) {
            // A half-read or unanswered call leaves the connection out of step: drop it, the next call reconnects.
            $this->relay->close();
            throw $e;
        }
        if (\count($frame->options) !== 2) {
            $this->relay->close();
            throw new RPCException(\sprintf('invalid RPC reply: expected 2 options [seq, method length], got %d', \count($frame->options)));
        }
        [$replySeq, $methodLength] = $frame->options;
        if ($replySeq !== $seq) {
            $this->relay->close();
            throw new RPCException(\sprintf('invalid RPC frame, sequence mismatch: sent %d, got %d', $seq, $replySeq));
        }
        if ($methodLength > \strlen($frame->payload)) {
            throw new RPCException('invalid RPC reply: method length exceeds the payload');
        }
        $body = (string) \substr($frame->payload, $methodLength);
        if ($frame->hasFlag(Frame::ERROR)) {
            throw new ServiceException($method, $body);
        }

        return $this->decode($body, $frame->flags);
    }

    private function encode(mixed $payload): string
    {
        if ($this->codec === Frame::CODEC_RAW) {
            if (!\is_string($payload)) {
                throw new \InvalidArgumentException('the RAW codec sends strings only');
            }

            return $payload;
        }
        try {
            return \json_encode($payload, \JSON_THROW_ON_ERROR | \JSON_UNESCAPED_SLASHES | \JSON_PRESERVE_ZERO_FRACTION);
        } catch (\JsonException $e) {
            throw new \InvalidArgumentException('RPC payload cannot be JSON-encoded: ' . $e->getMessage(), 0, $e);
        }
    }

    private function decode(string $body, int $flags): mixed
    {
        if ($flags & Frame::CODEC_RAW && !($flags & Frame::CODEC_JSON)) {
            return $body;
        }
        if ($body === '') {
            return null;
        }
        try {
            return \json_decode($body, true, 512, \JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new RPCException('RPC reply is not valid JSON: ' . $e->getMessage(), 0, $e);
        }
    }
}
