<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Session;

use CodeIgniter\Session\Handlers\MemcachedHandler;

/**
 * CI's MemcachedHandler with its Memcached client (and its connections) kept across requests instead of a new
 * client in open() and quit() in close() on every request. Locking is CI's own. See KeptConnections.
 */
class KeptMemcachedHandler extends MemcachedHandler
{
    public function open($path, $name): bool
    {
        $key = 'memcached:' . serialize($this->savePath);
        $client = KeptConnections::take($key, static fn (\Memcached $m): bool => $m->getVersion() !== false);
        if ($client !== null) {
            $this->memcached = $client;

            return true;
        }
        if (! parent::open($path, $name)) {
            return false;
        }
        KeptConnections::keep($key, $this->memcached);

        return true;
    }

    public function close(): bool
    {
        if (! isset($this->memcached)) {
            return false;
        }
        $released = $this->releaseLock();
        $this->memcached = null;
        if ($released) {
            KeptConnections::release('memcached:' . serialize($this->savePath));
        }

        return $released;
    }
}
