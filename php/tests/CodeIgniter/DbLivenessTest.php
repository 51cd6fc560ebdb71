<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

use PHPUnit\Framework\TestCase;

/**
 * How the bridge keeps MySQL connections alive (issue 15 item 3), against a real MariaDB started by the test (data
 * in a temp dir, a Unix socket, no TCP port): one connection per worker; no check before a request while the worker
 * is busy (no extra round trip); a check after an idle time ($dbPingAfterIdle), which reconnects a connection the
 * server dropped meanwhile (wait_timeout); and a connection lost in the middle of work costs that one request only,
 * the next one reconnects. Idle times are simulated (drive.php moves the last request's end back), never slept.
 */
final class DbLivenessTest extends TestCase
{
    private static ?string $dir = null;
    /** @var resource|null */
    private static $server = null;
    private static string $socket = '';

    public static function setUpBeforeClass(): void
    {
        if (! is_executable('/usr/sbin/mariadbd') || ! is_executable('/usr/bin/mariadb-install-db') || ! extension_loaded('mysqli')) {
            return;
        }
        self::$dir = sys_get_temp_dir() . '/burner-mariadb-' . getmypid();
        @mkdir(self::$dir, 0700, true);
        self::$socket = self::$dir . '/mysqld.sock';
        $user = posix_getpwuid(posix_geteuid())['name'] ?? 'root';
        exec(sprintf(
            'mariadb-install-db --no-defaults --datadir=%s --auth-root-authentication-method=normal --skip-test-db --user=%s 2>&1',
            escapeshellarg(self::$dir . '/data'),
            escapeshellarg($user),
        ), $out, $code);
        if ($code !== 0) {
            throw new \RuntimeException("mariadb-install-db failed:\n" . implode("\n", $out));
        }
        self::$server = proc_open([
            '/usr/sbin/mariadbd', '--no-defaults', '--datadir=' . self::$dir . '/data', '--socket=' . self::$socket,
            '--skip-networking', '--user=' . $user, '--pid-file=' . self::$dir . '/mysqld.pid', '--log-error=' . self::$dir . '/error.log',
        ], [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        $deadline = microtime(true) + 60;
        while (microtime(true) < $deadline) {
            try {
                $probe = @new \mysqli('localhost', 'root', '', 'mysql', 0, self::$socket);
                $probe->close();
                break;
            } catch (\Throwable) {
                usleep(100_000);
            }
        }
        putenv('BT_MYSQL_SOCKET=' . self::$socket);
    }

    public static function tearDownAfterClass(): void
    {
        putenv('BT_MYSQL_SOCKET');
        if (is_resource(self::$server)) {
            proc_terminate(self::$server);
            proc_close(self::$server);
        }
        if (self::$dir !== null) {
            exec('rm -rf ' . escapeshellarg(self::$dir));
        }
    }

    /** @return array<string, array{string}> */
    public static function versions(): array
    {
        return ['4.1.3' => ['4.1.3'], '4.4.8' => ['4.4.8'], '4.6.5' => ['4.6.5'], '4.7.2' => ['4.7.2']];
    }

    /** @dataProvider versions */
    public function testConnectionsAreCheckedOnlyAfterIdleOrAnError(string $version): void
    {
        if (self::$server === null) {
            self::markTestSkipped('mariadbd, mariadb-install-db or the mysqli extension is not installed');
        }
        $app = CiApp::path($version);
        if ($app === null) {
            self::markTestSkipped("CodeIgniter {$version}: tarball absent");
        }
        $page = ['uri' => 'http://localhost:8080/bt/mysql'];
        $replies = CiApp::drive($app, [
            $page + ['config' => ['dbPingAfterIdle' => 30.0]], // a margin no scheduler delay reaches
            $page,
            $page,
            $page + ['idle' => 60],            // idle longer than $dbPingAfterIdle: checked first
            $page + ['killPrevious' => true, 'idle' => 60], // dropped by the server while idle (wait_timeout)
            $page + ['killPrevious' => true],   // lost while busy: this request fails...
            $page,                              // ...and the next one reconnects
            $page,
        ]);
        $data = array_map(static fn (array $r) => $r['status'] === 200 ? json_decode($r['body'], true) : null, $replies);
        foreach ([0, 1, 2, 3, 4, 6, 7] as $i) {
            self::assertSame(200, $replies[$i]['status'], "request {$i}: " . substr($replies[$i]['body'], 0, 300));
        }
        self::assertSame($data[0]['connection'], $data[2]['connection'], 'one connection, reused');
        self::assertSame(2, $data[1]['questions'] - $data[0]['questions'], 'no check before a request of a busy worker');
        self::assertSame(2, $data[2]['questions'] - $data[1]['questions'], 'no check before a request of a busy worker');
        self::assertSame(3, $data[3]['questions'] - $data[2]['questions'], 'after the idle time: one check (SELECT 1)');
        self::assertSame($data[0]['connection'], $data[3]['connection'], 'the check found it alive');
        self::assertNotSame($data[3]['connection'], $data[4]['connection'], 'dropped while idle: reconnected before the request');
        self::assertSame(500, $replies[5]['status'], 'a connection lost without idle time fails that request');
        self::assertNotSame($data[4]['connection'], $data[6]['connection'], 'the request after the failure reconnected');
        self::assertSame($data[6]['connection'], $data[7]['connection']);
    }
}
