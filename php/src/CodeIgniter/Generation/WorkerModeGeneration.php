<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Generation;

use Burner\CodeIgniter\SharedService;

/**
 * CI 4.7+: the framework's own worker mode (made for FrankenPHP). Boot::bootWorker() boots once and returns the
 * application, which lives as long as the worker: resetForWorkerMode() clears its per-request state before every
 * request, as public/frankenphp-worker.php does. The other worker-mode hooks (superglobals, DB reconnect and cleanup,
 * cache reconnect, Services::resetForWorkerMode) are used by createRequest() and StateReset.
 */
final class WorkerModeGeneration extends ModernGeneration
{
    public function boot(\Config\Paths $paths, string $system): void
    {
        $this->app = \CodeIgniter\Boot::bootWorker($paths);
    }

    public function application(): object
    {
        $this->app->resetForWorkerMode();
        SharedService::put('codeigniter', $this->app); // also when the app's WorkerMode does not keep the service

        return $this->app;
    }
}
