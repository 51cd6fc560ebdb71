<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * Reads a CodeIgniter response into a Reply without sending anything: CI's own send() runs in "pretend" mode inside
 * an output buffer, which finalises the Content-Security-Policy (headers and nonce placeholders) and makes a
 * DownloadResponse build its headers and emit its file or binary bytes, exactly as it would for PHP-FPM.
 */
final class ResponseMapper
{
    /** File downloads above this size are streamed in chunks instead of being read into memory. */
    public const STREAM_THRESHOLD = 2 * 1024 * 1024;
    private const CHUNK = 1024 * 1024;

    /** @param object $response CodeIgniter\HTTP\ResponseInterface */
    public function toReply(object $response): Reply
    {
        if ($response instanceof \CodeIgniter\HTTP\DownloadResponse) {
            return $this->download($response);
        }

        if (method_exists($response, 'getBody') && $response->getBody() === null && method_exists($response, 'setBody')) {
            // send() runs str_replace on the body: a null body (redirects) is a deprecation, i.e. an ErrorException.
            $response->setBody('');
        }
        if (method_exists($response, 'pretend')) {
            $response->pretend(true);
        }

        $body = self::captured(static fn () => $response->send());
        $reply = new Reply((int) $response->getStatusCode(), [], $body);
        $this->copyHeaders($response, $reply);

        return $reply;
    }

    /**
     * DownloadResponse::send() ends every output buffer first (CI 4.4+), so its bytes would reach STDOUT, the
     * relay. Its headers and body are taken piece by piece instead: buildHeaders(), then sendBody() into a buffer,
     * or for a large file a stream of chunks.
     */
    private function download(\CodeIgniter\HTTP\DownloadResponse $response): Reply
    {
        $response->buildHeaders();
        $reply = new Reply((int) $response->getStatusCode());
        // DownloadResponse::send() sends no cookies of its own (it skips sendCookies()): neither does the bridge.
        $this->copyHeaders($response, $reply, false);
        $file = $this->largeDownload($response);
        if ($file !== null) {
            $reply->stream = self::chunks($file);
        } else {
            $reply->body = self::captured(static fn () => $response->sendBody());
        }

        return $reply;
    }

    /** What $send echoes, whatever buffers it opens; never more than the buffers it opened are closed. */
    private static function captured(callable $send): string
    {
        $level = ob_get_level();
        ob_start();
        try {
            $send();
        } finally {
            $body = '';
            while (ob_get_level() > $level) {
                $body = ob_get_clean() . $body;
            }
        }

        return (string) $body;
    }

    private function copyHeaders(object $response, Reply $reply, bool $cookies = true): void
    {
        foreach ($response->headers() as $name => $header) {
            if (strcasecmp((string) $name, 'Content-Length') === 0) {
                continue; // the server frames the body itself
            }
            foreach (is_array($header) ? $header : [$header] as $one) {
                $line = is_object($one) && method_exists($one, 'getValueLine') ? $one->getValueLine() : (string) $one;
                $reply->addHeader(is_object($one) && method_exists($one, 'getName') ? $one->getName() : (string) $name, $line);
            }
        }

        foreach ($cookies ? $this->cookieLines($response) : [] as $line) {
            $reply->addHeader('Set-Cookie', $line);
        }
    }

    /** The file of a DownloadResponse worth streaming, or null. */
    private function largeDownload(\CodeIgniter\HTTP\DownloadResponse $response): ?string
    {
        $file = (fn () => ($this->binary ?? null) === null ? ($this->file ?? null) : null)->call($response);
        if (! $file instanceof \SplFileInfo || ! $file->isFile() || $file->getSize() <= self::STREAM_THRESHOLD) {
            return null;
        }

        return $file->getPathname();
    }

    /** @return \Generator<int, string> */
    private static function chunks(string $path): \Generator
    {
        $handle = fopen($path, 'rb');
        if ($handle === false) {
            return;
        }
        try {
            while (! feof($handle)) {
                $chunk = fread($handle, self::CHUNK);
                if ($chunk === false || $chunk === '') {
                    break;
                }
                yield $chunk;
            }
        } finally {
            fclose($handle);
        }
    }

    /** @return list<string> */
    private function cookieLines(object $response): array
    {
        $lines = [];
        $cookies = method_exists($response, 'getCookies') ? $response->getCookies() : [];
        foreach ((array) $cookies as $cookie) {
            if (is_object($cookie) && method_exists($cookie, 'getOptions')) {
                $lines[] = CookieHeader::fromCookie($cookie);
            } elseif (is_array($cookie) && isset($cookie['name'])) {
                // CI < 4.1: cookies were plain arrays.
                $lines[] = self::arrayCookie($cookie);
            }
        }

        return $lines;
    }

    /** @param array<string, mixed> $c */
    private static function arrayCookie(array $c): string
    {
        return CookieHeader::line(
            ($c['prefix'] ?? '') . $c['name'],
            (string) ($c['value'] ?? ''),
            (int) ($c['expires'] ?? $c['expire'] ?? 0),
            (string) ($c['path'] ?? '/'),
            (string) ($c['domain'] ?? ''),
            ! empty($c['secure']),
            ! empty($c['httponly']),
            (string) ($c['samesite'] ?? ''),
        );
    }
}
