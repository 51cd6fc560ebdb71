<?php

declare(strict_types=1);

namespace Burner\Relay;

use Burner\Frame;

/**
 * Frame I/O over PHP stream resources: exact reads that loop over short reads,
 * and whole-frame writes that loop over partial writes.
 */
abstract class AbstractStreamRelay implements RelayInterface
{
    /** @return resource */
    abstract protected function input();

    /** @return resource */
    abstract protected function output();

    public function send(string $frameBytes): void
    {
        $out = $this->output();
        $total = \strlen($frameBytes);
        $written = @\fwrite($out, $frameBytes);
        if ($written === $total) {
            return;
        }
        $done = $written === false ? 0 : $written;
        $stalls = 0;
        while ($done < $total) {
            if ($written === false) {
                throw new RelayException($this->describe() . ': write failed (' . $this->lastError() . ')');
            }
            if ($written === 0) {
                // Non-blocking stream with a full buffer: wait until it drains instead of spinning.
                $r = null;
                $w = [$out];
                $e = null;
                if (@\stream_select($r, $w, $e, 1) === 0 && ++$stalls > 60) {
                    throw new RelayException($this->describe() . ': write stalled for 60 s');
                }
            } else {
                $stalls = 0;
            }
            $written = @\fwrite($out, \substr($frameBytes, $done));
            if ($written !== false) {
                $done += $written;
            }
        }
    }

    public function receive(): Frame
    {
        [$optionBytes, $flags, $length, $byte10, $byte11] = Frame::decodeHeader($this->readExactly(Frame::HEADER_SIZE, true));
        if ($optionBytes === 0) {
            return new Frame($length > 0 ? $this->readExactly($length) : '', $flags, [], $byte10, $byte11);
        }
        // Options and payload read apart: the payload (a request body can be megabytes) is not copied out of a
        // string holding both.
        $rest = $optionBytes + $length;
        $options = \array_values(\unpack('V' . ($optionBytes >> 2), $this->readExactly($optionBytes, false, 0, $rest)));

        return new Frame($length > 0 ? $this->readExactly($length, false, $optionBytes, $rest) : '', $flags, $options, $byte10, $byte11);
    }

    public function hasFrame(float $timeout = 0.0): bool
    {
        $r = [$this->input()];
        $w = null;
        $e = null;
        $sec = (int) $timeout;
        $usec = (int) (($timeout - $sec) * 1_000_000);

        return (int) @\stream_select($r, $w, $e, $sec, $usec) > 0;
    }

    /**
     * @param bool $atBoundary nothing of the current frame was read yet: EOF here is a clean close
     * @param int  $before     for error messages: bytes of the same frame part read before this call
     * @param int  $total      for error messages: that part's whole size (0: $length)
     */
    protected function readExactly(int $length, bool $atBoundary = false, int $before = 0, int $total = 0): string
    {
        $in = $this->input();
        $buffer = @\fread($in, $length);
        if ($buffer !== false && \strlen($buffer) === $length) {
            return $buffer; // the usual case: the whole frame part is there in one read
        }
        $buffer = $buffer === false ? '' : $buffer;
        $missing = $length - \strlen($buffer);
        while ($missing > 0) {
            $chunk = @\fread($in, $missing);
            if ($chunk === false || $chunk === '') {
                if (\feof($in)) {
                    if ($atBoundary && $missing === $length) {
                        throw new RelayClosedException($this->describe() . ': peer closed the relay');
                    }
                    throw new RelayException(\sprintf(
                        '%s: peer closed the relay (%d of %d bytes read)',
                        $this->describe(),
                        $before + $length - $missing,
                        $total ?: $length,
                    ));
                }
                $meta = \stream_get_meta_data($in);
                if ($meta['timed_out']) {
                    throw new RelayException(\sprintf(
                        '%s: read timed out (%d of %d bytes read)',
                        $this->describe(),
                        $before + $length - $missing,
                        $total ?: $length,
                    ));
                }
                if ($chunk === false) {
                    throw new RelayException($this->describe() . ': read failed (' . $this->lastError() . ')');
                }
                if (!$meta['blocked']) {
                    // Non-blocking stream with nothing buffered yet: sleep in select, not in a busy loop.
                    $r = [$in];
                    $w = null;
                    $e = null;
                    @\stream_select($r, $w, $e, 1);
                }
                continue;
            }
            $buffer .= $chunk;
            $missing -= \strlen($chunk);
        }

        return $buffer;
    }

    protected function describe(): string
    {
        return static::class;
    }

    private function lastError(): string
    {
        $error = \error_get_last();

        return $error['message'] ?? 'unknown error';
    }
}
