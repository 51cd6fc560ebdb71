<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use Throwable;

/**
 * Runs a CodeIgniter 4 application inside a long-lived worker: boots CI once, then turns each worker request into
 * a Reply with handle(). Nothing is sent and nothing exits: CI runs with its response returned, every exit path of
 * the framework is neutralised (see Legacy/, legacy_functions.php, DebugToolbar, ErrorPages), and the state CI keeps
 * between requests is reset after each one (StateReset, SessionBridge).
 *
 * Version handling is by feature detection: CI 4.1-4.3 boot through system/bootstrap.php and run in
 * LegacyCodeIgniter; 4.4 boots through bootstrap.php with the 4.4 public/index.php steps; 4.5/4.6 through the Boot
 * steps (BootForWorker); 4.7+ through Boot::bootWorker() and the framework's worker-mode helpers.
 */
final class Kernel
{
    private const CAPTURE = self::class . '::captureStray';

    private object $app;
    private bool $modern;
    private bool $legacy;
    private RequestMapper $mapper;
    private ResponseMapper $responses;
    private SessionBridge $session;
    private ErrorPages $errors;
    private DebugToolbar $toolbar;
    private StateReset $reset;
    private ConfigPrototypes $configs;
    private ResponsePrototype $response;
    private BurnerConfig $config;
    private int $baseLevel = 0;
    private string $stray = '';
    private bool $inRequest = false;

    private static ?self $booted = null;

    private function __construct()
    {
    }

    public static function boot(string $appRoot): self
    {
        if (self::$booted !== null) {
            return self::$booted;
        }
        $root = realpath($appRoot);
        if ($root === false || ! is_file($root . '/app/Config/Paths.php')) {
            throw new \RuntimeException("Burner: no CodeIgniter 4 application in {$appRoot} (app/Config/Paths.php not found)");
        }
        $kernel = new self();

        // Output during boot (e.g. PHP 8 deprecation notices printed while CI's classes compile, with
        // display_errors on) must not reach STDOUT either.
        $bootLevel = ob_get_level();
        ob_start([$kernel, 'captureStray']);
        try {
            $kernel->bootInto($root);
        } finally {
            while (ob_get_level() > $bootLevel) {
                ob_end_clean();
            }
            if ($kernel->stray !== '') {
                @fwrite(STDERR, '[burner] output while booting CodeIgniter: ' . $kernel->stray . "\n");
            }
            $kernel->stray = '';
        }

        return self::$booted = $kernel;
    }

    private function bootInto(string $root): void
    {
        $kernel = $this;

        defined('FCPATH') || define('FCPATH', $root . DIRECTORY_SEPARATOR . 'public' . DIRECTORY_SEPARATOR);
        chdir(FCPATH);
        require_once __DIR__ . '/functions.php';
        require_once $root . '/app/Config/Paths.php';
        $paths = new \Config\Paths();
        $system = realpath($paths->systemDirectory) ?: $paths->systemDirectory;

        // CI 4.4 introduced the pluggable exception handler, returned responses for redirects/404 and the
        // exception-throwing force_https(); before that the legacy overrides are needed.
        $kernel->modern = is_file($system . '/Debug/ExceptionHandlerInterface.php');
        $kernel->legacy = ! $kernel->modern;
        if ($kernel->legacy) {
            require_once __DIR__ . '/legacy_functions.php';
        }
        require_once __DIR__ . '/upload_functions.php';

        $kernel->app = $kernel->bootFramework($paths, $system);

        if (class_exists(\Kint\Kint::class, false) || class_exists(\Kint::class, false)) {
            // The worker is a CLI process; d()/dump output belongs in the page, as under PHP-FPM.
            $kint = class_exists(\Kint\Kint::class, false) ? \Kint\Kint::class : \Kint::class;
            if (property_exists($kint, 'mode_default_cli')) {
                $kint::$mode_default_cli = null;
            }
        }

        $kernel->config = BurnerConfig::fromApp();
        if (method_exists($kernel->app, 'resetForWorkerMode')) {
            $kernel->config->persistentServices[] = 'codeigniter';
        }
        if (! method_exists(\CodeIgniter\Superglobals::class, 'setServerArray')) {
            // Before CI 4.7 the superglobals service is a copy taken when it is created: rebuild it per request.
            $kernel->config->persistentServices = array_values(array_diff($kernel->config->persistentServices, ['superglobals']));
        }
        if ($kernel->config->cacheFileLocator && MemoizingFileLocator::fits()
            && get_class(\Config\Services::locator()) === \CodeIgniter\Autoloader\FileLocator::class) {
            $locator = new MemoizingFileLocator(\Config\Services::autoloader());
            SharedService::put('locator', $locator); // a persistent service: kept for the worker's life
        }
        $kernel->mapper = new RequestMapper($_SERVER, FCPATH . 'index.php');
        $kernel->responses = new ResponseMapper();
        $kernel->session = new SessionBridge(self::sessionCookieName());
        $kernel->errors = new ErrorPages($kernel->modern);
        $kernel->toolbar = new DebugToolbar();
        $kernel->configs = new ConfigPrototypes($kernel->config->persistConfig, $kernel->config->perRequestConfig);
        $kernel->reset = new StateReset($kernel->config, $kernel->configs);
        $kernel->response = new ResponsePrototype($kernel->configs);

        // The app's pre_system listener ends ALL output buffers (flushing them) and opens its own. Right after it,
        // the bridge's capture buffer is put back underneath, so nothing can ever reach STDOUT (the relay).
        \CodeIgniter\Events\Events::on('pre_system', [$kernel, 'restoreCapture'], EVENT_PRIORITY_LOW + 50);
        $kernel->reset->snapshot();
        $kernel->reset->afterRequest();
    }

    public function isModern(): bool
    {
        return $this->modern;
    }

    /**
     * Serves one request. Never throws: a failure becomes CI's error page, and if even that fails, a plain 500.
     *
     * @param object $request Burner\Http\Request
     */
    public function handle(object $request): Reply
    {
        $this->inRequest = true;
        $this->baseLevel = ob_get_level();
        $this->stray = '';
        ob_start([$this, 'captureStray']);

        $ciRequest = null;
        try {
            $this->reset->beforeRequest();
            $this->session->begin((array) $request->cookies);
            $body = $this->mapper->apply($request);
            $ciRequest = $this->createRequest($body);
            $response = $this->toolbar->handle($ciRequest) ?? $this->run($ciRequest);
            $reply = $this->responses->toReply($response);
        } catch (Throwable $e) {
            $reply = $this->errorReply($e, $ciRequest);
        }

        foreach (PendingCookies::take() as $line) {
            $reply->addHeader('Set-Cookie', $line);
        }
        try {
            $this->session->finish($reply);
        } catch (Throwable $e) {
            ErrorPages::logToStderr($e);
        }

        while (ob_get_level() > $this->baseLevel) {
            $this->stray .= (string) ob_get_clean();
        }
        if ($this->stray !== '' && $this->config->logStrayOutput) {
            @fwrite(STDERR, sprintf(
                "[burner] %d bytes of output outside CodeIgniter's response were dropped: %s\n",
                strlen($this->stray),
                json_encode(substr($this->stray, 0, 200)),
            ));
        }
        $this->stray = '';
        $this->inRequest = false;

        return $reply;
    }

    /** After the reply was sent: put CodeIgniter back into its after-boot state. */
    public function afterResponse(): void
    {
        try {
            $this->reset->afterRequest();
            $_GET = $_POST = $_COOKIE = $_FILES = $_REQUEST = [];
        } catch (Throwable $e) {
            ErrorPages::logToStderr($e);
        }
    }

    /** True while handle() runs (the fatal-error handler uses it to know whether a request is waiting). */
    public function inRequest(): bool
    {
        return $this->inRequest;
    }

    /** @internal output buffer callback: whatever reaches the bottom buffer is kept out of STDOUT */
    public function captureStray(string $buffer, int $phase = 0): string
    {
        $this->stray .= $buffer;

        return '';
    }

    /** @internal pre_system listener, see boot() */
    public function restoreCapture(): void
    {
        foreach (ob_get_status(true) as $status) {
            if (($status['name'] ?? '') === self::CAPTURE) {
                return;
            }
        }
        $content = '';
        while (ob_get_level() > 0) {
            $content = ob_get_clean() . $content;
        }
        $this->baseLevel = 0;
        ob_start([$this, 'captureStray']);
        ob_start(static fn (string $buffer): string => $buffer);
        echo $content;
    }

    private function bootFramework(\Config\Paths $paths, string $system): object
    {
        if (is_file($system . '/Boot.php')) {
            require_once $system . '/Boot.php';
            if (method_exists(\CodeIgniter\Boot::class, 'bootWorker')) {
                return \CodeIgniter\Boot::bootWorker($paths);
            }

            return Modern\BootForWorker::boot($paths);
        }

        // CI 4.1-4.4: system/bootstrap.php defines the constants, loads Common.php and the autoloaders
        // (CI <= 4.3 also .env, and returns an initialized app).
        $bootstrapped = require $system . '/bootstrap.php';
        if (! defined('ENVIRONMENT')) {
            // 4.4 moved these steps into public/index.php.
            (new \CodeIgniter\Config\DotEnv(ROOTPATH))->load();
            define('ENVIRONMENT', $_SERVER['CI_ENVIRONMENT'] ?? getenv('CI_ENVIRONMENT') ?: 'production');
        }
        if ($this->legacy) {
            // Services::codeigniter() already ran initialize() (handlers, environment boot file, Kint);
            // per request a fresh LegacyCodeIgniter is used, see run().
            return is_object($bootstrapped) ? $bootstrapped : \Config\Services::codeigniter();
        }
        $app = \Config\Services::codeigniter();
        $app->initialize();
        if (method_exists($app, 'setContext')) {
            $app->setContext('web');
        }

        return $app;
    }

    private function createRequest(string $body): object
    {
        $services = \Config\Services::class;
        $appConfig = config('App');

        if (method_exists($services, 'superglobals')) {
            $globals = \Config\Services::superglobals();
            foreach ([
                'setServerArray' => $_SERVER, 'setGetArray' => $_GET, 'setPostArray' => $_POST,
                'setCookieArray' => $_COOKIE, 'setFilesArray' => $_FILES, 'setRequestArray' => $_REQUEST,
            ] as $setter => $values) {
                if (method_exists($globals, $setter)) {
                    $globals->{$setter}($values);
                }
            }
        }

        if (method_exists($services, 'createRequest')) {
            // 4.4+: builds the IncomingRequest (and its SiteURI) from the superglobals and shares it.
            \Config\Services::createRequest($appConfig, false);
            $request = \Config\Services::request();
            $request->setBody($body === '' ? null : $body);

            return $request;
        }

        // As Services::request() would, but the UserAgents config (hundreds of environment lookups to build) comes
        // from the kept prototypes.
        $agents = class_exists(\Config\UserAgents::class) ? $this->configs->fresh(\Config\UserAgents::class) : null;
        $request = new \CodeIgniter\HTTP\IncomingRequest($appConfig, \Config\Services::uri(), $body, new \CodeIgniter\HTTP\UserAgent($agents));
        $request->setProtocolVersion(self::protocolVersion($_SERVER['SERVER_PROTOCOL'] ?? 'HTTP/1.1'));
        SharedService::put('request', $request);

        return $request;
    }

    private ?object $routes = null;

    /** CI 4.1-4.3 re-read app/Config/Routes.php on every run(); the collection is built once and kept instead. */
    private function routes(): object
    {
        if ($this->routes === null) {
            $routes = \Config\Services::routes();
            require APPPATH . 'Config/Routes.php';
            $this->routes = $routes;
        }
        SharedService::put('routes', $this->routes);

        return $this->routes;
    }

    private function run(object $request): object
    {
        if ($this->legacy) {
            $this->response->install(); // the response CodeIgniter would build, from the worker's copy
            $app = new Legacy\LegacyCodeIgniter(config('App'));
            SharedService::put('codeigniter', $app);
        } elseif (method_exists($this->app, 'resetForWorkerMode')) {
            $app = $this->app;
            $app->resetForWorkerMode();
        } else {
            // 4.4-4.6: a fresh instance per request; initialize() ran once at boot (it registers handlers).
            $app = new \CodeIgniter\CodeIgniter(config('App'));
            $app->setContext('web');
            SharedService::put('codeigniter', $app);
        }
        $GLOBALS['app'] = $app; // the debug toolbar reads `global $app` for its timers

        $app->setRequest($request);
        try {
            $response = $app->run($this->legacy && $this->config->persistRoutes ? $this->routes() : null, true);
        } catch (ResponseReady $ready) {
            $response = $ready->response;
        }
        if (! is_object($response) && $app instanceof Legacy\LegacyCodeIgniter) {
            $response = $app->burnerResponse(); // 4.1-4.3 404 override: run() returns nothing
        }
        if (! is_object($response)) {
            $response = \Config\Services::response();
        }

        return $response;
    }

    private function errorReply(Throwable $e, ?object $ciRequest): Reply
    {
        if ($e instanceof ResponseReady) {
            try {
                return $this->responses->toReply($e->response);
            } catch (Throwable $inner) {
                $e = $inner;
            }
        }
        try {
            if ($ciRequest === null) {
                throw $e;
            }
            // A fresh response: the failed one may carry half-built headers.
            $response = \Config\Services::response(null, false);
            if (method_exists($response, 'setProtocolVersion') && method_exists($ciRequest, 'getProtocolVersion')) {
                $response->setProtocolVersion($ciRequest->getProtocolVersion());
            }

            $page = $this->errors->render($e, $ciRequest, $response);

            return $page instanceof Reply ? $page : $this->responses->toReply($page);
        } catch (Throwable $renderError) {
            ErrorPages::logToStderr($renderError);
            if ($renderError !== $e) {
                ErrorPages::logToStderr($e);
            }

            return ErrorPages::plain500();
        }
    }

    /** CI accepts only 1.0, 1.1 and 2.0 (HTTP/2 arrives as "HTTP/2"). */
    private static function protocolVersion(string $protocol): string
    {
        $version = str_replace('HTTP/', '', strtoupper($protocol));

        return match ($version) {
            '1.0', '1.1', '2.0' => $version,
            '2' => '2.0',
            default => '1.1',
        };
    }

    private static function sessionCookieName(): string
    {
        if (class_exists(\Config\Session::class)) {
            $name = config('Session')->cookieName ?? null;
            if (is_string($name) && $name !== '') {
                return $name;
            }
        }
        $name = config('App')->sessionCookieName ?? null;

        return is_string($name) && $name !== '' ? $name : 'ci_session';
    }
}
