<?php

declare(strict_types=1);

namespace Burner\Relay;

/**
 * Frames over a TCP or Unix socket: `tcp://host:port` or `unix:///path/to.sock`.
 * Connects lazily (first send/receive) or explicitly with connect(), retrying while the server is not up yet.
 */
final class SocketRelay extends AbstractStreamRelay
{
    /** @var resource|null */
    private $socket = null;
    private readonly string $address;

    /**
     * @param int   $retries      connection attempts after the first one
     * @param int   $retryDelayMs pause between attempts
     * @param float      $timeout      connect timeout per attempt, seconds
     * @param float|null $readTimeout  fail a read that waits longer than this (null: wait forever, as a worker must)
     */
    public function __construct(
        string $dsn,
        private readonly int $retries = 20,
        private readonly int $retryDelayMs = 100,
        private readonly float $timeout = 5.0,
        private readonly ?float $readTimeout = null,
    ) {
        $this->address = self::parseDsn($dsn);
    }

    /**
     * Normalizes a DSN to a stream_socket_client() address.
     */
    public static function parseDsn(string $dsn): string
    {
        if (\preg_match('#^tcp://(\[[0-9a-fA-F:.]+\]|[^:/\[\]]+):(\d{1,5})$#', $dsn, $m) === 1) {
            $port = (int) $m[2];
            if ($port < 1 || $port > 65535) {
                throw new \InvalidArgumentException(\sprintf('invalid port in relay DSN "%s"', $dsn));
            }

            return 'tcp://' . $m[1] . ':' . $port;
        }
        if (\preg_match('#^unix://(.+)$#', $dsn, $m) === 1) {
            return 'unix://' . $m[1];
        }

        throw new \InvalidArgumentException(\sprintf(
            'invalid socket relay DSN "%s": expected tcp://host:port or unix:///path/to.sock',
            $dsn,
        ));
    }

    public function getAddress(): string
    {
        return $this->address;
    }

    public function isConnected(): bool
    {
        return \is_resource($this->socket);
    }

    public function connect(): void
    {
        if ($this->isConnected()) {
            return;
        }
        $attempt = 0;
        while (true) {
            $errno = 0;
            $errstr = '';
            $socket = @\stream_socket_client($this->address, $errno, $errstr, $this->timeout, \STREAM_CLIENT_CONNECT);
            if ($socket !== false) {
                break;
            }
            if ($attempt++ >= $this->retries) {
                throw new RelayException(\sprintf(
                    'cannot connect to %s after %d attempts: %s',
                    $this->address,
                    $attempt,
                    $errstr !== '' ? $errstr : 'error ' . $errno,
                ));
            }
            \usleep($this->retryDelayMs * 1000);
        }
        \stream_set_blocking($socket, true);
        StreamRelay::readInLargeChunks($socket);
        if ($this->readTimeout !== null) {
            $sec = (int) $this->readTimeout;
            \stream_set_timeout($socket, $sec, (int) (($this->readTimeout - $sec) * 1_000_000));
        }
        if (\str_starts_with($this->address, 'tcp://') && \function_exists('socket_import_stream')) {
            // Frames are written whole; Nagle would only add latency to small frames.
            $raw = @\socket_import_stream($socket);
            if ($raw !== false && $raw !== null) {
                @\socket_set_option($raw, \SOL_TCP, \TCP_NODELAY, 1);
            }
        }
        $this->socket = $socket;
    }

    public function close(): void
    {
        if (\is_resource($this->socket)) {
            \fclose($this->socket);
        }
        $this->socket = null;
    }

    public function __destruct()
    {
        $this->close();
    }

    protected function input()
    {
        $this->connect();

        return $this->socket;
    }

    protected function output()
    {
        $this->connect();

        return $this->socket;
    }

    protected function describe(): string
    {
        return 'socket relay ' . $this->address;
    }
}
