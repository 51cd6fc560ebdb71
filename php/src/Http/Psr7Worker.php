<?php

declare(strict_types=1);

namespace Burner\Http;

use Burner\Worker\Worker;
use Psr\Http\Message\ResponseInterface;
use Psr\Http\Message\ServerRequestFactoryInterface;
use Psr\Http\Message\ServerRequestInterface;
use Psr\Http\Message\StreamFactoryInterface;
use Psr\Http\Message\StreamInterface;
use Psr\Http\Message\UploadedFileFactoryInterface;
use Psr\Http\Message\UploadedFileInterface;

/**
 * PSR-7 requests and responses over the HTTP worker, built with the application's PSR-17 factories.
 *
 * The PSR interfaces are only named in signatures, which PHP resolves lazily: this package does not require
 * psr/http-message, and this class only needs it once it is used.
 *
 *     $factory = new Nyholm\Psr7\Factory\Psr17Factory();
 *     $psr7 = new Psr7Worker(Worker::create(), $factory, $factory, $factory);
 *     while ($request = $psr7->waitRequest()) {
 *         $psr7->respond($factory->createResponse(200)->withBody($factory->createStream('Hello')));
 *     }
 */
final class Psr7Worker
{
    /** > 0: send response bodies as a stream of chunks of this many bytes instead of one frame. */
    public int $chunkSize = 0;

    private readonly HttpWorker $http;
    /** @var array<string, mixed> the worker's own $_SERVER, the base of every request's server params */
    private readonly array $originalServer;

    public function __construct(
        Worker|HttpWorker $worker,
        private readonly ServerRequestFactoryInterface $requestFactory,
        private readonly StreamFactoryInterface $streamFactory,
        private readonly UploadedFileFactoryInterface $uploadsFactory,
    ) {
        $this->http = $worker instanceof HttpWorker ? $worker : new HttpWorker($worker);
        $this->originalServer = $_SERVER;
    }

    public function getHttpWorker(): HttpWorker
    {
        return $this->http;
    }

    public function getWorker(): Worker
    {
        return $this->http->getWorker();
    }

    /**
     * The next request, or null when the server stops the worker.
     */
    public function waitRequest(): ?ServerRequestInterface
    {
        $request = $this->http->waitRequest();

        return $request === null ? null : $this->toServerRequest($request);
    }

    public function toServerRequest(Request $r): ServerRequestInterface
    {
        $server = $this->serverParams($r);
        $psr = $this->requestFactory->createServerRequest($r->method, $r->uri, $server);
        $psr = $psr->withProtocolVersion(self::protocolVersion($r->protocol))
            ->withCookieParams($r->cookies)
            ->withQueryParams($r->query)
            ->withUploadedFiles($this->uploadedFiles($r->uploads));
        foreach ($r->headers as $name => $values) {
            try {
                $psr = $psr->withHeader((string) $name, $values);
            } catch (\InvalidArgumentException) {
                // A header the PSR-7 implementation rejects must not cost the whole request.
            }
        }
        foreach ($r->attributes as $name => $value) {
            $psr = $psr->withAttribute((string) $name, $value);
        }
        if ($r->parsed) {
            return $psr->withParsedBody($r->parsedBody);
        }
        if ($r->body !== '') {
            $psr = $psr->withBody($this->streamFactory->createStream($r->body));
        }

        return $psr;
    }

    /**
     * Sends a PSR-7 response; with $chunkSize > 0 the body is streamed in chunks.
     */
    public function respond(ResponseInterface $response): void
    {
        $headers = $response->getHeaders();
        $body = $response->getBody();
        if ($this->chunkSize > 0) {
            $this->http->respondStream($response->getStatusCode(), $this->chunks($body), $headers);

            return;
        }
        if ($body->isSeekable()) {
            $body->rewind();
        }
        $this->http->respond($response->getStatusCode(), $body->getContents(), $headers);
    }

    /**
     * Answers the current request with a soft error (server replies 500, worker stays).
     */
    public function error(string $message): void
    {
        $this->http->error($message);
    }

    public static function protocolVersion(string $protocol): string
    {
        $version = \str_starts_with($protocol, 'HTTP/') ? \substr($protocol, 5) : $protocol;

        return match ($version) {
            '2.0' => '2',
            '3.0' => '3',
            '' => '1.1',
            default => $version,
        };
    }

    /**
     * @return \Generator<int, string>
     */
    private function chunks(StreamInterface $body): \Generator
    {
        if ($body->isSeekable()) {
            $body->rewind();
        }
        while (!$body->eof()) {
            $chunk = $body->read($this->chunkSize);
            if ($chunk === '') {
                break;
            }
            yield $chunk;
        }
    }

    /**
     * A CGI-like $_SERVER for the request, on top of the worker's own.
     *
     * @return array<string, mixed>
     */
    private function serverParams(Request $r): array
    {
        $server = $this->originalServer;
        $now = \microtime(true);
        $server['REQUEST_TIME'] = (int) $now;
        $server['REQUEST_TIME_FLOAT'] = $now;
        $server['REMOTE_ADDR'] = $r->remoteAddr;
        $server['REQUEST_METHOD'] = $r->method;
        $server['SERVER_PROTOCOL'] = $r->protocol;
        $server['REQUEST_URI'] = $r->getPath() . ($r->rawQuery !== '' ? '?' . $r->rawQuery : '');
        $server['QUERY_STRING'] = $r->rawQuery;
        $server['HTTP_HOST'] = $r->getHost();
        $port = \parse_url($r->uri, \PHP_URL_PORT);
        $server['SERVER_PORT'] = \is_int($port) ? $port : ($r->getScheme() === 'https' ? 443 : 80);
        if ($r->getScheme() === 'https') {
            $server['HTTPS'] = 'on';
        } else {
            unset($server['HTTPS']);
        }
        foreach ($r->headers as $name => $values) {
            $key = \strtoupper(\str_replace('-', '_', (string) $name));
            $value = \implode(', ', $values);
            if ($key === 'CONTENT_TYPE' || $key === 'CONTENT_LENGTH') {
                $server[$key] = $value;
            } else {
                $server['HTTP_' . $key] = $value;
            }
        }

        return $server;
    }

    /**
     * @param array<array-key, mixed> $tree
     * @return array<array-key, mixed>
     */
    private function uploadedFiles(array $tree): array
    {
        $out = [];
        foreach ($tree as $key => $node) {
            if (!\is_array($node)) {
                continue;
            }
            $out[$key] = \array_key_exists('tmpName', $node) && \array_key_exists('error', $node)
                ? $this->uploadedFile($node)
                : $this->uploadedFiles($node);
        }

        return $out;
    }

    /**
     * @param array<string, mixed> $f
     */
    private function uploadedFile(array $f): UploadedFileInterface
    {
        $error = (int) ($f['error'] ?? \UPLOAD_ERR_NO_FILE);
        $tmp = (string) ($f['tmpName'] ?? '');
        $stream = null;
        if ($error === \UPLOAD_ERR_OK && $tmp !== '') {
            try {
                $stream = $this->streamFactory->createStreamFromFile($tmp, 'rb');
            } catch (\RuntimeException | \InvalidArgumentException) {
                $error = \UPLOAD_ERR_CANT_WRITE;
            }
        }

        return $this->uploadsFactory->createUploadedFile(
            $stream ?? $this->streamFactory->createStream(''),
            (int) ($f['size'] ?? 0),
            $error,
            isset($f['name']) ? (string) $f['name'] : null,
            isset($f['mime']) ? (string) $f['mime'] : null,
        );
    }
}
