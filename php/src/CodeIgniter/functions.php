<?php

/**
 * Global functions the bridge must define BEFORE CodeIgniter's Common.php is loaded: CI declares its own versions
 * inside `function_exists` guards, so the first definition wins.
 *
 * Loaded only by the worker (Kernel::boot), never by spark: a spark command must keep seeing itself as CLI.
 */

declare(strict_types=1);

if (! function_exists('is_cli')) {
    /**
     * The worker runs under the CLI SAPI but serves web requests: CI must take the web paths (IncomingRequest,
     * sessions, HTML error pages, the toolbar). CI 4.1.4+ made is_cli() stricter, which broke earlier bridges.
     */
    function is_cli(): bool
    {
        return false;
    }
}
