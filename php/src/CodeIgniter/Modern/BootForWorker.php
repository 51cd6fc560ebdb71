<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Modern;

use CodeIgniter\Boot;
use CodeIgniter\CodeIgniter;
use Config\Paths;

/**
 * CI 4.5/4.6: Boot::bootWeb() boots AND runs the app once. This runs the same boot steps without the run.
 * (CI 4.7+ has Boot::bootWorker(), which the Kernel uses directly.) Only loaded when CodeIgniter\Boot exists.
 */
final class BootForWorker extends Boot
{
    public static function boot(Paths $paths): CodeIgniter
    {
        $steps = [
            ['definePathConstants', [$paths]],
            ['loadConstants', []],
            ['checkMissingExtensions', []],
            ['loadDotEnv', [$paths]],
            ['defineEnvironment', []],
            ['loadEnvironmentBootstrap', [$paths]],
            ['loadCommonFunctions', []],
            ['loadAutoloader', []],
            ['setExceptionHandler', []],
            ['initializeKint', []],
            ['autoloadHelpers', []],
        ];
        foreach ($steps as [$method, $args]) {
            if ($method === 'loadConstants' && defined('APP_NAMESPACE')) {
                continue;
            }
            if (method_exists(static::class, $method)) {
                static::$method(...$args);
            }
        }

        return static::initializeCodeIgniter();
    }
}
