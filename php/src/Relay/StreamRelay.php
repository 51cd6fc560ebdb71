<?php

declare(strict_types=1);

namespace Burner\Relay;

/**
 * Frames over two streams: by default STDIN (server → worker) and STDOUT (worker → server), the `pipes` relay.
 * Any pair of streams works, e.g. both ends of stream_socket_pair() in tests.
 */
final class StreamRelay extends AbstractStreamRelay
{
    private const READ_CHUNK = 65536;

    /** @var resource */
    private $in;
    /** @var resource */
    private $out;

    /**
     * @param resource $in
     * @param resource $out
     */
    public function __construct($in, $out)
    {
        if (!\is_resource($in) || \get_resource_type($in) !== 'stream') {
            throw new \InvalidArgumentException('StreamRelay: the input must be a stream resource');
        }
        if (!\is_resource($out) || \get_resource_type($out) !== 'stream') {
            throw new \InvalidArgumentException('StreamRelay: the output must be a stream resource');
        }
        $this->in = $in;
        $this->out = $out;
        self::readInLargeChunks($in);
    }

    /**
     * PHP fills a stream's read buffer 8 KiB at a time: a 1 MiB request body took ~130 read() calls. With 64 KiB
     * (the default pipe size) it takes ~16, and a small frame still arrives in one read(). The read buffer grows to
     * that size once per stream.
     *
     * @param resource $stream
     */
    public static function readInLargeChunks($stream): void
    {
        @\stream_set_chunk_size($stream, self::READ_CHUNK);
    }

    /** The `pipes` relay of a worker process: read STDIN, write STDOUT. */
    public static function pipes(): self
    {
        $in = \defined('STDIN') ? \STDIN : \fopen('php://stdin', 'rb');
        $out = \defined('STDOUT') ? \STDOUT : \fopen('php://stdout', 'wb');
        if ($in === false || $out === false) {
            throw new RelayException('cannot open php://stdin / php://stdout');
        }
        // Burner's server hands the worker OS pipes: larger buffers mean fewer round trips for big frames.
        PipeBuffer::enlarge($in, 0);
        PipeBuffer::enlarge($out, 1);

        return new self($in, $out);
    }

    public function close(): void
    {
        // The streams belong to the caller (STDIN/STDOUT belong to PHP): never close them here.
    }

    protected function input()
    {
        return $this->in;
    }

    protected function output()
    {
        return $this->out;
    }

    protected function describe(): string
    {
        return 'pipes relay';
    }
}
