<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use Throwable;

/**
 * Everything CodeIgniter keeps in static state between requests, put back to its state after boot. Works on the
 * protected statics through closures bound to CI's classes, so it needs no framework changes; where the framework
 * has its own worker-mode helpers (CI 4.7+: Services::resetForWorkerMode, Database\Config::cleanupForWorkerMode,
 * Services::reconnectCacheForWorkerMode, Toolbar::reset) they are used.
 */
final class StateReset
{
    /** @var array<string, mixed> Events listeners right after boot */
    private array $listeners = [];
    /** When the last request ended (microtime), for $dbPingAfterIdle. */
    private float $lastRequestEnd = 0.0;
    /** The last request failed: check every DB connection before the next one, however short the idle time. */
    private bool $checkConnections = false;
    /** @var array<string, object> closures bound to CI's classes (and the WorkerMode config), built on first use */
    private array $bound = [];

    public function __construct(private BurnerConfig $config, private ConfigPrototypes $configs, private Capabilities $can)
    {
    }

    /** A request ended in an error (possibly a dead DB connection): the next request checks the connections. */
    public function requestFailed(): void
    {
        $this->checkConnections = true;
    }

    /** Called once after boot: what "clean" means for the events. */
    public function snapshot(): void
    {
        if (! class_exists(\CodeIgniter\Events\Events::class)) {
            return;
        }
        \CodeIgniter\Events\Events::initialize();
        $this->listeners = (static fn () => static::$listeners)->bindTo(null, \CodeIgniter\Events\Events::class)();
    }

    /**
     * Before a request: make sure DB connections opened by earlier requests still work. With 'ping' a connection is
     * checked only after the worker was idle longer than $dbPingAfterIdle (a busy worker's connection is in use;
     * an idle one is where wait_timeout or a server restart strikes) or after a failed request; 'always' reconnects.
     */
    public function beforeRequest(): void
    {
        $idle = microtime(true) - $this->lastRequestEnd;
        $check = $this->checkConnections || $idle > $this->config->dbPingAfterIdle;
        $this->checkConnections = false;
        if ($check && $this->can->cacheReconnect && $this->cacheKept()) {
            // CI 4.7's hook pings the kept cache connection (one round trip): on the same terms as the DB.
            try {
                \Config\Services::reconnectCacheForWorkerMode();
            } catch (Throwable $e) {
                ErrorPages::logToStderr($e);
            }
        }
        if ($this->config->dbReconnect === 'never' || ! class_exists(\CodeIgniter\Database\Config::class, false)) {
            return;
        }
        if ($this->config->dbReconnect === 'ping' && ! $check) {
            return;
        }
        foreach (\CodeIgniter\Database\Config::getConnections() as $db) {
            if (! is_object($db) || empty($db->connID)) {
                continue;
            }
            try {
                if ($this->config->dbReconnect === 'always' || ! self::alive($db)) {
                    self::reopen($db);
                }
            } catch (Throwable $e) {
                ErrorPages::logToStderr($e);
            }
        }
    }

    /**
     * A MySQL client error on a connection (server gone, connection lost: CR_* codes 2000-2999, or 4031, closed for
     * inactivity) makes the next request check the connections, also when the app swallowed the error (DBDebug off)
     * and answered 200. Reads the error code the client already has: no round trip.
     */
    private function noteConnectionErrors(): void
    {
        if (! class_exists(\CodeIgniter\Database\Config::class, false)) {
            return;
        }
        foreach (\CodeIgniter\Database\Config::getConnections() as $db) {
            $conn = is_object($db) ? ($db->connID ?? null) : null;
            if ($conn instanceof \mysqli) {
                try {
                    $errno = (int) @$conn->errno;
                } catch (Throwable) {
                    $errno = 2006; // a closed handle: gone
                }
                if (($errno >= 2000 && $errno < 3000) || $errno === 4031) {
                    $this->checkConnections = true;
                }
            }
        }
    }

    private function cacheKept(): bool
    {
        return in_array('cache', $this->config->persistentServices, true)
            && (static fn (): bool => isset(static::$instances['cache']))->bindTo(null, \CodeIgniter\Config\BaseService::class)();
    }

    /** CI 4.7's reconnect() only reconnects when its own ping fails: close first so it really reconnects. */
    private static function reopen(object $db): void
    {
        try {
            $db->close();
        } catch (Throwable) {
            // already gone
        }
        $db->initialize();
    }

    /** After the response has been sent. */
    public function afterRequest(): void
    {
        $this->lastRequestEnd = microtime(true);
        $this->noteConnectionErrors();
        $this->rollbackTransactions();
        $this->resetServices();
        if (class_exists(\CodeIgniter\Config\Factories::class, false)) {
            $this->configs->learn();
            \CodeIgniter\Config\Factories::reset();
            $this->configs->restore();
        }
        $this->resetEvents();
        $this->resetToolbar();
        if (class_exists(\CodeIgniter\CodeIgniter::class, false) && property_exists(\CodeIgniter\CodeIgniter::class, 'cacheTTL')) {
            // CodeIgniter::cache() sets a static TTL that would make every later page cached.
            ($this->bound['cacheTTL'] ??= (static function () {
                static::$cacheTTL = 0;
            })->bindTo(null, \CodeIgniter\CodeIgniter::class))();
        }
        unset($GLOBALS['app']);
        Uploads::clear();
        PendingCookies::take();
        if ($this->config->gcCollectCycles) {
            gc_collect_cycles();
        }
    }

    private function rollbackTransactions(): void
    {
        if (! class_exists(\CodeIgniter\Database\Config::class, false)) {
            return;
        }
        foreach (\CodeIgniter\Database\Config::getConnections() as $name => $db) {
            if (! is_object($db)) {
                continue;
            }
            try {
                if ((fn () => $this->transDepth)->call($db) > 0) {
                    @fwrite(STDERR, "[burner] database group '{$name}': transaction left open by the request, rolled back\n");
                    if ($this->can->dbWorkerHooks) {
                        continue; // cleanupForWorkerMode() below rolls it back (and logs it in CI's log)
                    }
                    while ((fn () => $this->transDepth)->call($db) > 0) {
                        if (! $db->transRollback()) {
                            (function () {
                                $this->transDepth = 0;
                            })->call($db);
                        }
                    }
                }
                if (! $this->can->dbWorkerHooks) {
                    (function () {
                        $this->transStatus = true;
                        $this->transFailure = false;
                    })->call($db);
                }
            } catch (Throwable $e) {
                ErrorPages::logToStderr($e);
            }
        }
        if ($this->can->dbWorkerHooks) {
            try {
                \CodeIgniter\Database\Config::cleanupForWorkerMode();
            } catch (Throwable $e) {
                ErrorPages::logToStderr($e);
            }
        }
        if ($this->config->dbCloseAfterRequest) {
            foreach (\CodeIgniter\Database\Config::getConnections() as $db) {
                if (is_object($db) && ! empty($db->connID)) {
                    $db->close();
                }
            }
        }
    }

    private function resetServices(): void
    {
        $mode = $this->config->workerMode;
        if ($mode !== null && method_exists(\CodeIgniter\Config\BaseService::class, 'resetForWorkerMode')) {
            // CI 4.7's own reset, with the app's WorkerMode list (plus Burner.php's additions, see BurnerConfig).
            if (! isset($this->bound['mode'])) {
                $mode = clone $mode; // built once: resetForWorkerMode() only reads it
                $mode->persistentServices = $this->config->persistentServices;
                $this->bound['mode'] = $mode;
            }
            \Config\Services::resetForWorkerMode($this->bound['mode']);

            return;
        }
        ($this->bound['services'] ??= (static function (array $keep) {
            foreach (array_keys(static::$instances) as $name) {
                if (! isset($keep[strtolower((string) $name)])) {
                    unset(static::$instances[$name]);
                }
            }
            static::$mocks = [];
        })->bindTo(null, \CodeIgniter\Config\BaseService::class))(array_flip($this->config->persistentServices));
    }

    private function resetEvents(): void
    {
        if (! class_exists(\CodeIgniter\Events\Events::class, false)) {
            return;
        }
        ($this->bound['events'] ??= (static function (array $listeners) {
            static::$listeners = $listeners;
            static::$performanceLog = [];
        })->bindTo(null, \CodeIgniter\Events\Events::class))($this->listeners);
    }

    private function resetToolbar(): void
    {
        if (defined('CI_DEBUG') && CI_DEBUG && $this->can->toolbarReset) {
            \Config\Services::toolbar()->reset(); // CI 4.7+: resets every collector

            return;
        }
        $collector = \CodeIgniter\Debug\Toolbar\Collectors\Database::class;
        if (class_exists($collector, false) && property_exists($collector, 'queries')) {
            ($this->bound['queries'] ??= (static function () {
                static::$queries = [];
            })->bindTo(null, $collector))();
        }
    }

    private static function alive(object $db): bool
    {
        if (method_exists($db, 'ping')) {
            return (bool) $db->ping();
        }
        $conn = $db->connID;
        try {
            if ($conn instanceof \mysqli) {
                return @$conn->query('SELECT 1') !== false;
            }
            if (function_exists('pg_ping') && $conn instanceof \PgSql\Connection) {
                return pg_ping($conn);
            }
        } catch (Throwable) {
            return false;
        }

        return true; // SQLite3 and others: a local handle does not go away
    }
}
