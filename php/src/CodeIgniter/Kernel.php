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
 * Versions are handled by feature detection (Capabilities, detected once at boot) and one adapter per CodeIgniter
 * generation (Generation\*): how it boots, builds its request and runs; nothing here looks at a version number.
 */
final class Kernel
{
    private const CAPTURE = self::class . '::captureStray';

    private Capabilities $can;
    private Generation\Generation $generation;
    private RequestMapper $mapper;
    private ResponseMapper $responses;
    private Session\SessionHandlers $sessionHandlers;
    private SessionBridge $session;
    private ErrorPages $errors;
    private DebugToolbar $toolbar;
    private StateReset $reset;
    private ConfigPrototypes $configs;
    private BurnerConfig $config;
    private int $baseLevel = 0;
    private string $stray = '';
    private bool $inRequest = false;
    private bool $mustRestart = false;

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
        defined('FCPATH') || define('FCPATH', $root . DIRECTORY_SEPARATOR . 'public' . DIRECTORY_SEPARATOR);
        chdir(FCPATH);
        require_once __DIR__ . '/functions.php';
        require_once $root . '/app/Config/Paths.php';
        $paths = new \Config\Paths();
        $system = realpath($paths->systemDirectory) ?: $paths->systemDirectory;

        $this->can = Capabilities::detect($system);
        $this->generation = Generation\Generation::for($this->can);
        $this->generation->preload();
        require_once __DIR__ . '/upload_functions.php';
        $this->generation->boot($paths, $system);
        $this->can->afterBoot();

        if (class_exists(\Kint\Kint::class, false) || class_exists(\Kint::class, false)) {
            // The worker is a CLI process; d()/dump output belongs in the page, as under PHP-FPM.
            $kint = class_exists(\Kint\Kint::class, false) ? \Kint\Kint::class : \Kint::class;
            if (property_exists($kint, 'mode_default_cli')) {
                $kint::$mode_default_cli = null;
            }
        }

        $this->config = BurnerConfig::fromApp();
        $this->config->adapt($this->can);
        if (
            $this->config->cacheFileLocator && MemoizingFileLocator::fits()
            && get_class(\Config\Services::locator()) === \CodeIgniter\Autoloader\FileLocator::class
        ) {
            $locator = new MemoizingFileLocator(\Config\Services::autoloader());
            SharedService::put('locator', $locator); // a persistent service: kept for the worker's life
        }
        $this->mapper = new RequestMapper($_SERVER, FCPATH . 'index.php');
        $this->responses = new ResponseMapper();
        $this->session = new SessionBridge(self::sessionCookieName());
        $this->sessionHandlers = new Session\SessionHandlers($this->config->keepSessionConnections);
        $this->errors = new ErrorPages($this->can->exceptionHandlers);
        $this->toolbar = new DebugToolbar();
        $this->configs = new ConfigPrototypes($this->config->persistConfig, $this->config->perRequestConfig);
        $this->reset = new StateReset($this->config, $this->configs, $this->can);
        $this->generation->agents = $this->config->memoUserAgents ? new UserAgentMemo() : null;
        if ($this->generation instanceof Generation\LegacyGeneration) {
            $this->generation->configure($this->config->persistRoutes, new ResponsePrototype($this->configs));
        }

        // The app's pre_system listener ends ALL output buffers (flushing them) and opens its own. Right after it,
        // the bridge's capture buffer is put back underneath, so nothing can ever reach STDOUT (the relay).
        \CodeIgniter\Events\Events::on('pre_system', [$this, 'restoreCapture'], $this->can->eventPriorityLow + 50);
        $this->reset->snapshot();
        $this->reset->afterRequest();
    }

    /** What the booted CodeIgniter can do (which generation adapter runs it, see Generation\Generation). */
    public function capabilities(): Capabilities
    {
        return $this->can;
    }

    /**
     * Serves one request. Never throws: a failure becomes CI's error page, and if even that fails, a plain 500.
     *
     * @param object $request Burner\Http\Request
     */
    public function handle(object $request): Reply
    {
        if (headers_sent()) {
            // Output went past every buffer to STDOUT earlier: PHP no longer lets the session id change, so sessions
            // could not be kept apart. This worker serves nothing more (see mustRestart()).
            $this->mustRestart = true;

            return ErrorPages::plain500();
        }
        $this->inRequest = true;
        $this->baseLevel = ob_get_level();
        $this->stray = '';
        ob_start([$this, 'captureStray']);

        $ciRequest = null;
        try {
            $this->reset->beforeRequest();
            $this->sessionHandlers->install();
            $this->session->begin((array) $request->cookies);
            $body = $this->mapper->apply($request);
            $ciRequest = $this->generation->createRequest($body, $this->configs);
            $response = $this->toolbar->handle($ciRequest)
                ?? $this->generation->run($this->generation->application(), $ciRequest);
            $reply = $this->responses->toReply($response);
        } catch (Throwable $e) {
            $reply = $this->errorReply($e, $ciRequest);
        }
        if ($reply->status >= 500) {
            $this->reset->requestFailed();
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
        if (headers_sent($file, $line)) {
            @fwrite(STDERR, "[burner] output reached STDOUT outside the bridge's buffers ({$file}:{$line}); "
                . "the session id can no longer be changed in this process, so the worker restarts after this request\n");
            $this->mustRestart = true;
        }

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

    /**
     * True once output escaped to STDOUT (PHP then counts headers as sent and refuses to change the session id):
     * the worker must exit after answering, and the pool starts a fresh one.
     */
    public function mustRestart(): bool
    {
        return $this->mustRestart;
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
