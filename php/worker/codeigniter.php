<?php

/**
 * Burner worker for CodeIgniter 4 applications.
 *
 * The server runs it with the application root as working directory (the .rr.yaml written by
 * `php spark burner:init` does: `php vendor/burner/burner/worker/codeigniter.php`); BURNER_APP_ROOT overrides that.
 * CodeIgniter boots once; then each request is served by Burner\CodeIgniter\Kernel and the state is reset.
 *
 * A fatal error ends this worker only: the process exits, the server answers that request with 500 and its pool
 * starts a replacement.
 */

declare(strict_types=1);

use Burner\CodeIgniter\ErrorPages;
use Burner\CodeIgniter\Kernel;
use Burner\Http\HttpWorker;

$appRoot = getenv('BURNER_APP_ROOT') ?: getcwd();
if ($appRoot === false || ! is_file($appRoot . '/app/Config/Paths.php')) {
    fwrite(STDERR, "burner: no CodeIgniter 4 application in '" . ($appRoot ?: '?')
        . "' (run the worker from the app root, or set BURNER_APP_ROOT)\n");
    exit(1);
}
$appRoot = realpath($appRoot);

if (is_file($appRoot . '/vendor/autoload.php')) {
    require_once $appRoot . '/vendor/autoload.php';
}
if (! class_exists(HttpWorker::class)) {
    // Not installed through composer (e.g. run from a checkout): load Burner\ from this package.
    spl_autoload_register(static function (string $class): void {
        if (str_starts_with($class, 'Burner\\')) {
            $file = __DIR__ . '/../src/' . str_replace('\\', '/', substr($class, 7)) . '.php';
            if (is_file($file)) {
                require $file;
            }
        }
    });
}

/** @var Kernel|null $kernel */
$kernel = null;

// Registered before CodeIgniter boots, so it runs before CI's own shutdown handler (which would print an error
// page to STDOUT, the relay, and exit). A fatal error is not answered here: the process exits mid-request, so the
// server answers 500 itself and its pool knows at once that this worker is gone (answering first would leave a
// window in which the next request is handed to a dying worker).
register_shutdown_function(static function () use (&$kernel): void {
    $error = error_get_last();
    $fatal = $error !== null && in_array($error['type'], [E_ERROR, E_CORE_ERROR, E_COMPILE_ERROR, E_PARSE, E_RECOVERABLE_ERROR], true);
    if ($fatal) {
        fwrite(STDERR, sprintf(
            "[burner] fatal error%s, worker exits: %s in %s:%d\n",
            $kernel !== null && $kernel->inRequest() ? ' during a request' : '',
            $error['message'],
            $error['file'],
            $error['line'],
        ));
    }
    // Whatever runs after this (CI's shutdown handler) must not write to STDOUT. What is still buffered goes to
    // the log when CodeIgniter exited while booting (e.g. Boot::bootWorker() refusing Config\Optimize caches).
    $buffered = '';
    while (ob_get_level() > 0) {
        $buffered = ob_get_clean() . $buffered;
    }
    if ($kernel === null && trim($buffered) !== '') {
        fwrite(STDERR, '[burner] CodeIgniter exited while booting: ' . trim(strip_tags($buffered)) . "\n");
    }
    ob_start(static fn (): string => '');
});

$httpWorker = HttpWorker::create();

if (! filter_var(ini_get('opcache.enable_cli'), FILTER_VALIDATE_BOOLEAN)) {
    fwrite(STDERR, "[burner] OPcache is off in this worker: run it with `php -d opcache.enable_cli=1` (faster, and without it "
        . "CodeIgniter's per-request require of app/Config/Routes.php slowly grows the worker's memory)\n");
}

try {
    $kernel = Kernel::boot($appRoot);
} catch (Throwable $e) {
    ErrorPages::logToStderr($e);
    fwrite(STDERR, "burner: CodeIgniter failed to boot in {$appRoot}\n");
    exit(1);
}

while (true) {
    try {
        $request = $httpWorker->waitRequest();
    } catch (Throwable $e) {
        ErrorPages::logToStderr($e);
        break;
    }
    if ($request === null) {
        break;
    }

    $reply = $kernel->handle($request);
    try {
        if ($reply->stream !== null) {
            $httpWorker->respondStream($reply->status, $reply->stream, $reply->headers);
        } else {
            $httpWorker->respond($reply->status, $reply->body, $reply->headers);
        }
    } catch (Throwable $e) {
        ErrorPages::logToStderr($e);
    }
    $kernel->afterResponse();
    if ($kernel->mustRestart()) {
        break; // see Kernel::mustRestart(); the pool starts a replacement
    }
}
