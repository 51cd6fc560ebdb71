#!/usr/bin/env php
<?php

/**
 * The smallest useful Burner/RoadRunner HTTP worker: answers every request with "Hello".
 *
 *   # .rr.yaml
 *   version: "3"
 *   server:
 *     command: "php vendor/burner/burner/bin/http-worker-example.php"
 *   http:
 *     address: 127.0.0.1:8080
 *
 * Also handy as a benchmark baseline (no framework, one frame in, one frame out).
 */

declare(strict_types=1);

use Burner\Http\HttpWorker;

(static function (): void {
    foreach ([__DIR__ . '/../vendor/autoload.php', __DIR__ . '/../../../autoload.php'] as $autoload) {
        if (is_file($autoload)) {
            require $autoload;

            return;
        }
    }
    // Running from a checkout without composer: map Burner\ to ../src.
    spl_autoload_register(static function (string $class): void {
        if (str_starts_with($class, 'Burner\\')) {
            $file = __DIR__ . '/../src/' . str_replace('\\', '/', substr($class, 7)) . '.php';
            if (is_file($file)) {
                require $file;
            }
        }
    });
})();

$http = HttpWorker::create();

while ($request = $http->waitRequest()) {
    try {
        $http->respond(200, 'Hello', ['Content-Type' => 'text/plain']);
    } catch (Throwable $e) {
        // A soft error: the server answers 500 and keeps this worker.
        $http->error((string) $e);
    }
}
