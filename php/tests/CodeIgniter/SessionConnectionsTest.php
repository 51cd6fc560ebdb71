<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

use PHPUnit\Framework\TestCase;

/**
 * Sessions in Redis and Memcached through CI's own handlers (issue 15 item 4), against real servers started by the
 * test on free loopback ports: the worker keeps one connection across requests instead of one per request, and two
 * clients alternating on that worker never see each other's session. On a copy of each version's app whose session
 * config names CI's handler (the bridge swaps in its connection-keeping subclass; the app's files stay CI's).
 */
final class SessionConnectionsTest extends TestCase
{
    private const ROUNDS = 20;

    /** @var list<resource> */
    private array $servers = [];
    /** @var list<string> */
    private array $dirs = [];

    protected function tearDown(): void
    {
        foreach ($this->servers as $server) {
            proc_terminate($server);
            proc_close($server);
        }
        foreach ($this->dirs as $dir) {
            exec('rm -rf ' . escapeshellarg($dir));
        }
        $this->servers = $this->dirs = [];
    }

    /** @return array<string, array{string, string}> */
    public static function cases(): array
    {
        $cases = [];
        foreach (['4.1.3', '4.4.8', '4.6.5', '4.7.2'] as $version) {
            $cases["redis {$version}"] = ['redis', $version];
            $cases["memcached {$version}"] = ['memcached', $version];
        }

        return $cases;
    }

    /** @dataProvider cases */
    public function testOneConnectionPerWorkerAndSessionsStayApart(string $store, string $version): void
    {
        $binary = $store === 'redis' ? '/usr/bin/redis-server' : '/usr/bin/memcached';
        if (! is_executable($binary) || ! extension_loaded($store)) {
            self::markTestSkipped("{$binary} or the {$store} extension is not installed");
        }
        $source = CiApp::path($version);
        if ($source === null) {
            self::markTestSkipped("CodeIgniter {$version}: tarball absent");
        }
        $port = $this->startServer($store);
        $app = $this->appCopy($source, $store === 'redis'
            ? ['CodeIgniter\Session\Handlers\RedisHandler', "tcp://127.0.0.1:{$port}"]
            : ['CodeIgniter\Session\Handlers\MemcachedHandler', "127.0.0.1:{$port}"]);
        $before = $this->connectionsReceived($store, $port);

        $login = static fn (string $user): array => [
            'method' => 'POST', 'uri' => 'http://localhost:8080/bt/login', 'parsedBody' => ['user' => $user],
            'headers' => ['Content-Type' => ['application/x-www-form-urlencoded']],
        ];
        [$alice, $bob] = CiApp::drive($app, [$login('alice'), $login('bob')]);
        $aliceSid = json_decode($alice['body'], true)['sid'];
        $bobSid = json_decode($bob['body'], true)['sid'];
        self::assertNotSame($aliceSid, $bobSid);

        $requests = [];
        for ($i = 0; $i < self::ROUNDS; $i++) {
            $requests[] = ['uri' => 'http://localhost:8080/bt/whoami', 'cookies' => ['ci_session' => $aliceSid]];
            $requests[] = ['uri' => 'http://localhost:8080/bt/whoami', 'cookies' => ['ci_session' => $bobSid]];
        }
        $requests[] = ['uri' => 'http://localhost:8080/bt/whoami']; // a stranger, right after them
        $afterLogins = $this->connectionsReceived($store, $port);
        $replies = CiApp::drive($app, $requests);
        $afterRounds = $this->connectionsReceived($store, $port);

        foreach (array_slice($replies, 0, -1) as $i => $reply) {
            $data = json_decode($reply['body'], true);
            [$user, $sid] = $i % 2 === 0 ? ['alice', $aliceSid] : ['bob', $bobSid];
            self::assertSame(200, $reply['status'], substr($reply['body'], 0, 300));
            self::assertSame($user, $data['user'], "request {$i}");
            self::assertSame($sid, $data['sid'], "request {$i}");
            self::assertSame(intdiv($i, 2) + 1, $data['hits'], "request {$i}: this user's own counter");
        }
        $stranger = json_decode(end($replies)['body'], true);
        self::assertNull($stranger['user']);
        self::assertNotContains($stranger['sid'], [$aliceSid, $bobSid]);

        // The store counts its own connections, this test's stats query included (one per count).
        self::assertLessThanOrEqual(2, $afterLogins - $before, 'the two logins: one connection');
        self::assertLessThanOrEqual(2, $afterRounds - $afterLogins, (2 * self::ROUNDS + 1) . ' requests: one connection');
    }

    /** @return array<string, array{string, bool}> */
    public static function lockVersions(): array
    {
        return ['4.1.3' => ['4.1.3', false], '4.4.8' => ['4.4.8', true], '4.6.5' => ['4.6.5', true], '4.7.2' => ['4.7.2', true]];
    }

    /**
     * The bridge's Redis handler uses CI's lock where CI's is atomic (SET NX, 4.2+) and its own where it is not
     * (4.1's TTL-then-SETEX), judged from CI's code, not its version. (test/production/redis.test.ts proves the lock
     * end to end: two requests released at one instant by a paused Redis are serialised on every version.)
     *
     * @dataProvider lockVersions
     */
    public function testSessionLockAtomicityIsDetectedFromCiCode(string $version, bool $atomic): void
    {
        $source = CiApp::path($version);
        if ($source === null) {
            self::markTestSkipped("CodeIgniter {$version}: tarball absent");
        }
        $script = <<<'PHP'
            $system = $argv[1];
            spl_autoload_register(static function (string $class) use ($system): void {
                foreach (['CodeIgniter\\' => $system . '/', 'Psr\\Log\\' => $system . '/ThirdParty/PSR/Log/'] as $prefix => $dir) {
                    $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
                    if (str_starts_with($class, $prefix) && is_file($file)) {
                        require $file;
                    }
                }
            });
            require $argv[2];
            echo json_encode(Burner\CodeIgniter\Session\KeptRedisHandler::ciLockIsAtomic());
            PHP;
        $cmd = [PHP_BINARY, '-r', $script, $source . '/system', CiApp::repo() . '/php/src/CodeIgniter/Session/KeptRedisHandler.php'];
        $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        self::assertSame(0, proc_close($proc), $err);
        self::assertSame(json_encode($atomic), $out, "CI {$version}'s RedisHandler::lockSession() " . ($atomic ? 'uses SET NX' : 'checks then sets'));
    }

    private function startServer(string $store): int
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        $dir = sys_get_temp_dir() . "/burner-{$store}-" . getmypid() . '-' . $port;
        mkdir($dir, 0700, true);
        $this->dirs[] = $dir;
        $cmd = $store === 'redis'
            ? ['/usr/bin/redis-server', '--port', (string) $port, '--bind', '127.0.0.1', '--dir', $dir, '--save', '', '--appendonly', 'no']
            : ['/usr/bin/memcached', '-l', '127.0.0.1', '-p', (string) $port, '-U', '0', '-u', 'root'];
        $quiet = [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']];
        $this->servers[] = proc_open($cmd, $quiet, $pipes);
        $deadline = microtime(true) + 20;
        while (microtime(true) < $deadline) {
            $socket = @stream_socket_client("tcp://127.0.0.1:{$port}", $errno, $error, 1);
            if ($socket !== false) {
                fclose($socket);

                return $port;
            }
            usleep(50_000);
        }
        self::fail("{$store} did not start on port {$port}");
    }

    /** How many client connections the store has accepted so far (its own counter). */
    private function connectionsReceived(string $store, int $port): int
    {
        if ($store === 'redis') {
            $redis = new \Redis();
            $redis->connect('127.0.0.1', $port);
            $count = (int) $redis->info('stats')['total_connections_received'];
            $redis->close();

            return $count;
        }
        $socket = stream_socket_client("tcp://127.0.0.1:{$port}");
        fwrite($socket, "stats\r\n");
        $count = 0;
        while (($line = fgets($socket)) !== false && trim($line) !== 'END') {
            if (preg_match('/^STAT total_connections (\d+)/', $line, $m) === 1) {
                $count = (int) $m[1];
            }
        }
        fclose($socket);

        return $count;
    }

    /**
     * A copy of the app whose session config names CI's handler and the store (Config/Session.php where the app
     * has it, App.php before).
     *
     * @param array{string, string} $session handler class, save path
     */
    private function appCopy(string $source, array $session): string
    {
        $copy = sys_get_temp_dir() . '/burner-session-app-' . getmypid() . '-' . count($this->dirs);
        exec('cp -a ' . escapeshellarg($source) . ' ' . escapeshellarg($copy), $out, $code);
        self::assertSame(0, $code);
        $this->dirs[] = $copy;
        [$handler, $path] = $session;
        $file = is_file($copy . '/app/Config/Session.php') ? $copy . '/app/Config/Session.php' : $copy . '/app/Config/App.php';
        $text = (string) file_get_contents($file);
        $text = (string) preg_replace('/public (string )?\$(driver|sessionDriver) = [^;]+;/', "public \$1\$\$2 = '{$handler}';", $text, 1, $drivers);
        $text = (string) preg_replace('/public (string )?\$(savePath|sessionSavePath) = [^;]+;/', "public \$1\$\$2 = '{$path}';", $text, 1, $paths);
        self::assertSame([1, 1], [$drivers, $paths], "session settings found in {$file}");
        file_put_contents($file, $text);

        return $copy;
    }
}
