<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Generation;

use Burner\CodeIgniter\Modern\BootForWorker;

/**
 * CI 4.4-4.6: redirects, 404s and force_https() come back as responses. 4.4 boots through system/bootstrap.php plus
 * the steps its public/index.php adds; 4.5/4.6 through the Boot steps without running the app (BootForWorker).
 * initialize() runs once (it registers handlers); each request gets a fresh CodeIgniter instance.
 */
class ModernGeneration extends Generation
{
    public function boot(\Config\Paths $paths, string $system): void
    {
        if ($this->can->bootClass) {
            $this->app = BootForWorker::boot($paths);

            return;
        }
        require $system . '/bootstrap.php';
        if (! defined('ENVIRONMENT')) {
            (new \CodeIgniter\Config\DotEnv(ROOTPATH))->load();
            define('ENVIRONMENT', $_SERVER['CI_ENVIRONMENT'] ?? getenv('CI_ENVIRONMENT') ?: 'production');
        }
        $app = \Config\Services::codeigniter();
        $app->initialize();
        $app->setContext('web');
        $this->app = $app;
    }

    public function application(): object
    {
        return $this->freshApplication();
    }
}
