<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use Throwable;

/**
 * Everything CodeIgniter keeps in static state between requests, put back to its state after boot. Works on the
 * protected statics through closures bound to CI's classes, so it needs no framework changes; on CI 4.7+ the
 * framework's own worker-mode helpers are used where they exist.
 */
final class StateReset
{
    /** @var array<string, mixed> Events listeners right after boot */
    private array $listeners = [];

    public function __construct(private BurnerConfig $config, private ConfigPrototypes $configs)
    {
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

    /** Before a request: make sure DB connections opened by earlier requests still work. */
    public function beforeRequest(): void
    {
        if ($this->config->dbReconnect === 'never' || ! class_exists(\CodeIgniter\Database\Config::class, false)) {
            return;
        }
        if ($this->config->dbReconnect === 'ping' && method_exists(\CodeIgniter\Database\Config::class, 'reconnectForWorkerMode')) {
            \CodeIgniter\Database\Config::reconnectForWorkerMode();

            return;
        }
        foreach (\CodeIgniter\Database\Config::getConnections() as $db) {
            if (! is_object($db) || empty($db->connID)) {
                continue;
            }
            try {
                if ($this->config->dbReconnect === 'always' || ! self::alive($db)) {
                    $db->reconnect();
                }
            } catch (Throwable $e) {
                ErrorPages::logToStderr($e);
            }
        }
    }

    /** After the response has been sent. */
    public function afterRequest(): void
    {
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
            (static function () {
                static::$cacheTTL = 0;
            })->bindTo(null, \CodeIgniter\CodeIgniter::class)();
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
        if (method_exists(\CodeIgniter\Database\Config::class, 'cleanupForWorkerMode')) {
            \CodeIgniter\Database\Config::cleanupForWorkerMode();
        } else {
            foreach (\CodeIgniter\Database\Config::getConnections() as $name => $db) {
                if (! is_object($db)) {
                    continue;
                }
                try {
                    $depth = (fn () => $this->transDepth)->call($db);
                    if ($depth > 0) {
                        @fwrite(STDERR, "[burner] database group '{$name}': transaction left open by the request, rolled back\n");
                        while ((fn () => $this->transDepth)->call($db) > 0) {
                            if (! $db->transRollback()) {
                                (function () {
                                    $this->transDepth = 0;
                                })->call($db);
                            }
                        }
                    }
                    (function () {
                        $this->transStatus = true;
                        $this->transFailure = false;
                    })->call($db);
                } catch (Throwable $e) {
                    ErrorPages::logToStderr($e);
                }
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
        $keep = array_flip($this->config->persistentServices);
        (static function () use ($keep) {
            foreach (array_keys(static::$instances) as $name) {
                if (! isset($keep[strtolower((string) $name)])) {
                    unset(static::$instances[$name]);
                }
            }
            static::$mocks = [];
        })->bindTo(null, \CodeIgniter\Config\BaseService::class)();
    }

    private function resetEvents(): void
    {
        if (! class_exists(\CodeIgniter\Events\Events::class, false)) {
            return;
        }
        $listeners = $this->listeners;
        (static function () use ($listeners) {
            static::$listeners = $listeners;
            static::$performanceLog = [];
        })->bindTo(null, \CodeIgniter\Events\Events::class)();
    }

    private function resetToolbar(): void
    {
        if (defined('CI_DEBUG') && CI_DEBUG && method_exists(\CodeIgniter\Debug\Toolbar::class, 'reset')) {
            \Config\Services::toolbar()->reset(); // CI 4.7+: resets every collector

            return;
        }
        $collector = \CodeIgniter\Debug\Toolbar\Collectors\Database::class;
        if (class_exists($collector, false) && property_exists($collector, 'queries')) {
            (static function () {
                static::$queries = [];
            })->bindTo(null, $collector)();
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
