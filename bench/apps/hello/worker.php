<?php

// Burner side of the "hello world" app: the same body as index.php (the FPM side), one frame in, one frame out.

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Burner\\')) {
        $file = __DIR__ . '/../../../php/src/' . str_replace('\\', '/', substr($class, 7)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

$http = Burner\Http\HttpWorker::create();
while ($request = $http->waitRequest()) {
    $http->respond(200, "Hello, world!\n", ['Content-Type' => ['text/plain; charset=UTF-8']]);
}
