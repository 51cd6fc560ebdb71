<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Generation;

use Burner\CodeIgniter\ConfigPrototypes;
use Burner\CodeIgniter\Legacy\LegacyCodeIgniter;
use Burner\CodeIgniter\ResponsePrototype;
use Burner\CodeIgniter\SharedService;

/**
 * CI 4.1-4.3: system/bootstrap.php boots (and returns an initialized app); route redirects, force_https(), page-cache
 * hits and the 404 override send and exit, so each request runs in a LegacyCodeIgniter whose exits become
 * ResponseReady, and force_https()/cookies() are replaced before Common.php loads (legacy_functions.php).
 */
final class LegacyGeneration extends Generation
{
    private ?object $routes = null;
    private bool $persistRoutes = true;
    private ?ResponsePrototype $response = null;

    public function configure(bool $persistRoutes, ResponsePrototype $response): void
    {
        $this->persistRoutes = $persistRoutes;
        $this->response = $response;
    }

    public function preload(): void
    {
        require_once dirname(__DIR__) . '/legacy_functions.php';
    }

    public function boot(\Config\Paths $paths, string $system): void
    {
        // Defines the constants, loads Common.php, .env and the autoloaders, and returns Services::codeigniter()
        // after initialize() (handlers, environment boot file, Kint). Per request a fresh LegacyCodeIgniter runs.
        $app = require $system . '/bootstrap.php';
        if (! is_object($app)) {
            // A bootstrap.php that does not hand back the initialized app: the steps public/index.php would run.
            $app = \Config\Services::codeigniter();
            $app->initialize();
        }
        $this->app = $app;
    }

    public function application(): object
    {
        $this->response?->install(); // the response CodeIgniter would build, from the worker's copy
        $app = new LegacyCodeIgniter(config('App'));
        if ($this->can->context) {
            $app->setContext('web');
        }
        SharedService::put('codeigniter', $app);

        return $app;
    }

    public function createRequest(string $body, ConfigPrototypes $configs): object
    {
        // As Services::request() would, but the UserAgents config (hundreds of environment lookups to build) comes
        // from the kept prototypes.
        $agents = class_exists(\Config\UserAgents::class) ? $configs->fresh(\Config\UserAgents::class) : null;
        $create = static fn (): object => new \CodeIgniter\HTTP\IncomingRequest(
            config('App'),
            \Config\Services::uri(),
            $body,
            new \CodeIgniter\HTTP\UserAgent($agents),
        );
        $request = $this->agents !== null ? $this->agents->build($agents, $create) : $create();
        $request->setProtocolVersion(self::protocolVersion($_SERVER['SERVER_PROTOCOL'] ?? 'HTTP/1.1'));
        SharedService::put('request', $request);

        return $request;
    }

    protected function noResponse(object $app): object
    {
        // The 404 override: run() returns nothing, the response it built is on the app.
        return ($app instanceof LegacyCodeIgniter ? $app->burnerResponse() : null) ?? parent::noResponse($app);
    }

    /** CI 4.1-4.3 re-read app/Config/Routes.php on every run(); the collection is built once and kept instead. */
    protected function routes(): ?object
    {
        if (! $this->persistRoutes) {
            return null;
        }
        if ($this->routes === null) {
            $routes = \Config\Services::routes();
            require APPPATH . 'Config/Routes.php';
            $this->routes = $routes;
        }
        SharedService::put('routes', $this->routes);

        return $this->routes;
    }
}
