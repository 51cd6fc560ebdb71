<?php

// Profiling worker (bench/profile/rate.ts): answers every request after PROFILE_SLEEP_US microseconds of sleep (the
// page's time in PHP, without PHP CPU), with a body of PROFILE_BODY_BYTES bytes and PROFILE_HEADERS extra headers, so
// the server's CPU per request can be measured at any request rate and response size with the rest held still.

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Burner\\')) {
        $file = __DIR__ . '/../../php/src/' . str_replace('\\', '/', substr($class, 7)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

$sleepUs = (int) (getenv('PROFILE_SLEEP_US') ?: 0);
$bytes = max(1, (int) (getenv('PROFILE_BODY_BYTES') ?: 14));
$body = substr(str_repeat("Hello, world!\n", intdiv($bytes, 14) + 1), 0, $bytes);
$headers = ['Content-Type' => ['text/html; charset=UTF-8']];
for ($i = 0, $n = (int) (getenv('PROFILE_HEADERS') ?: 0); $i < $n; $i++) {
    $headers['X-Profile-' . $i] = ['value ' . $i];
}

$http = Burner\Http\HttpWorker::create();
while ($request = $http->waitRequest()) {
    if ($sleepUs > 0) {
        usleep($sleepUs);
    }
    $http->respond(200, $body, $headers);
}
