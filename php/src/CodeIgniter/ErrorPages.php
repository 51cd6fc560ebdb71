<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use Throwable;

/**
 * Renders CodeIgniter's own error page for an exception into a response, instead of CI's handler, which echoes and
 * exits. The same views, status codes, JSON/XML answers for non-HTML clients and logging as CI; the stack trace
 * also goes to STDERR (the server's log).
 */
final class ErrorPages
{
    public function __construct(private bool $modern)
    {
    }

    /**
     * @param object $request  CodeIgniter\HTTP\IncomingRequest
     * @param object $response CodeIgniter\HTTP\Response (a fresh one is fine)
     * @return object|Reply a CI response (API answers, sent through the response as CI does), or a Reply for an
     *                      HTML error page: CI echoes those after a bare status line, without the response's headers
     */
    public function render(Throwable $e, object $request, object $response): object
    {
        if (! $e instanceof \CodeIgniter\Exceptions\PageNotFoundException) {
            self::logToStderr($e); // a 404 is an answer, not a failure
        }

        $exceptions = \Config\Services::exceptions();
        [$status] = (fn (Throwable $e) => $this->determineCodes($e))->call($exceptions, $e);
        $status = (int) $status;
        if ($status < 100 || $status > 599) {
            $status = 500;
        }

        // Error views read http_response_code() (CI 4.1's error_exception.php builds a Response from it).
        http_response_code($status);

        $config = config('Exceptions');
        if (($config->log ?? false) === true && ! in_array($status, (array) ($config->ignoreCodes ?? []), true)) {
            log_message('critical', $e->getMessage() . "\n{trace}", ['trace' => $e->getTraceAsString()]);
        }

        return $this->modern && method_exists($config, 'handler')
            ? $this->renderModern($e, $status, $config, $request, $response)
            : $this->renderLegacy($e, $status, $config, $request, $response);
    }

    public static function logToStderr(Throwable $e): void
    {
        $text = sprintf(
            "[burner] %s: %s in %s:%d\nStack trace:\n%s\n",
            $e::class,
            $e->getMessage(),
            $e->getFile(),
            $e->getLine(),
            $e->getTraceAsString(),
        );
        for ($prev = $e->getPrevious(); $prev !== null; $prev = $prev->getPrevious()) {
            $text .= sprintf("Caused by %s: %s in %s:%d\n", $prev::class, $prev->getMessage(), $prev->getFile(), $prev->getLine());
        }
        @fwrite(STDERR, $text);
    }

    /** CI < 4.4: Debug\Exceptions renders; its protected render()/respond() are used without the exit. */
    private function renderLegacy(Throwable $e, int $status, object $config, object $request, object $response): object
    {
        $handler = new \CodeIgniter\Debug\Exceptions($config, $request, $response);
        $response->setStatusCode($status);

        if (! str_contains($request->getHeaderLine('accept'), 'text/html')) {
            $data = ENVIRONMENT === 'development'
                ? (fn () => $this->collectVars($e, $status))->call($handler)
                : '';

            return (fn () => $this->respond($data, $status))->call($handler);
        }

        $level = ob_get_level();
        ob_start();
        try {
            (fn () => $this->render($e, $status))->call($handler);
        } finally {
            $body = '';
            while (ob_get_level() > $level) {
                $body = ob_get_clean() . $body;
            }
        }

        return self::page($status, $body);
    }

    private static function page(int $status, string $body): Reply
    {
        $type = (string) (ini_get('default_mimetype') ?: 'text/html');
        $charset = (string) ini_get('default_charset');

        return new Reply($status, ['Content-Type' => [$type . ($charset !== '' ? '; charset=' . $charset : '')]], $body);
    }

    /**
     * CI 4.4+: Config\Exceptions::handler() picks the handler. CI's default one is driven through its protected
     * pieces (determineView/render/respond); a custom handler is called as is (it must not exit).
     */
    private function renderModern(Throwable $e, int $status, object $config, object $request, object $response): object
    {
        $handler = $config->handler($status, $e);
        try {
            $response->setStatusCode($status);
        } catch (Throwable) {
            $status = 500;
            $response->setStatusCode($status);
        }

        $level = ob_get_level();
        ob_start();
        try {
            if ($handler instanceof \CodeIgniter\Debug\ExceptionHandler) {
                $result = (function () use ($e, $status, $request, $response) {
                    $this->request = $request;
                    $this->response = $response;
                    if (! str_contains($request->getHeaderLine('accept'), 'text/html')) {
                        $display = in_array(strtolower((string) ini_get('display_errors')), ['1', 'true', 'on', 'yes'], true);
                        $data = $display ? $this->collectVars($e, $status) : '';
                        if ($data !== '' && method_exists($this, 'sanitizeData')) {
                            $data = $this->sanitizeData($data);
                        }

                        return $this->respond($data, $status);
                    }
                    $path = $this->viewPath . 'html' . DIRECTORY_SEPARATOR;
                    $altPath = rtrim((new \Config\Paths())->viewDirectory, '\\/ ') . DIRECTORY_SEPARATOR . 'errors'
                        . DIRECTORY_SEPARATOR . 'html' . DIRECTORY_SEPARATOR;
                    $view = $this->determineView($e, $path, $status);
                    $altView = $this->determineView($e, $altPath, $status);
                    $viewFile = is_file($path . $view) ? $path . $view : (is_file($altPath . $altView) ? $altPath . $altView : null);
                    $this->render($e, $status, $viewFile);

                    return null;
                })->call($handler);
            } else {
                $result = $handler->handle($e, $request, $response, $status, EXIT_ERROR);
            }
        } finally {
            $body = '';
            while (ob_get_level() > $level) {
                $body = ob_get_clean() . $body;
            }
        }

        if (is_object($result)) {
            return $result;
        }

        return self::page($status, $body);
    }

    /** Last resort when rendering the error page itself failed. */
    public static function plain500(): Reply
    {
        return new Reply(500, ['Content-Type' => ['text/plain; charset=UTF-8']], "Internal Server Error\n");
    }
}
