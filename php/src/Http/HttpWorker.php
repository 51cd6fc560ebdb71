<?php

declare(strict_types=1);

namespace Burner\Http;

use Burner\Frame;
use Burner\Worker\Payload;
use Burner\Worker\Worker;

/**
 * HTTP on top of the worker loop: decodes the request context (protobuf http.v1.Request or the legacy JSON
 * object, whichever the server sent) and answers in the same codec.
 *
 *     $http = HttpWorker::create();
 *     while ($req = $http->waitRequest()) {
 *         $http->respond(200, 'Hello', ['Content-Type' => 'text/plain']);
 *     }
 */
final class HttpWorker
{
    public const CODEC_JSON = Frame::CODEC_JSON;
    public const CODEC_PROTO = Frame::CODEC_PROTO;

    /** Codec of the last request; responses use it. JSON until the first request says otherwise. */
    private int $codec = self::CODEC_JSON;

    public function __construct(private readonly Worker $worker)
    {
    }

    public static function create(): self
    {
        return new self(Worker::create());
    }

    public function getWorker(): Worker
    {
        return $this->worker;
    }

    /** Frame::CODEC_PROTO or Frame::CODEC_JSON: what the server used for the last request. */
    public function getCodec(): int
    {
        return $this->codec;
    }

    /**
     * The next request, or null when the server stops the worker.
     *
     * A request whose context cannot be decoded is answered with a worker error (the server replies 500) and
     * skipped, so one bad frame never ends the loop.
     */
    public function waitRequest(): ?Request
    {
        while (true) {
            $payload = $this->worker->waitPayload();
            if ($payload === null) {
                return null;
            }
            try {
                return $this->decode($payload);
            } catch (\Throwable $e) {
                $this->worker->error('burner: cannot decode the request context: ' . $e->getMessage());
            }
        }
    }

    /**
     * Decodes one payload into a Request and remembers its codec.
     */
    public function decode(Payload $payload): Request
    {
        $this->codec = self::detectCodec($payload);
        if ($this->codec === self::CODEC_PROTO) {
            $ctx = ProtoCodec::decodeRequest($payload->header);
            foreach ($ctx['attributes'] as $name => $values) {
                // attributes travel as HeaderValue lists; the first value is the attribute
                $ctx['attributes'][$name] = $values[0] ?? '';
            }

            return Request::fromContext($ctx, $payload->body);
        }
        $ctx = $payload->header === '' ? [] : \json_decode($payload->header, true, 512, \JSON_THROW_ON_ERROR);
        if (!\is_array($ctx)) {
            throw new \UnexpectedValueException('the JSON request context is not an object');
        }

        return Request::fromContext($ctx, $payload->body);
    }

    public static function detectCodec(Payload $payload): int
    {
        if ($payload->flags & Frame::CODEC_PROTO) {
            return self::CODEC_PROTO;
        }
        if ($payload->flags & Frame::CODEC_JSON) {
            return self::CODEC_JSON;
        }
        // No codec flag (an older server): a JSON object starts with '{'; a proto Request never does
        // (0x7b would be field 15, which http.v1.Request does not have).
        $first = \ltrim(\substr($payload->header, 0, 16));

        return $payload->header === '' || ($first !== '' && $first[0] === '{') ? self::CODEC_JSON : self::CODEC_PROTO;
    }

    /**
     * Sends the response (or one chunk of it).
     *
     * @param array<string, string|int|float|list<string|int|float>> $headers
     * @param bool $endOfStream false: more chunks follow (call respond() again; the last call passes true).
     *                          A 1xx status (e.g. 103 Early Hints) must pass false.
     */
    public function respond(int $status, string $body = '', array $headers = [], bool $endOfStream = true): void
    {
        if ($status >= 100 && $status < 200 && $body !== '') {
            throw new \InvalidArgumentException('a 1xx response cannot have a body');
        }
        $this->worker->respond(
            new Payload($this->encodeHeader($status, self::normalizeHeaders($headers)), $body),
            $this->codec,
            !$endOfStream,
        );
    }

    /**
     * Streams a response: one frame per chunk, then a final frame (a Generator's return value, or '').
     * Stops early when the server cancels the stream (client gone); a Generator then gets a
     * StreamStoppedException thrown in, which it may catch to clean up.
     *
     * @param iterable<string> $chunks
     * @param array<string, string|int|float|list<string|int|float>> $headers
     */
    public function respondStream(int $status, iterable $chunks, array $headers = []): void
    {
        $header = $this->encodeHeader($status, self::normalizeHeaders($headers));
        $final = '';
        try {
            if ($chunks instanceof \Generator) {
                while ($chunks->valid()) {
                    $this->worker->respond(new Payload($header, (string) $chunks->current()), $this->codec, true);
                    if ($this->worker->isStreamStopped()) {
                        try {
                            $chunks->throw(new StreamStoppedException());
                        } catch (StreamStoppedException) {
                        }
                        break;
                    }
                    $chunks->next();
                }
                if (!$this->worker->isStreamStopped() && !$chunks->valid()) {
                    $final = (string) $chunks->getReturn();
                }
            } else {
                foreach ($chunks as $chunk) {
                    $this->worker->respond(new Payload($header, (string) $chunk), $this->codec, true);
                    if ($this->worker->isStreamStopped()) {
                        break;
                    }
                }
            }
        } finally {
            // Always end the stream, or the server waits for the rest until stream_timeout.
            $this->worker->respond(new Payload($header, $final), $this->codec, false);
        }
    }

    /**
     * Reports a soft error: the server answers this request with its internal error code and keeps the worker.
     */
    public function error(string $message): void
    {
        $this->worker->error($message);
    }

    /**
     * Header values may be a string or a list of strings; names keep their spelling.
     *
     * @param array<array-key, mixed> $headers
     * @return array<string, list<string>>
     */
    public static function normalizeHeaders(array $headers): array
    {
        $out = [];
        foreach ($headers as $name => $values) {
            $list = [];
            foreach (\is_array($values) ? $values : [$values] as $value) {
                if (\is_string($value)) {
                    $list[] = $value;
                } elseif (\is_int($value) || \is_float($value) || $value instanceof \Stringable) {
                    $list[] = (string) $value;
                }
            }
            if ($list !== []) {
                $out[(string) $name] = $list;
            }
        }

        return $out;
    }

    /**
     * @param array<string, list<string>> $headers
     */
    private function encodeHeader(int $status, array $headers): string
    {
        if ($this->codec === self::CODEC_PROTO) {
            return ProtoCodec::encodeResponse($status, $headers);
        }

        return \json_encode(
            ['status' => $status, 'headers' => (object) $headers],
            \JSON_THROW_ON_ERROR | \JSON_UNESCAPED_SLASHES | \JSON_INVALID_UTF8_SUBSTITUTE,
        );
    }
}
