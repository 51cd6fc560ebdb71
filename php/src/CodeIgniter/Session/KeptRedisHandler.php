<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Session;

use CodeIgniter\Session\Handlers\RedisHandler;

/**
 * CI's RedisHandler with its connection kept across requests (before CI 4.7 it connects in open() and disconnects
 * in close() on every request). Installed in place of CI's handler by SessionHandlers; see KeptConnections for why
 * sessions stay apart.
 *
 * Locking is CI's own where CI takes the lock atomically (one `SET key value NX EX ttl`, CI 4.2+). CI 4.1 reads the
 * lock's TTL and then SETEXes it: two requests of one session arriving together on two workers can both see no lock
 * and both take it, so neither waits and one session write is lost. For such a handler this class takes the lock
 * with SET NX EX and retries, which is what later CI versions do.
 */
class KeptRedisHandler extends RedisHandler
{
    /** Seconds a lock lives if its holder dies without releasing it (CI's own value). */
    private const LOCK_TTL = 300;
    /** Wait between two attempts to take a held lock, in microseconds. */
    private const LOCK_RETRY_US = 100_000;
    /** Attempts before giving up: 30 s in all, as CI 4.1's 30 one-second attempts and CI 4.2+'s 300 × 0.1 s. */
    private const LOCK_ATTEMPTS = 300;

    /** Whether CI's lockSession() takes the lock with SET NX itself; found once per worker. */
    private static ?bool $ciLockIsAtomic = null;

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

    protected function lockSession(string $sessionID): bool
    {
        if (self::ciLockIsAtomic()) {
            return parent::lockSession($sessionID);
        }
        $lockKey = $this->keyPrefix . $sessionID . ':lock';
        if ($this->lockKey === $lockKey) {
            // PHP reuses the handler when the id is regenerated: this request holds the lock already; extend it.
            return (bool) $this->redis->expire($lockKey, self::LOCK_TTL);
        }
        for ($attempt = 0; $attempt < self::LOCK_ATTEMPTS; $attempt++) {
            if ($attempt > 0) {
                usleep(self::LOCK_RETRY_US);
            }
            if ($this->redis->set($lockKey, (string) time(), ['nx', 'ex' => self::LOCK_TTL])) {
                $this->lockKey = $lockKey;
                $this->lock = true;

                return true;
            }
        }
        $this->logger->error('Session: Unable to obtain lock for ' . $this->keyPrefix . $sessionID . ' after '
            . self::LOCK_ATTEMPTS . ' attempts, aborting.');

        return false;
    }

    /**
     * Detected from CI's lockSession() itself (its source passes the `nx` option to SET), not from a version number,
     * so any release between the tested ones is judged by what it does. When unsure (source unreadable, lock moved
     * elsewhere) the answer is "not atomic" and this class's own lock is used, which is correct on every version.
     */
    public static function ciLockIsAtomic(): bool
    {
        if (self::$ciLockIsAtomic === null) {
            self::$ciLockIsAtomic = false;
            try {
                $method = new \ReflectionMethod(RedisHandler::class, 'lockSession');
                $file = $method->getFileName();
                $lines = $file !== false ? @file($file) : false;
                if ($lines !== false && $method->getDeclaringClass()->getName() === RedisHandler::class) {
                    $source = implode('', array_slice($lines, $method->getStartLine() - 1, $method->getEndLine() - $method->getStartLine() + 1));
                    self::$ciLockIsAtomic = preg_match('/->set\s*\(.*[\'"]nx[\'"]/is', $source) === 1;
                }
            } catch (\ReflectionException) {
                // no lockSession() of CI's own: keep this class's lock
            }
        }

        return self::$ciLockIsAtomic;
    }

    private function connectionKey(): string
    {
        return 'redis:' . serialize($this->savePath);
    }
}
