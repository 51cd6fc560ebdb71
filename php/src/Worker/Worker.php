<?php

declare(strict_types=1);

namespace Burner\Worker;

use Burner\Frame;
use Burner\Relay\Relay;
use Burner\Relay\RelayClosedException;
use Burner\Relay\RelayInterface;

/**
 * The worker side of the RoadRunner/Burner protocol:
 *
 *     $worker = Worker::create();
 *     while ($payload = $worker->waitPayload()) {
 *         $worker->respond(new Payload('', 'hello ' . $payload->body));
 *     }
 */
final class Worker
{
    private const STOP_HEADER = '{"stop":true}';

    private readonly ?OutputInterceptor $interceptor;
    /** A STREAM frame was sent and the frame that ends the stream was not sent yet. */
    private bool $streaming = false;
    private bool $streamStopped = false;
    /**
     * Frames read while a response was being streamed that belong to later requests (a pipelining server may send
     * the next request before this one is answered, or a stop): waitPayload() takes them first, in order.
     *
     * @var list<Frame>
     */
    private array $pending = [];
    /** waitPayload() handed out a request that has not been answered yet (final respond(), error() or stop()). */
    private bool $answering = false;
    /** The server stopped us or closed our input: the loop is over because the server said so. */
    private bool $ended = false;
    /** leave() is registered (once, at the PID handshake with Burner) or has run. */
    private bool $leaveRegistered = false;
    private bool $left = false;
    /**
     * After stop() or leave(): this process runs no more requests. Any that arrive (written ahead by a pipelining
     * server before it knew) are answered with {"stop":true}, so the server runs them on another worker, never twice.
     */
    private bool $handingBack = false;

    /**
     * @param OutputInterceptor|bool $interceptOutput true: divert echo/print to STDERR (the default, required for
     *                                                 the pipes relay); false: leave output alone; or your own interceptor
     */
    public function __construct(
        private readonly RelayInterface $relay,
        OutputInterceptor|bool $interceptOutput = true,
    ) {
        $this->interceptor = match (true) {
            $interceptOutput instanceof OutputInterceptor => $interceptOutput,
            $interceptOutput => new OutputInterceptor(),
            default => null,
        };
        if ($this->interceptor !== null) {
            $this->interceptor->armBetweenRequests();
            // PHP CLI prints notices/warnings to STDOUT when display_errors is on; STDERR is the only safe place.
            $display = \strtolower((string) \ini_get('display_errors'));
            if ($display !== '' && $display !== '0' && $display !== 'off' && $display !== 'stderr') {
                \ini_set('display_errors', 'stderr');
            }
        }
    }

    /**
     * A worker on the relay named by RR_RELAY (`pipes` when unset), with output interception.
     */
    public static function create(bool $interceptOutput = true): self
    {
        return new self(Relay::create(Environment::get('RR_RELAY') ?? Relay::PIPES), $interceptOutput);
    }

    public function getRelay(): RelayInterface
    {
        return $this->relay;
    }

    public function getOutputInterceptor(): ?OutputInterceptor
    {
        return $this->interceptor;
    }

    /**
     * Waits for the next payload. Answers the PID handshake on the way (the server sends it right after spawning,
     * and this is the first read), and returns null when the server asks the worker to stop or closes the relay.
     */
    public function waitPayload(): ?Payload
    {
        $this->interceptor?->armBetweenRequests();
        $this->streaming = false;
        $this->streamStopped = false;
        $this->answering = false;
        $payload = $this->nextPayload();
        if ($payload === null) {
            $this->ended = true;
        } else {
            $this->answering = true;
        }

        return $payload;
    }

    private function nextPayload(): ?Payload
    {
        while (true) {
            if ($this->pending !== []) {
                $frame = \array_shift($this->pending);
            } else {
                try {
                    $frame = $this->relay->receive();
                } catch (RelayClosedException) {
                    // The server closed our input between two frames: it is gone, so the loop ends like on stop.
                    return null;
                }
            }

            if ($frame->hasFlag(Frame::CONTROL)) {
                if ($this->handleControl($frame)) {
                    return null;
                }
                continue;
            }
            if ($frame->byte10 & (Frame::STOP | Frame::PONG)) {
                // Leftovers of a finished stream (a STOP that crossed our last chunk, a late PONG).
                continue;
            }
            if ($this->handingBack) {
                $this->sendStop();
                continue;
            }
            if ($frame->options === []) {
                return new Payload('', $frame->payload, $frame->flags, false);
            }

            $headerLength = $frame->options[0];
            if ($headerLength > \strlen($frame->payload)) {
                throw new WorkerException(\sprintf(
                    'bad payload frame: context length %d exceeds payload length %d',
                    $headerLength,
                    \strlen($frame->payload),
                ));
            }

            return new Payload(
                \substr($frame->payload, 0, $headerLength),
                \substr($frame->payload, $headerLength),
                $frame->flags,
                $frame->hasStreamBit(Frame::STREAM),
            );
        }
    }

    /**
     * Sends a response payload.
     *
     * @param int  $codec  frame flags, e.g. Frame::CODEC_PROTO for an http.v1.Response header
     * @param bool $stream true: more frames of this response follow (STREAM bit)
     */
    public function respond(Payload $payload, int $codec = 0, bool $stream = false): void
    {
        $this->interceptor?->armDuringRequest();
        if ($this->streaming && !$this->streamStopped) {
            $this->pollStreamStop();
        }
        $headerLength = \strlen($payload->header);
        // One concatenation of the three parts: the body (often the largest string here) is copied once.
        $this->relay->send(Frame::packHeader(
            $headerLength + \strlen($payload->body),
            $codec,
            [$headerLength],
            $stream ? Frame::STREAM : 0,
        ) . $payload->header . $payload->body);
        $this->streaming = $stream;
        if (!$stream) {
            $this->streamStopped = false;
            $this->answering = false;
        }
    }

    /**
     * Whether the server cancelled the response being streamed (the HTTP client went away). The server drains
     * frames until one without STREAM arrives, so the producer should stop and send a final frame.
     */
    public function isStreamStopped(): bool
    {
        if ($this->streaming && !$this->streamStopped) {
            $this->pollStreamStop();
        }

        return $this->streamStopped;
    }

    /**
     * Reports a soft error for the current request: the server answers it with an error (HTTP 500) and keeps
     * this worker.
     */
    public function error(string $message): void
    {
        $this->interceptor?->armDuringRequest();
        $this->relay->send(Frame::packFrame($message, Frame::ERROR));
        $this->streaming = false;
        $this->streamStopped = false;
        $this->answering = false;
    }

    /**
     * Asks the server to replace this worker. Call it instead of responding: the server retries the current
     * request on another worker and stops this one; keep calling waitPayload() until it returns null (requests that
     * still arrive, written ahead by a pipelining server, are handed back the same way, never returned).
     */
    public function stop(): void
    {
        $this->sendStop();
        $this->streaming = false;
        $this->answering = false;
        $this->handingBack = true;
    }

    private function sendStop(): void
    {
        $this->relay->send(Frame::packFrame(self::STOP_HEADER, 0, [\strlen(self::STOP_HEADER)]));
    }

    /**
     * Runs at shutdown when the script ends between two requests without the server having stopped it (the loop
     * around waitPayload() ended: a worker that restarts itself after N requests, the CodeIgniter bridge's
     * mustRestart()). Burner may already have written the next request into our input (http.pool.pipelining), so
     * we say `{"leaving":true}` and answer every request still coming with `{"stop":true}` (the server gives it to
     * another worker) until the server's stop or EOF. Nothing is done in the middle of a request (an exit or a fatal
     * error there fails that request, and the server itself re-routes what it wrote behind it), nor under RoadRunner
     * (BURNER_VERSION unset), which never writes ahead and would not know the frame.
     */
    public function leave(): void
    {
        if ($this->left || $this->ended || $this->answering) {
            return;
        }
        $this->left = true;
        $this->handingBack = true;
        try {
            $this->relay->send(Frame::packFrame('{"leaving":true}', Frame::CONTROL));
            $this->nextPayload(); // hands back every request; returns on the server's stop or EOF
        } catch (\Throwable) {
            // EOF or a broken relay: the server is gone or has killed us; nothing is left to hand back.
        }
    }

    /** @return bool true when the server asked us to stop */
    private function handleControl(Frame $frame): bool
    {
        try {
            $message = \json_decode($frame->payload, true, 4, \JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new WorkerException('invalid control frame from the server: ' . $e->getMessage(), 0, $e);
        }
        if (!\is_array($message)) {
            throw new WorkerException('invalid control frame from the server: ' . $frame->payload);
        }
        if (!empty($message['stop'])) {
            return true;
        }
        if (!empty($message['pid'])) {
            if (!$this->leaveRegistered && Environment::get('BURNER_VERSION') !== null) {
                $this->leaveRegistered = true;
                \register_shutdown_function([$this, 'leave']);
            }
            // `pipelining`: a request frame that arrives before this one is answered, even mid-stream, is kept for
            // waitPayload() (see pollStreamStop), so Burner may write requests ahead (http.pool.pipelining).
            // RoadRunner ignores the key.
            $this->relay->send(Frame::packFrame(
                \json_encode(['pid' => \getmypid(), 'pipelining' => true], \JSON_THROW_ON_ERROR),
                Frame::CONTROL,
            ));
        }

        return false;
    }

    /**
     * Reads what the server sent while we stream: a STOP for this stream, or frames for later (the next request of
     * a pipelining server, a stop request), which are kept for waitPayload() in order, never dropped.
     */
    private function pollStreamStop(): void
    {
        while ($this->relay->hasFrame(0.0)) {
            $frame = $this->relay->receive();
            if ($frame->hasStreamBit(Frame::STOP)) {
                $this->streamStopped = true;

                return;
            }
            if ($frame->hasFlag(Frame::CONTROL)) {
                if ($this->handleControl($frame)) {
                    // A stop request in the middle of a stream: end the stream; waitPayload() then ends the loop
                    // (after any request that arrived before the stop).
                    $this->pending[] = $frame;
                    $this->streamStopped = true;

                    return;
                }
                continue;
            }
            if (!($frame->byte10 & Frame::PONG)) {
                $this->pending[] = $frame;
            }
        }
    }
}
