<?php

declare(strict_types=1);

namespace Burner\Http;

/**
 * One HTTP request as the server describes it (RoadRunner's request context), independent of PSR-7.
 */
final class Request
{
    /** Client IP without port. */
    public string $remoteAddr = '';
    /** e.g. `HTTP/1.1`, `HTTP/2.0`. */
    public string $protocol = 'HTTP/1.1';
    public string $method = 'GET';
    /** Absolute URL as sent: `http://host:port/path?query`. */
    public string $uri = '';
    /** @var array<string, list<string>> names as sent (Go-canonical, e.g. `Content-Type`); no `Host` (see getHost()) */
    public array $headers = [];
    /** @var array<string, string> */
    public array $cookies = [];
    /** Query string without `?`. */
    public string $rawQuery = '';
    /** @var array<array-key, mixed> parse_str() of $rawQuery */
    public array $query = [];
    /** Raw body; '' when the server parsed it into $parsedBody. */
    public string $body = '';
    /** True when the server parsed a urlencoded or multipart body into $parsedBody. */
    public bool $parsed = false;
    /** @var array<array-key, mixed> the form tree when $parsed, else [] */
    public array $parsedBody = [];
    /** @var array<array-key, mixed> tree of ['name','mime','size','error','tmpName'] leaves */
    public array $uploads = [];
    /** @var array<string, mixed> */
    public array $attributes = [];

    /**
     * First value of a header, case-insensitively; null when absent.
     */
    public function getHeader(string $name): ?string
    {
        $values = $this->getHeaderValues($name);

        return $values === [] ? null : $values[0];
    }

    /**
     * All values of a header, case-insensitively.
     *
     * @return list<string>
     */
    public function getHeaderValues(string $name): array
    {
        if (isset($this->headers[$name])) {
            return $this->headers[$name];
        }
        $lower = \strtolower($name);
        foreach ($this->headers as $key => $values) {
            if (\strtolower((string) $key) === $lower) {
                return $values;
            }
        }

        return [];
    }

    public function hasHeader(string $name): bool
    {
        return $this->getHeaderValues($name) !== [];
    }

    /** Host (with port, if any) taken from the absolute URI, since the server moves `Host` out of the headers. */
    public function getHost(): string
    {
        $host = \parse_url($this->uri, \PHP_URL_HOST);
        if (!\is_string($host)) {
            return $this->getHeader('Host') ?? '';
        }
        if (\str_contains($host, ':') && !\str_starts_with($host, '[')) {
            $host = '[' . $host . ']';
        }
        $port = \parse_url($this->uri, \PHP_URL_PORT);

        return \is_int($port) ? $host . ':' . $port : $host;
    }

    /** Path part of the URI (`/` when empty). */
    public function getPath(): string
    {
        $path = \parse_url($this->uri, \PHP_URL_PATH);

        return \is_string($path) && $path !== '' ? $path : '/';
    }

    public function getScheme(): string
    {
        $scheme = \parse_url($this->uri, \PHP_URL_SCHEME);

        return \is_string($scheme) ? \strtolower($scheme) : 'http';
    }

    /**
     * Builds a Request from the decoded context fields (the JSON object, or ProtoCodec::decodeRequest()).
     *
     * @param array<string, mixed> $ctx
     */
    public static function fromContext(array $ctx, string $body): self
    {
        $r = new self();
        $r->remoteAddr = (string) ($ctx['remoteAddr'] ?? '');
        $r->protocol = (string) ($ctx['protocol'] ?? 'HTTP/1.1');
        $r->method = (string) ($ctx['method'] ?? 'GET');
        $r->uri = (string) ($ctx['uri'] ?? '');
        $r->headers = self::valueLists($ctx['headers'] ?? []);
        $r->cookies = self::firstValues($ctx['cookies'] ?? []);
        $r->rawQuery = (string) ($ctx['rawQuery'] ?? '');
        if ($r->rawQuery !== '') {
            \parse_str($r->rawQuery, $r->query);
        }
        $r->parsed = (bool) ($ctx['parsed'] ?? false);
        if ($r->parsed) {
            $tree = $body === '' ? [] : \json_decode($body, true);
            if (!\is_array($tree)) {
                throw new \UnexpectedValueException('parsed request body is not a JSON form tree: ' . \json_last_error_msg());
            }
            $r->parsedBody = $tree;
        } else {
            $r->body = $body;
        }
        $uploads = $ctx['uploads'] ?? [];
        if (\is_string($uploads)) {
            // proto carries the uploads tree as JSON text
            $uploads = $uploads === '' ? [] : \json_decode($uploads, true);
        }
        $r->uploads = \is_array($uploads) ? $uploads : [];
        $attributes = $ctx['attributes'] ?? [];
        if (\is_array($attributes)) {
            foreach ($attributes as $name => $value) {
                $r->attributes[(string) $name] = $value;
            }
        }

        return $r;
    }

    /**
     * @return array<string, list<string>>
     */
    private static function valueLists(mixed $map): array
    {
        if (!\is_array($map)) {
            return [];
        }
        $out = [];
        foreach ($map as $name => $values) {
            if (\is_array($values)) {
                // The server always sends lists of strings: those are taken as they are.
                $strings = \array_is_list($values);
                foreach ($strings ? $values : [] as $value) {
                    if (!\is_string($value)) {
                        $strings = false;
                        break;
                    }
                }
                $out[(string) $name] = $strings ? $values : \array_values(\array_map('strval', \array_filter($values, 'is_scalar')));
            } elseif (\is_scalar($values)) {
                $out[(string) $name] = [(string) $values];
            }
        }

        return $out;
    }

    /**
     * @return array<string, string>
     */
    private static function firstValues(mixed $map): array
    {
        if (!\is_array($map)) {
            return [];
        }
        $out = [];
        foreach ($map as $name => $value) {
            if (\is_array($value)) {
                $value = $value[0] ?? '';
            }
            if (\is_scalar($value)) {
                $out[(string) $name] = (string) $value;
            }
        }

        return $out;
    }
}
