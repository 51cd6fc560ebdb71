<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Generation;

use Burner\CodeIgniter\Capabilities;
use Burner\CodeIgniter\ConfigPrototypes;
use Burner\CodeIgniter\ResponseReady;
use Burner\CodeIgniter\SharedService;
use Burner\CodeIgniter\UserAgentMemo;

/**
 * How one generation of CodeIgniter boots, builds its request and runs it in a worker. Chosen once at boot from the
 * Capabilities: LegacyGeneration (4.1-4.3: exit paths), ModernGeneration (4.4-4.6: returned responses, pluggable
 * exception handler), WorkerModeGeneration (4.7+: Boot::bootWorker() and the framework's worker-mode helpers).
 */
abstract class Generation
{
    protected object $app;
    /** Remembers what CodeIgniter's UserAgent finds per User-Agent string (Config\Burner::$memoUserAgents). */
    public ?UserAgentMemo $agents = null;

    final public function __construct(protected Capabilities $can)
    {
    }

    public static function for(Capabilities $can): self
    {
        if (! $can->exceptionHandlers) {
            return new LegacyGeneration($can);
        }

        return $can->workerMode ? new WorkerModeGeneration($can) : new ModernGeneration($can);
    }

    /** Functions that must exist before CodeIgniter's Common.php defines its own (function_exists-guarded). */
    public function preload(): void
    {
    }

    /** Boots the framework once for the worker (constants, autoloader, .env, environment, handlers). */
    abstract public function boot(\Config\Paths $paths, string $system): void;

    /** The application object that serves the current request. */
    abstract public function application(): object;

    /** CodeIgniter's request for the current superglobals, shared as the `request` service. */
    public function createRequest(string $body, ConfigPrototypes $configs): object
    {
        if ($this->can->superglobals) {
            \Config\Services::superglobals()
                ->setServerArray($_SERVER)->setGetArray($_GET)->setPostArray($_POST)
                ->setCookieArray($_COOKIE)->setFilesArray($_FILES)->setRequestArray($_REQUEST);
        }
        // Builds the IncomingRequest (and its SiteURI) from the superglobals and shares it.
        $create = static function (): object {
            \Config\Services::createRequest(config('App'), false);

            return \Config\Services::request();
        };
        $request = $this->agents !== null && class_exists(\Config\UserAgents::class)
            ? $this->agents->build(config(\Config\UserAgents::class), $create)
            : $create();
        $request->setBody($body === '' ? null : $body);

        return $request;
    }

    /** Runs the app with its response returned; a response handed over through ResponseReady counts as returned. */
    public function run(object $app, object $request): object
    {
        $GLOBALS['app'] = $app; // the debug toolbar reads `global $app` for its timers
        $app->setRequest($request);
        try {
            $response = $app->run($this->routes(), true);
        } catch (ResponseReady $ready) {
            $response = $ready->response;
        }

        return is_object($response) ? $response : $this->noResponse($app);
    }

    /** The response when run() returned none. */
    protected function noResponse(object $app): object
    {
        return \Config\Services::response();
    }

    /** The route collection to hand to run(), or null to let CodeIgniter load it. */
    protected function routes(): ?object
    {
        return null;
    }

    protected function freshApplication(): object
    {
        $app = new \CodeIgniter\CodeIgniter(config('App'));
        if ($this->can->context) {
            $app->setContext('web');
        }
        SharedService::put('codeigniter', $app);

        return $app;
    }

    /** CI accepts only 1.0, 1.1 and 2.0 (HTTP/2 arrives as "HTTP/2"). */
    protected static function protocolVersion(string $protocol): string
    {
        $version = str_replace('HTTP/', '', strtoupper($protocol));

        return match ($version) {
            '1.0', '1.1', '2.0' => $version,
            '2' => '2.0',
            default => '1.1',
        };
    }
}
