<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Session;

use Burner\CodeIgniter\ConfigPrototypes;
use CodeIgniter\Session\Handlers\MemcachedHandler;
use CodeIgniter\Session\Handlers\RedisHandler;

/**
 * Puts the bridge's connection-keeping session handlers in place of CI's Redis and Memcached handlers, in the
 * request's session config (Config\Session::$driver since CI 4.3, Config\App::$sessionDriver before): the app's
 * configuration files stay as they are. CI 4.7's RedisHandler keeps its connection itself and is left alone; an
 * app's own handler class (anything but CI's two) too.
 */
final class SessionHandlers
{
    /** @var array<class-string, class-string> */
    private array $replace = [];
    /** Config\Session exists (CI 4.3+): the driver is set there; before, in Config\App. Known once, at boot. */
    private bool $sessionConfig = false;
    /** The config holding the driver is kept per worker (ConfigPrototypes): swapped once in its pristine copy. */
    private bool $swappedOnce = false;

    public function __construct(bool $enabled, ?ConfigPrototypes $configs = null)
    {
        if (! $enabled) {
            return;
        }
        if (
            class_exists(RedisHandler::class) && class_exists(\Redis::class)
            && ! method_exists(RedisHandler::class, 'hasPersistentConnection')
        ) {
            $this->replace[RedisHandler::class] = KeptRedisHandler::class;
        }
        if (class_exists(MemcachedHandler::class) && class_exists(\Memcached::class)) {
            $this->replace[MemcachedHandler::class] = KeptMemcachedHandler::class;
        }
        $this->sessionConfig = $this->replace !== [] && class_exists(\Config\Session::class);
        if ($this->replace === [] || $configs === null || ! $configs->enabled()) {
            return;
        }
        // Config\Session is built per request only when the app gave it a constructor of its own; when it is kept,
        // the swap is done once in its pristine copy, and no request pays for building it just to look at the driver.
        $configs->adjust(function (object $config): void {
            if ($config instanceof \Config\Session || $config instanceof \Config\App) {
                $this->swap($config);
            }
        });
        $this->swappedOnce = ($this->sessionConfig ? $configs->provide('Session', \Config\Session::class) : true)
            && $configs->provide('App', \Config\App::class);
    }

    /** Before a request, after the configs were restored: swap the handler class in this request's config. */
    public function install(): void
    {
        if ($this->replace === [] || $this->swappedOnce) {
            return;
        }
        if ($this->sessionConfig) {
            $session = config('Session');
            if (is_object($session)) {
                $this->swap($session);
            }
        }
        $this->swap(config('App'));
    }

    private function swap(object $config): void
    {
        $property = $config instanceof \Config\App ? 'sessionDriver' : 'driver';
        if (isset($config->{$property}) && isset($this->replace[ltrim((string) $config->{$property}, '\\')])) {
            $config->{$property} = $this->replace[ltrim((string) $config->{$property}, '\\')];
        }
    }
}
