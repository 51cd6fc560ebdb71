<?php

namespace Config;

use CodeIgniter\Config\BaseConfig;

/**
 * Burner: settings of the CodeIgniter worker bridge (written by `php spark burner:init`).
 * The server itself is configured in .rr.yaml.
 */
class Burner extends BaseConfig
{
    /**
     * The server driver (only RoadRunner-compatible Burner for now).
     *
     * @var string
     */
    public $driver = '{{driver}}';

    /**
     * Services kept from one request to the next, in addition to the built-in list (autoloader, locator,
     * exceptions, commands, cache, superglobals). Every other shared service is rebuilt for each request.
     * Only add services that hold no per-request state. When app/Config/WorkerMode.php exists (CodeIgniter 4.7),
     * its $persistentServices replace the built-in list and these are added to it; its $forceGarbageCollection
     * replaces $gcCollectCycles below.
     *
     * @var list<string>
     */
    public $persistentServices = [];

    /**
     * Run gc_collect_cycles() after each request.
     *
     * @var bool
     */
    public $gcCollectCycles = true;

    /**
     * Database connections opened by earlier requests: 'ping' checks them before each request and reconnects
     * the ones that went away, 'always' reconnects them, 'never' leaves them alone.
     *
     * @var string
     */
    public $dbReconnect = 'ping';

    /**
     * Close every database connection after each request instead (CodeIgniter reopens it when needed).
     *
     * @var bool
     */
    public $dbCloseAfterRequest = false;

    /**
     * With $dbReconnect = 'ping': check a connection only when the worker has been idle for longer than this many
     * seconds (a busy worker's connections are in use; an idle one is where the server's wait_timeout or a restart
     * strikes), and after a request that failed or hit a connection error. 0 checks before every request (one
     * extra round trip each). Keep it below the database server's wait_timeout.
     *
     * @var float
     */
    public $dbPingAfterIdle = 1.0;

    /**
     * Sessions in Redis or Memcached (CodeIgniter's own handlers) keep their connection for the worker's life
     * instead of connecting on every request. Your session configuration stays as it is.
     *
     * @var bool
     */
    public $keepSessionConnections = true;

    /**
     * Remember what CodeIgniter's UserAgent finds in each distinct User-Agent string (at most 1,000 per worker), so
     * its regular expressions run once per string instead of on every request. Each request still gets a fresh
     * UserAgent with the same answers.
     *
     * @var bool
     */
    public $memoUserAgents = true;

    /**
     * CodeIgniter 4.1-4.3 read app/Config/Routes.php again on every request. Burner builds the route collection
     * once per worker instead (about 30 % faster). Turn it off only if your app changes its routes while running.
     *
     * @var bool
     */
    public $persistRoutes = true;

    /**
     * Build each config object (config('App'), ...) once per worker and give every request a fresh copy of it,
     * instead of constructing it again for each request (its environment lookups are a large part of a page's
     * cost). What a request changes on its copy never reaches the next request. A config class with a
     * constructor of your own (e.g. one that derives baseURL from the Host header) is always built per request.
     *
     * @var bool
     */
    public $persistConfig = true;

    /**
     * Remember where files are (FileLocator search() and getClassname()) for the worker's life instead of asking
     * the file system on every request. Code changes need `php spark burner:reload` anyway.
     *
     * @var bool
     */
    public $cacheFileLocator = true;

    /**
     * Config classes (short or full name) to build per request anyway, e.g. ['Email'].
     *
     * @var list<string>
     */
    public $perRequestConfig = [];

    /**
     * Log (to the server log) output that was echoed outside CodeIgniter's output buffer.
     *
     * @var bool
     */
    public $logStrayOutput = true;

    /**
     * The server configuration used by burner:start, burner:stop, burner:reload and burner:workers,
     * relative to the project root.
     *
     * @var string
     */
    public $configFile = '.rr.yaml';
}
