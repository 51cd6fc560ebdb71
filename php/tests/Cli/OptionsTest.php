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

    public function testWatchConfigIncludesTheAppConfigAndWatchesAppAndEnvOnly(): void
    {
        $root = sys_get_temp_dir() . '/burner-watch-' . bin2hex(random_bytes(4));
        foreach (['app/Controllers', 'vendor', 'writable', 'public', 'system'] as $dir) {
            mkdir("{$root}/{$dir}", 0777, true);
        }
        touch("{$root}/.env");
        try {
            $yaml = StartOptions::watchConfig($root, "{$root}/.rr.yaml", "version: '3'\nhttp:\n  address: 0.0.0.0:8080\n");
            self::assertStringContainsString("version: \"3\"\n", $yaml);
            self::assertStringContainsString("include: [\"{$root}/.rr.yaml\"]\n", $yaml);
            self::assertStringContainsString('patterns: [".php", ".env"]', $yaml);
            self::assertStringContainsString('dirs: ["."]', $yaml);
            self::assertMatchesRegularExpression('/ignore: \[(?=.*"vendor")(?=.*"writable")(?=.*"public")(?=.*"system")[^\]]*\]/', $yaml);
            self::assertStringNotContainsString('"app"', $yaml);
        } finally {
            exec('rm -rf ' . escapeshellarg($root));
        }
    }
}
