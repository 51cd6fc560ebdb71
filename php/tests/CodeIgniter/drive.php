<?php

/**
 * Test driver: boots the Burner CodeIgniter Kernel on an app in THIS process (as the worker does) and serves a list
 * of requests in sequence, writing one JSON reply per request. Used by KernelTest, which runs it as a subprocess
 * because booting CodeIgniter defines global constants and functions.
 *
 *   php drive.php <app-root> <requests.json> <replies.json>
 */

declare(strict_types=1);

[, $appRoot, $in, $out] = $argv;
require $appRoot . '/vendor/autoload.php';

use Burner\CodeIgniter\Kernel;
use Burner\Http\Request;

$kernel = Kernel::boot($appRoot);
$replies = [];
$internals = static fn (string $property) => (fn () => $this->{$property})->call($kernel);
foreach (json_decode(file_get_contents($in), true, 512, JSON_THROW_ON_ERROR) as $spec) {
    // Test hooks: bridge settings, an idle time (moved back instead of slept), a server-side KILL of the MySQL
    // connection the previous reply named.
    foreach ($spec['config'] ?? [] as $name => $value) {
        $internals('config')->{$name} = $value;
    }
    if (isset($spec['idle'])) {
        (function (float $idle) {
            $this->lastRequestEnd -= $idle;
        })->call($internals('reset'), (float) $spec['idle']);
    }
    if (! empty($spec['killPrevious'])) {
        $previous = json_decode(base64_decode(end($replies)['body']), true);
        $admin = new mysqli('localhost', 'root', '', 'mysql', 0, (string) getenv('BT_MYSQL_SOCKET'));
        $admin->query('KILL ' . (int) $previous['connection']);
        $admin->close();
    }
    $r = new Request();
    $r->method = $spec['method'] ?? 'GET';
    $r->uri = $spec['uri'];
    $r->remoteAddr = '127.0.0.1';
    $r->headers = $spec['headers'] ?? [];
    $r->cookies = $spec['cookies'] ?? [];
    $r->rawQuery = (string) (parse_url($r->uri, PHP_URL_QUERY) ?? '');
    parse_str($r->rawQuery, $r->query);
    $r->body = $spec['body'] ?? '';
    $r->parsed = isset($spec['parsedBody']) || isset($spec['uploads']);
    $r->parsedBody = $spec['parsedBody'] ?? [];
    $r->uploads = $spec['uploads'] ?? [];
    $reply = $kernel->handle($r);
    $body = $reply->body;
    if ($reply->stream !== null) {
        $chunks = [];
        foreach ($reply->stream as $chunk) {
            $chunks[] = strlen($chunk);
            $body .= $chunk;
        }
        $reply->headers['X-Test-Streamed-Chunks'] = [(string) count($chunks)];
    }
    $entry = ['status' => $reply->status, 'headers' => $reply->headers, 'body' => base64_encode($body)];
    foreach ($spec['keeps'] ?? [] as $class) {
        // Test hook: whether the bridge builds this config class once per worker (ConfigPrototypes).
        $entry['keeps'][$class] = $internals('configs')->keeps($class);
    }
    // Test hook: how many User-Agent strings the bridge remembers (UserAgentMemo), null when it is off.
    $entry['agentMemo'] = $internals('generation')->agents?->size();
    $kernel->afterResponse();
    $entry['after'] = [
        'session_id' => session_id(),
        'session_status' => session_status(),
        'get' => $_GET, 'post' => $_POST, 'cookie' => $_COOKIE, 'files' => $_FILES,
        'services' => array_keys((static fn () => static::$instances)->bindTo(null, \CodeIgniter\Config\BaseService::class)()),
        'ob_level' => ob_get_level(),
        'must_restart' => $kernel->mustRestart(),
    ];
    $replies[] = $entry;
}
file_put_contents($out, json_encode($replies, JSON_PRETTY_PRINT | JSON_INVALID_UTF8_SUBSTITUTE));
