<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Session;

use CodeIgniter\Session\Handlers\RedisHandler;

/**
 * CI's RedisHandler with its connection kept across requests (before CI 4.7 it connects in open() and disconnects
 * in close() on every request). Everything else, locking included, is CI's own. Installed in place of CI's
 * handler by SessionHandlers; see KeptConnections for why sessions stay apart.
 */
class KeptRedisHandler extends RedisHandler
{
    public function open($path, $name): bool
    {
        $key = $this->connectionKey();
        $redis = KeptConnections::take($key, static fn (\Redis $r): bool => in_array($r->ping(), [true, '+PONG'], true));
        if ($redis !== null) {
            $this->redis = $redis;

            return true;
        }
        if (! parent::open($path, $name)) {
            return false;
        }
        KeptConnections::keep($key, $this->redis);

        return true;
    }

    public function close(): bool
    {
        if (! isset($this->redis)) {
            return true;
        }
        $key = $this->connectionKey();
        try {
            $released = $this->releaseLock();
        } catch (\RedisException $e) {
            KeptConnections::drop($key);
            $this->logger->error('Session: Got RedisException on close(): ' . $e->getMessage());
            $released = true;
        }
        $this->redis = null;
        if ($released) {
            KeptConnections::release($key);
        }

        return $released;
    }

    private function connectionKey(): string
    {
        return 'redis:' . serialize($this->savePath);
    }
}
