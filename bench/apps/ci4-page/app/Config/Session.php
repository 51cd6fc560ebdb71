<?php

namespace Config;

use CodeIgniter\Config\BaseConfig;
use CodeIgniter\Session\Handlers\BaseHandler;
use CodeIgniter\Session\Handlers\FileHandler;
use CodeIgniter\Session\Handlers\RedisHandler;

/**
 * Session settings of the benchmark's CI 4.7 app (bench/apps/ci4-page/, copied over the app by bench/apps.ts).
 *
 * CodeIgniter's defaults, except: the RedisHandler on the Redis the bench started when BENCH_REDIS_PORT is set (the
 * bench passes it to Burner's workers, php-fpm's pool and the in-process ceiling alike), and no ID regeneration
 * ($timeToUpdate = 0) so the session cookies the bench created before the rounds stay the ones in use however long
 * the rounds run.
 */
class Session extends BaseConfig
{
    /** @var class-string<BaseHandler> */
    public string $driver = FileHandler::class;

    public string $cookieName = 'ci_session';
    public int $expiration = 7200;
    public string $savePath = WRITEPATH . 'session';
    public bool $matchIP = false;
    public int $timeToUpdate = 0;
    public bool $regenerateDestroy = false;
    public ?string $DBGroup = null;
    public int $lockRetryInterval = 100_000;
    public int $lockMaxRetries = 300;

    public function __construct()
    {
        parent::__construct();

        $port = getenv('BENCH_REDIS_PORT');
        if ($port !== false && $port !== '') {
            $this->driver   = RedisHandler::class;
            $this->savePath = 'tcp://127.0.0.1:' . (int) $port;
        }
    }
}
