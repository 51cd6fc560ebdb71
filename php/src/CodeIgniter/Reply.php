<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/** What the bridge hands to HttpWorker::respond(): status, headers (name => list of values), body bytes. */
final class Reply
{
    /**
     * Set for large file downloads: the body comes from here in chunks (HttpWorker::respondStream), $body is ''.
     *
     * @var iterable<string>|null
     */
    public ?iterable $stream = null;

    /**
     * @param array<string, list<string>> $headers
     */
    public function __construct(
        public int $status = 200,
        public array $headers = [],
        public string $body = '',
    ) {
    }

    public function addHeader(string $name, string $value): void
    {
        foreach ($this->headers as $existing => $_) {
            if (strcasecmp($existing, $name) === 0) {
                $this->headers[$existing][] = $value;

                return;
            }
        }
        $this->headers[$name] = [$value];
    }

    /** Adds a value in front of the header's others (PHP sends a session's cache headers before the app's). */
    public function prependHeader(string $name, string $value): void
    {
        foreach ($this->headers as $existing => $_) {
            if (strcasecmp($existing, $name) === 0) {
                array_unshift($this->headers[$existing], $value);

                return;
            }
        }
        $this->headers = [$name => [$value]] + $this->headers;
    }

    public function header(string $name): ?string
    {
        foreach ($this->headers as $existing => $values) {
            if (strcasecmp($existing, $name) === 0) {
                return $values[0] ?? null;
            }
        }

        return null;
    }
}
