<?php

namespace Config;

use CodeIgniter\Config\BaseConfig;
use CodeIgniter\Session\Handlers\BaseHandler;
use CodeIgniter\Session\Handlers\RedisHandler;

/**
 * Session settings of the benchmark's CI 4.7 app (bench/apps/ci4-page/, copied over the app by bench/apps.ts).
 *
 * CodeIgniter's defaults, except: the RedisHandler, on the Redis the bench started ($savePath comes from
 * `session.savePath` in the app's .env, which the bench writes while it measures the page: Burner's workers, php-fpm
 * and the in-process ceiling all read it), and no ID regeneration ($timeToUpdate = 0) so the session cookies
 * the bench created before the rounds stay the ones in use however long the rounds run. No constructor: a config
 * class with one of its own is built again on every request (the bridge cannot know it is safe to keep), which would
 * add ~15 µs to every page of the app, the welcome page included.
 */
class Session extends BaseConfig
{
    /** @var class-string<BaseHandler> */
    public string $driver = RedisHandler::class;

    public string $cookieName = 'ci_session';
    public int $expiration = 7200;
    public string $savePath = 'tcp://127.0.0.1:6379';
    public bool $matchIP = false;
    public int $timeToUpdate = 0;
    public bool $regenerateDestroy = false;
    public ?string $DBGroup = null;
    public int $lockRetryInterval = 100_000;
    public int $lockMaxRetries = 300;
}
