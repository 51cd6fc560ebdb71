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
        $file = $this->largeDownload($response);
        if ($file !== null) {
            $response->buildHeaders();
            $reply = new Reply((int) $response->getStatusCode());
            $this->copyHeaders($response, $reply);
            $reply->stream = self::chunks($file);

            return $reply;
        }

        if (method_exists($response, 'getBody') && $response->getBody() === null && method_exists($response, 'setBody')
            && ! $response instanceof \CodeIgniter\HTTP\DownloadResponse) {
            // send() runs str_replace on the body: a null body (redirects) is a deprecation, i.e. an ErrorException.
            $response->setBody('');
        }
        if (method_exists($response, 'pretend')) {
            $response->pretend(true);
        }

        $level = ob_get_level();
        ob_start();
        try {
            $response->send();
        } finally {
            $body = '';
            while (ob_get_level() > $level) {
                $body = ob_get_clean() . $body;
            }
        }

        $reply = new Reply((int) $response->getStatusCode(), [], (string) $body);
        $this->copyHeaders($response, $reply);

        return $reply;
    }

    private function copyHeaders(object $response, Reply $reply): void
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

        foreach ($this->cookieLines($response) as $line) {
            $reply->addHeader('Set-Cookie', $line);
        }
    }

    /** The file of a DownloadResponse worth streaming, or null. */
    private function largeDownload(object $response): ?string
    {
        if (! $response instanceof \CodeIgniter\HTTP\DownloadResponse || ! method_exists($response, 'buildHeaders')) {
            return null;
        }
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
            if (is_object($cookie) && method_exists($cookie, 'toHeaderString')) {
                $lines[] = $cookie->toHeaderString();
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
        $line = ($c['prefix'] ?? '') . $c['name'] . '=' . rawurlencode((string) ($c['value'] ?? ''));
        $expire = (int) ($c['expires'] ?? $c['expire'] ?? 0);
        if ($expire !== 0) {
            $line .= '; expires=' . gmdate('D, d-M-Y H:i:s', $expire) . ' GMT; Max-Age=' . max(0, $expire - time());
        }
        $line .= '; path=' . ($c['path'] ?? '/');
        if (! empty($c['domain'])) {
            $line .= '; domain=' . $c['domain'];
        }
        if (! empty($c['secure'])) {
            $line .= '; secure';
        }
        if (! empty($c['httponly'])) {
            $line .= '; HttpOnly';
        }
        if (! empty($c['samesite'])) {
            $line .= '; SameSite=' . $c['samesite'];
        }

        return $line;
    }
}
