<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Session;

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

    public function __construct(bool $enabled)
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
    }

    /** Before a request, after the configs were restored: swap the handler class in this request's config. */
    public function install(): void
    {
        if ($this->replace === []) {
            return;
        }
        if ($this->sessionConfig) {
            $session = config('Session');
            if (is_object($session) && isset($session->driver) && isset($this->replace[ltrim((string) $session->driver, '\\')])) {
                $session->driver = $this->replace[ltrim((string) $session->driver, '\\')];
            }
        }
        $app = config('App');
        if (isset($app->sessionDriver) && isset($this->replace[ltrim((string) $app->sessionDriver, '\\')])) {
            $app->sessionDriver = $this->replace[ltrim((string) $app->sessionDriver, '\\')];
        }
    }
}
