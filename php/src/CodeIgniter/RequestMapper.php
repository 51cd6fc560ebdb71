<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * Turns a worker payload (Burner\Http\Request) into the superglobals PHP-FPM would have built, so CodeIgniter can
 * create its request the normal way. REQUEST_URI is path + query only (the server sends an absolute URL, which CI's
 * URI detection would misread as a path starting with //host).
 */
final class RequestMapper
{
    /** Bounds the memory a client sending ever new header names can make a worker hold. */
    private const MAX_KEYS = 512;

    /** @var array<string, string> header name => $_SERVER key (at most MAX_KEYS names are remembered) */
    private array $serverKeys = [];

    /** @param array<string, mixed> $baseServer the worker's $_SERVER after boot (environment, .env values) */
    public function __construct(
        private array $baseServer,
        private string $frontController,
    ) {
        unset($this->baseServer['argv'], $this->baseServer['argc']);
    }

    /**
     * Rebuilds $_SERVER, $_GET, $_POST, $_COOKIE, $_FILES, $_REQUEST and returns the raw body CI must see
     * (php://input is empty in a worker).
     *
     * @param object $request Burner\Http\Request
     */
    public function apply(object $request): string
    {
        $url = parse_url((string) $request->uri);
        if ($url === false) {
            $url = [];
        }
        $scheme = strtolower($url['scheme'] ?? 'http');
        $host = $url['host'] ?? 'localhost';
        if (str_contains($host, ':') && $host[0] !== '[') {
            $host = '[' . $host . ']';
        }
        $https = $scheme === 'https';
        $port = (int) ($url['port'] ?? ($https ? 443 : 80));
        $path = $url['path'] ?? '/';
        if ($path === '' || $path[0] !== '/') {
            $path = '/' . $path;
        }
        $rawQuery = (string) ($request->rawQuery ?? '');
        if ($rawQuery === '' && isset($url['query'])) {
            $rawQuery = $url['query'];
        }
        $method = strtoupper((string) ($request->method ?: 'GET'));
        $now = microtime(true);

        $server = $this->baseServer;
        $server['REQUEST_URI'] = $path . ($rawQuery !== '' ? '?' . $rawQuery : '');
        $server['QUERY_STRING'] = $rawQuery;
        $server['REQUEST_METHOD'] = $method;
        $server['SERVER_PROTOCOL'] = (string) ($request->protocol ?: 'HTTP/1.1');
        $server['HTTP_HOST'] = $host . ($port !== ($https ? 443 : 80) ? ':' . $port : '');
        $server['SERVER_NAME'] = trim($host, '[]');
        $server['SERVER_PORT'] = (string) $port;
        $server['REMOTE_ADDR'] = self::remoteIp((string) ($request->remoteAddr ?? ''));
        $server['SCRIPT_NAME'] = '/' . basename($this->frontController);
        $server['PHP_SELF'] = $server['SCRIPT_NAME'];
        $server['SCRIPT_FILENAME'] = $this->frontController;
        $server['DOCUMENT_ROOT'] = dirname($this->frontController);
        $server['GATEWAY_INTERFACE'] = 'CGI/1.1';
        $server['SERVER_SOFTWARE'] = 'Burner';
        $server['REQUEST_TIME'] = (int) $now;
        $server['REQUEST_TIME_FLOAT'] = $now;
        if ($https) {
            $server['HTTPS'] = 'on';
            $server['REQUEST_SCHEME'] = 'https';
        } else {
            unset($server['HTTPS']);
            $server['REQUEST_SCHEME'] = 'http';
        }

        foreach ((array) $request->headers as $name => $values) {
            // Header name => $_SERVER key, remembered: the same few names come with every request.
            $key = $this->serverKeys[$name] ?? null;
            if ($key === null) {
                $key = self::serverKey((string) $name);
                if (count($this->serverKeys) < self::MAX_KEYS) {
                    $this->serverKeys[$name] = $key;
                }
            }
            if ($key !== '') {
                $server[$key] = implode($key === 'HTTP_COOKIE' ? '; ' : ', ', (array) $values);
            }
        }

        $body = (string) ($request->body ?? '');
        $post = [];
        if (! empty($request->parsed)) {
            $post = (array) $request->parsedBody;
            // PHP fills $_POST only for POST; for PUT/PATCH/DELETE forms CI reads the raw body (getRawInput),
            // which the server consumed while parsing: give it back in urlencoded form.
            if (
                $method !== 'POST' && $body === '' && $post !== []
                && stripos($server['CONTENT_TYPE'] ?? '', 'application/x-www-form-urlencoded') !== false
            ) {
                $body = http_build_query($post);
            }
            if ($method !== 'POST') {
                $post = [];
            }
        }
        if (! isset($server['CONTENT_LENGTH']) && $body !== '') {
            $server['CONTENT_LENGTH'] = (string) strlen($body);
        }

        $_SERVER = $server;
        $_GET = (array) $request->query;
        $_POST = $post;
        $_COOKIE = array_map('strval', (array) $request->cookies);
        $_FILES = $this->files((array) ($request->uploads ?? []));
        $_REQUEST = array_merge($_GET, $_POST);

        return $body;
    }

    /** The $_SERVER key of a request header ('' for Host, which comes from the URI). */
    private static function serverKey(string $name): string
    {
        $key = strtoupper(str_replace('-', '_', $name));

        return match ($key) {
            'CONTENT_TYPE', 'CONTENT_LENGTH' => $key,
            'HOST' => '',
            default => 'HTTP_' . $key,
        };
    }

    /** "1.2.3.4:5678" or "[::1]:5678" -> the address alone. */
    public static function remoteIp(string $addr): string
    {
        if ($addr === '' || filter_var($addr, FILTER_VALIDATE_IP) !== false) {
            return $addr;
        }
        if (preg_match('/^\[?([^\]]+?)\]?:\d+$/', $addr, $m) === 1 && filter_var($m[1], FILTER_VALIDATE_IP) !== false) {
            return $m[1];
        }

        return $addr;
    }

    /**
     * The server's upload tree (field => file or nested fields) in PHP's $_FILES layout, where nested fields put
     * the file keys first: $_FILES[field]['name'][a][b].
     *
     * @param array<string|int, mixed> $uploads
     * @return array<string|int, mixed>
     */
    private function files(array $uploads): array
    {
        $files = [];
        foreach ($uploads as $field => $node) {
            if (! is_array($node)) {
                continue;
            }
            if (self::isFile($node)) {
                $files[$field] = self::record($node);
                continue;
            }
            $tree = ['name' => [], 'type' => [], 'tmp_name' => [], 'error' => [], 'size' => [], 'full_path' => []];
            $this->pivot($node, $tree);
            $files[$field] = $tree;
        }

        return $files;
    }

    /** @param array<string|int, mixed> $node @param array<string, array<mixed>> $tree */
    private function pivot(array $node, array &$tree): void
    {
        foreach ($node as $key => $child) {
            if (! is_array($child)) {
                continue;
            }
            if (self::isFile($child)) {
                foreach (self::record($child) as $prop => $value) {
                    $tree[$prop][$key] = $value;
                }
                continue;
            }
            $sub = ['name' => [], 'type' => [], 'tmp_name' => [], 'error' => [], 'size' => [], 'full_path' => []];
            $this->pivot($child, $sub);
            foreach ($sub as $prop => $values) {
                $tree[$prop][$key] = $values;
            }
        }
    }

    /** @param array<string, mixed> $node */
    private static function isFile(array $node): bool
    {
        return array_key_exists('tmpName', $node) && ! is_array($node['tmpName']);
    }

    /**
     * @param array<string, mixed> $file
     * @return array{name: string, type: string, tmp_name: string, error: int, size: int, full_path: string}
     */
    private static function record(array $file): array
    {
        $tmp = (string) ($file['tmpName'] ?? '');
        $error = (int) ($file['error'] ?? 0);
        if ($error === UPLOAD_ERR_OK) {
            Uploads::register($tmp);
        }

        return [
            'name' => (string) ($file['name'] ?? ''),
            'type' => (string) ($file['mime'] ?? ''),
            'tmp_name' => $tmp,
            'error' => $error,
            'size' => (int) ($file['size'] ?? 0),
            'full_path' => (string) ($file['name'] ?? ''),
        ];
    }
}
