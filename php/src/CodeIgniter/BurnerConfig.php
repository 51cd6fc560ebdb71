<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * The bridge's settings: app/Config/Burner.php (written by `spark burner:init`) when the app has it, defaults
 * otherwise. Read once at boot.
 */
final class BurnerConfig
{
    /** Services kept across requests; everything else is rebuilt for every request. Lower-case names. */
    public const DEFAULT_PERSISTENT = ['autoloader', 'locator', 'exceptions', 'commands', 'cache', 'superglobals'];

    /** @var list<string> */
    public array $persistentServices = self::DEFAULT_PERSISTENT;
    public bool $gcCollectCycles = true;
    /** 'ping': check each open connection before a request and reconnect if it is gone; 'always'; 'never'. */
    public string $dbReconnect = 'ping';
    /** Close every DB connection after each request (CI reopens lazily). */
    public bool $dbCloseAfterRequest = false;
    /**
     * CI 4.1-4.3 re-read app/Config/Routes.php on every request; keep the route collection built once instead (the
     * router sets the HTTP verb per request). Turn off only for an app that changes its routes while it runs.
     */
    public bool $persistRoutes = true;
    /**
     * Build each config object once per worker and give every request a fresh copy of it, instead of constructing
     * it again per request (see ConfigPrototypes). Classes with a constructor of the app's own stay per request.
     */
    public bool $persistConfig = true;
    /** Remember FileLocator's search() and getClassname() answers for the worker's life (MemoizingFileLocator). */
    public bool $cacheFileLocator = true;
    /** @var list<string> config classes (basename or full name) always built per request */
    public array $perRequestConfig = [];
    /** Log output the app echoed outside CI's buffers (it never reaches the client, see Kernel). */
    public bool $logStrayOutput = true;
    /**
     * Check an open DB connection before a request only when it has been idle for longer than this many seconds
     * ($dbReconnect 'ping'); 0 checks before every request. A request that failed with an error makes the next one
     * check its connections whatever their idle time.
     */
    public float $dbPingAfterIdle = 1.0;
    /**
     * Session handlers on Redis and Memcached keep their connection across requests (CI's own handlers connect and
     * disconnect per request before 4.7); the app's session config is left as it is (see Session\SessionHandlers).
     */
    public bool $keepSessionConnections = true;
    /**
     * Remember what CodeIgniter's UserAgent finds in each distinct User-Agent string (its regular expressions over
     * Config\UserAgents run once per string per worker, not once per request; see UserAgentMemo).
     */
    public bool $memoUserAgents = true;
    /** Events whose listeners are removed after each request (CI 4.7's WorkerMode::$resetEventListeners). */
    public array $resetEventListeners = [];
    /** The app's app/Config/WorkerMode.php (CI 4.7+), when it has one. */
    public ?object $workerMode = null;

    public static function fromApp(): self
    {
        $config = new self();
        $app = class_exists(\Config\Burner::class) ? new \Config\Burner() : null;
        if ($app === null) {
            return $config;
        }
        if (isset($app->persistentServices) && is_array($app->persistentServices)) {
            $config->persistentServices = array_values(array_unique(array_map(
                static fn ($name) => strtolower((string) $name),
                [...self::DEFAULT_PERSISTENT, ...$app->persistentServices],
            )));
        }
        if (isset($app->perRequestConfig) && is_array($app->perRequestConfig)) {
            $config->perRequestConfig = array_values(array_map('strval', $app->perRequestConfig));
        }
        $flags = [
            'gcCollectCycles', 'dbCloseAfterRequest', 'logStrayOutput', 'persistRoutes', 'persistConfig', 'cacheFileLocator',
            'keepSessionConnections', 'memoUserAgents',
        ];
        foreach ($flags as $flag) {
            if (isset($app->{$flag})) {
                $config->{$flag} = (bool) $app->{$flag};
            }
        }
        if (isset($app->dbReconnect) && in_array($app->dbReconnect, ['ping', 'always', 'never'], true)) {
            $config->dbReconnect = $app->dbReconnect;
        }
        if (isset($app->dbPingAfterIdle) && is_numeric($app->dbPingAfterIdle)) {
            $config->dbPingAfterIdle = max(0.0, (float) $app->dbPingAfterIdle);
        }

        return $config;
    }

    /**
     * Fits the settings to the booted framework. An app/Config/WorkerMode.php (CI 4.7, written for FrankenPHP's
     * worker mode) is honoured as it is: its $persistentServices replace the built-in list (Burner.php's own
     * $persistentServices are kept on top), its $forceGarbageCollection decides gc_collect_cycles() and its
     * $resetEventListeners are emptied after each request.
     */
    public function adapt(Capabilities $can): void
    {
        if (class_exists(\Config\WorkerMode::class)) {
            $mode = new \Config\WorkerMode();
            $this->workerMode = $mode;
            $own = class_exists(\Config\Burner::class) ? (array) ((new \Config\Burner())->persistentServices ?? []) : [];
            $this->persistentServices = array_values(array_unique(array_map(
                static fn ($name) => strtolower((string) $name),
                [...(array) ($mode->persistentServices ?? []), ...$own],
            )));
            if (isset($mode->forceGarbageCollection)) {
                $this->gcCollectCycles = (bool) $mode->forceGarbageCollection;
            }
            $this->resetEventListeners = array_values(array_map('strval', (array) ($mode->resetEventListeners ?? [])));
        } elseif ($can->workerMode) {
            $this->persistentServices[] = 'codeigniter';
        }
        if (! $can->superglobals) {
            // Before CI 4.7 the superglobals service is a copy taken when it is created: rebuilt per request.
            $this->persistentServices = array_values(array_diff($this->persistentServices, ['superglobals']));
        }
        if (! $can->workerMode) {
            // One application object per request before CI 4.7 (resetForWorkerMode() does not exist).
            $this->persistentServices = array_values(array_diff($this->persistentServices, ['codeigniter']));
        }
    }
}
