<?php

declare(strict_types=1);

namespace Burner\Tests\Cli;

use Burner\CodeIgniter\Cli\InstallFailed;
use Burner\CodeIgniter\Cli\Installer;
use PHPUnit\Framework\TestCase;

/**
 * The server install of `burner:init` with real npm and node, from small stand-in burner-server packages (a
 * bin/rr.js that answers --version), so no registry is needed: the real package is installed by the user-path
 * test (test/ci4/user-path.test.ts).
 */
final class InstallerTest extends TestCase
{
    private string $dir;
    private string $app;

    protected function setUp(): void
    {
        if (Installer::which('npm') === null || Installer::nodeVersion() === null) {
            self::markTestSkipped('node and npm are needed');
        }
        $this->dir = sys_get_temp_dir() . '/burner-installer-' . bin2hex(random_bytes(4));
        $this->app = $this->dir . '/app';
        mkdir($this->app . '/vendor', 0777, true);
    }

    protected function tearDown(): void
    {
        if (isset($this->dir)) {
            exec('rm -rf ' . escapeshellarg($this->dir));
        }
    }

    public function testInstallsFromATarballWithoutARegistryAndTheLauncherRunsIt(): void
    {
        $tarball = $this->package('1.0.0');
        $installer = $this->installer();
        $bin = $installer->installServer($tarball);

        self::assertSame($this->app . '/vendor/bin/rr', $bin);
        self::assertSame("stand-in rr version 1.0.0 (burner)\n", $this->rr());
        $commands = array_values(array_filter($installer->steps, static fn ($s) => str_starts_with($s, '$ ')));
        self::assertStringContainsString('npm install', $commands[0]);
        self::assertStringContainsString('--offline', $commands[0], 'a tarball install never asks a registry');
        self::assertStringContainsString($tarball, $commands[0]);
        self::assertSame(['bin', 'burner-server'], $this->vendorEntries(), 'no staging directory or temp launcher left');
        // The launcher finds the server relative to itself: the app can move.
        rename($this->app, $this->dir . '/moved');
        $this->app = $this->dir . '/moved';
        self::assertSame("stand-in rr version 1.0.0 (burner)\n", $this->rr());
    }

    public function testAFailingInstallSaysWhatFailedAndKeepsTheEarlierServer(): void
    {
        $this->installer()->installServer($this->package('1.0.0'));

        foreach (
            [
            'missing' => [$this->dir . '/nonexistent.tgz', 'no such file or directory'],
            'not a tarball' => [$this->file('junk.tgz', 'not gzip'), '`npm install` failed'],
            'rr that does not start' => [$this->package('2.0.0', "process.exit(3);\n"), '`vendor/bin/rr --version` failed'],
            'another package' => [$this->package('2.0.0', null, 'left-pad'), 'has no node_modules/burner-server/bin/rr.js'],
            ] as $case => [$source, $what]
        ) {
            try {
                $this->installer()->installServer($source);
                self::fail("{$case}: no failure");
            } catch (InstallFailed $e) {
                self::assertStringContainsString($what, $e->what, $case);
                self::assertSame('vendor/bin/rr was left as it was.', $e->kept, $case);
                self::assertNotSame('', $e->todo, "{$case}: says what to do");
            }
            self::assertSame("stand-in rr version 1.0.0 (burner)\n", $this->rr(), "{$case}: the earlier server still answers");
            self::assertSame(['bin', 'burner-server'], $this->vendorEntries(), "{$case}: nothing left behind");
            self::assertSame(['rr'], array_values(array_diff(scandir($this->app . '/vendor/bin'), ['.', '..'])), $case);
        }
    }

    public function testAFirstInstallThatFailsLeavesNoLauncher(): void
    {
        try {
            $this->installer()->installServer($this->package('2.0.0', "process.exit(3);\n"));
            self::fail('no failure');
        } catch (InstallFailed $e) {
            self::assertSame('No vendor/bin/rr was installed.', $e->kept);
        }
        self::assertFileDoesNotExist($this->app . '/vendor/bin/rr');
        self::assertSame(['bin'], $this->vendorEntries());
    }

    public function testInstallsFromAPackageDirectory(): void
    {
        $dir = $this->packageDir('1.5.0');
        mkdir($dir . '/dist/src', 0777, true); // built: packed as it is
        $installer = $this->installer();
        $installer->installServer($dir);
        self::assertSame("stand-in rr version 1.5.0 (burner)\n", $this->rr());
        self::assertNotEmpty(array_filter($installer->steps, static fn ($s) => str_contains($s, 'npm\' pack') || str_contains($s, 'npm pack')));

        $other = $this->dir . '/not-burner';
        mkdir($other);
        file_put_contents($other . '/package.json', '{"name":"something-else","version":"1.0.0"}');
        $this->expectException(InstallFailed::class);
        $this->expectExceptionMessage('is not the burner-server package');
        $this->installer()->installServer($other);
    }

    public function testWithoutASourceItInstallsTheMatchingVersionFromTheRegistryAndPrintsTheCommand(): void
    {
        // A registry nobody answers on: the command and the advice are what this test is about.
        $env = ['npm_config_registry' => 'http://127.0.0.1:9/', 'npm_config_fetch_retries' => '0', 'npm_config_cache' => $this->dir . '/npm-cache'];
        foreach ($env as $k => $v) {
            putenv("{$k}={$v}");
        }
        try {
            $installer = $this->installer();
            try {
                $installer->installServer();
                self::fail('installed from a registry that is not there');
            } catch (InstallFailed $e) {
                self::assertStringContainsString('`npm install` failed', $e->what);
                self::assertStringContainsString('--server=/path/to/burner-server-' . Installer::SERVER_VERSION . '.tgz', $e->todo);
            }
            $command = array_values(array_filter($installer->steps, static fn ($s) => str_starts_with($s, '$ ')))[0];
            self::assertStringContainsString("'burner-server@" . Installer::SERVER_VERSION . "'", $command);
            self::assertStringNotContainsString('--offline', $command);
        } finally {
            foreach (array_keys($env) as $k) {
                putenv($k);
            }
        }
    }

    public function testTheServerVersionFollowsTheComposerPackage(): void
    {
        $installed = $this->app . '/vendor/composer/installed.json';
        mkdir(dirname($installed), 0777, true);
        file_put_contents($installed, json_encode(['packages' => [['name' => 'burner/burner', 'version' => 'v1.4.2']]]));
        self::assertSame('1.4.2', $this->installer()->serverVersion()[0]);

        file_put_contents($installed, json_encode(['packages' => [['name' => 'burner/burner', 'version' => 'dev-main']]]));
        [$version, $why] = $this->installer()->serverVersion();
        self::assertSame(Installer::SERVER_VERSION, $version);
        self::assertStringContainsString('dev-main', $why);
    }

    public function testTheDeclaredServerVersionIsPackageJsonsVersion(): void
    {
        $package = json_decode((string) file_get_contents(dirname(__DIR__, 3) . '/package.json'), true);
        self::assertSame(Installer::NPM_PACKAGE, $package['name']);
        self::assertSame(Installer::SERVER_VERSION, $package['version'], 'Installer::SERVER_VERSION is package.json\'s version');
    }

    private function installer(): Installer
    {
        return new Installer($this->app, dirname(__DIR__, 2));
    }

    private function rr(): string
    {
        exec(escapeshellarg($this->app . '/vendor/bin/rr') . ' --version 2>&1', $out, $code);
        self::assertSame(0, $code, implode("\n", $out));

        return implode("\n", $out) . "\n";
    }

    /** @return list<string> */
    private function vendorEntries(): array
    {
        $entries = array_values(array_diff(scandir($this->app . '/vendor'), ['.', '..']));
        sort($entries);

        return $entries;
    }

    private function packageDir(string $version, ?string $script = null, string $name = 'burner-server'): string
    {
        $dir = $this->dir . "/src-{$name}-{$version}-" . bin2hex(random_bytes(2));
        mkdir($dir . '/bin', 0777, true);
        file_put_contents($dir . '/package.json', json_encode(['name' => $name, 'version' => $version, 'bin' => ['rr' => 'bin/rr.js']]));
        file_put_contents($dir . '/bin/rr.js', "#!/usr/bin/env node\n" . ($script ?? "console.log('stand-in rr version {$version} (burner)');\n"));

        return $dir;
    }

    private function package(string $version, ?string $script = null, string $name = 'burner-server'): string
    {
        $dir = $this->packageDir($version, $script, $name);
        $out = [];
        exec('cd ' . escapeshellarg($dir) . ' && npm pack --silent --pack-destination ' . escapeshellarg($this->dir) . ' 2>&1', $out, $code);
        self::assertSame(0, $code, implode("\n", $out));

        return $this->dir . '/' . trim((string) end($out));
    }

    private function file(string $name, string $content): string
    {
        file_put_contents($this->dir . '/' . $name, $content);

        return $this->dir . '/' . $name;
    }
}
