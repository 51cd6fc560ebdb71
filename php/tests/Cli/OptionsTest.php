<?php

declare(strict_types=1);

namespace Burner\Tests\Cli;

use Burner\CodeIgniter\Cli\Options;
use Burner\CodeIgniter\Cli\StartOptions;
use PHPUnit\Framework\TestCase;

final class OptionsTest extends TestCase
{
    public function testReadsBothOptionFormsAndKeepsDashesInValues(): void
    {
        $o = Options::parse(['spark', 'burner:init', 'RoadRunner', '--server=/tmp/burner-server-0.1.0.tgz']);
        self::assertSame(['RoadRunner'], $o->arguments);
        self::assertSame('/tmp/burner-server-0.1.0.tgz', $o->value('server'));

        $o = Options::parse(['spark', 'burner:init', '--server', 'dist/burner-server-0.1.0.tgz', 'RoadRunner']);
        self::assertSame('dist/burner-server-0.1.0.tgz', $o->value('server'));
        self::assertSame(['RoadRunner'], $o->arguments);
    }

    public function testFlagsDoNotSwallowTheNextWord(): void
    {
        $o = Options::parse(['spark', 'burner:start', '--daemon', 'extra', '--port', '8081', '--watch'], ['daemon', 'watch']);
        self::assertTrue($o->has('daemon'));
        self::assertTrue($o->has('watch'));
        self::assertSame('8081', $o->value('port'));
        self::assertSame(['extra'], $o->arguments);
        self::assertNull($o->value('host'));
    }

    public function testSparkOptionsBeforeTheCommandName(): void
    {
        $o = Options::parse(['spark', '--no-header', 'burner:init', 'RoadRunner', '--server', '/x.tgz']);
        self::assertSame(['RoadRunner'], $o->arguments);
        self::assertSame('/x.tgz', $o->value('server'));
    }

    public function testAnOptionThatNeedsAValueSaysSo(): void
    {
        $o = Options::parse(['spark', 'burner:init', '--server']);
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage('--server needs a value');
        $o->value('server');
    }

    public function testStartOptionsBecomeOverrides(): void
    {
        $start = StartOptions::from(Options::parse(
            ['spark', 'burner:start', '--workers', '3', '--max-requests=500', '--port', '9090', '--daemon'],
            ['daemon', 'watch'],
        ), '0.0.0.0:8080');
        self::assertSame(['http.pool.num_workers=3', 'http.pool.max_jobs=500', 'http.address=0.0.0.0:9090'], $start->overrides);
        self::assertSame(['-o', 'http.pool.num_workers=3', '-o', 'http.pool.max_jobs=500', '-o', 'http.address=0.0.0.0:9090'], $start->arguments());
        self::assertTrue($start->daemon);
        self::assertFalse($start->watch);
    }

    public function testHostAndPortEachKeepTheOtherHalfOfTheConfiguredAddress(): void
    {
        $host = StartOptions::from(Options::parse(['spark', 'burner:start', '--host', '127.0.0.1']), '0.0.0.0:8080');
        self::assertSame(['http.address=127.0.0.1:8080'], $host->overrides);
        $port = StartOptions::from(Options::parse(['spark', 'burner:start', '--port', '8081']), '127.0.0.1:8000');
        self::assertSame(['http.address=127.0.0.1:8081'], $port->overrides);
        $v6 = StartOptions::from(Options::parse(['spark', 'burner:start', '--host', '::1', '--port', '8081']), '0.0.0.0:8080');
        self::assertSame(['http.address=[::1]:8081'], $v6->overrides);
        self::assertSame([], StartOptions::from(Options::parse(['spark', 'burner:start']))->overrides);
    }

    /** @return iterable<string, array{0: list<string>, 1: string}> */
    public static function badStartOptions(): iterable
    {
        yield 'port text' => [['--port', 'http'], '--port must be a whole number'];
        yield 'port too big' => [['--port', '70000'], '--port must be a port number'];
        yield 'port zero' => [['--port', '0'], '--port must be a whole number of at least 1'];
        yield 'workers zero' => [['--workers', '0'], '--workers must be a whole number of at least 1'];
        yield 'max requests negative' => [['--max-requests=-1'], '--max-requests must be a whole number'];
        yield 'host with a space' => [['--host', 'a b'], '--host must be an IP address or a host name'];
        yield 'workers without value' => [['--workers'], '--workers needs a value'];
    }

    /**
     * @dataProvider badStartOptions
     *
     * @param list<string> $words
     */
    public function testBadStartOptionsAreRefusedWithTheReason(array $words, string $message): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        StartOptions::from(Options::parse(['spark', 'burner:start', ...$words], ['daemon', 'watch']));
    }

    public function testConfiguredAddressIsReadFromTheHttpSection(): void
    {
        $yaml = "version: \"3\"\nrpc:\n  listen: tcp://127.0.0.1:6001\n"
            . "http:\n  # comment\n  address: \"127.0.0.1:8000\"\n  pool:\n    num_workers: 2\n";
        self::assertSame('127.0.0.1:8000', StartOptions::configuredAddress($yaml));
        self::assertSame('0.0.0.0:8080', StartOptions::configuredAddress("version: \"3\"\n"));
    }

    public function testWatchAddsReloadOverridesThatWatchAppAndEnvOnly(): void
    {
        $root = sys_get_temp_dir() . '/burner-watch-' . bin2hex(random_bytes(4));
        foreach (['app/Controllers', 'vendor', 'writable', 'public', 'system', 'odd,name'] as $dir) {
            mkdir("{$root}/{$dir}", 0777, true);
        }
        touch("{$root}/.env");
        try {
            $options = Options::parse(['spark', 'burner:start', '--watch', '--workers', '2'], ['daemon', 'watch']);
            $start = StartOptions::from($options)->watching($root, "version: '3'\nhttp:\n  address: 0.0.0.0:8080\n");
            $args = $start->arguments();
            self::assertSame(['-o', 'http.pool.num_workers=2'], array_slice($args, 0, 2), 'the other options stay first');
            $overrides = [];
            foreach (array_chunk(array_slice($args, 2), 2) as [$flag, $override]) {
                self::assertSame('-o', $flag);
                [$key, $value] = explode('=', $override, 2);
                $overrides[$key] = $value;
            }
            $ignored = explode(',', $overrides['reload.services.http.ignore']);
            unset($overrides['reload.services.http.ignore']);
            self::assertSame([
                'reload.interval' => '1s',
                'reload.patterns' => '.php,.env',
                'reload.services.http.dirs' => '.',
                'reload.services.http.recursive' => 'true',
            ], $overrides);
            sort($ignored);
            // app/ is watched; a name with a comma cannot be listed in -o (and only .php/.env files count anyway).
            self::assertSame(['public', 'system', 'vendor', 'writable'], $ignored);
            self::assertFileDoesNotExist("{$root}/writable/burner/burner-watch.rr.yaml", 'no config file of its own');
        } finally {
            exec('rm -rf ' . escapeshellarg($root));
        }
    }

    public function testWatchKeepsTheAppsOwnReloadSection(): void
    {
        $options = Options::parse(['spark', 'burner:start', '--watch'], ['daemon', 'watch']);
        $yaml = "version: '3'\nreload:\n  interval: 2s\n  patterns: [\".php\"]\n";
        self::assertTrue(StartOptions::hasReloadSection($yaml));
        self::assertFalse(StartOptions::hasReloadSection("version: '3'\nhttp:\n  reload: x\n"));
        self::assertSame([], StartOptions::from($options)->watching(sys_get_temp_dir(), $yaml)->arguments());
    }
}
