<?php

declare(strict_types=1);

namespace Burner\Tests\Cli;

use PHPUnit\Framework\TestCase;

/**
 * burner/burner is published from the repository root (packagist reads the root composer.json); php/composer.json is
 * the same package for the path repository of the in-repository test apps. Both must describe one package.
 */
final class ComposerPackageTest extends TestCase
{
    private const ROOT = __DIR__ . '/../../..';

    public function testTheRootManifestIsThePublishablePackageWithNoDependencies(): void
    {
        $root = $this->manifest(self::ROOT . '/composer.json');
        self::assertSame('burner/burner', $root['name']);
        self::assertSame('library', $root['type']);
        self::assertSame('MIT', $root['license']);
        self::assertSame(['php' => '>=8.1'], $root['require'], 'zero composer dependencies');
        self::assertArrayNotHasKey('require-dev', $root);
        self::assertSame(['Burner\\' => 'php/src/'], $root['autoload']['psr-4']);
        self::assertArrayNotHasKey('version', $root, 'the version comes from the git tag');
        self::assertDirectoryExists(self::ROOT . '/php/src/Commands', 'spark discovers Burner\\Commands');
        self::assertFileExists(self::ROOT . '/LICENSE');
    }

    public function testTheDevelopmentManifestDescribesTheSamePackage(): void
    {
        $root = $this->manifest(self::ROOT . '/composer.json');
        $dev = $this->manifest(self::ROOT . '/php/composer.json');
        self::assertSame(['Burner\\' => 'src/'], $dev['autoload']['psr-4']);
        unset($root['autoload'], $dev['autoload']);
        self::assertSame($root, $dev);
    }

    public function testTheZipLeavesOutWhatAUserDoesNotNeed(): void
    {
        $ignored = [];
        foreach (file(self::ROOT . '/.gitattributes', FILE_IGNORE_NEW_LINES) ?: [] as $line) {
            if (preg_match('/^(\S+)\s+export-ignore$/', trim($line), $m) === 1) {
                $ignored[] = $m[1];
            }
        }
        foreach (['/src', '/test', '/bench', '/dist', '/node_modules', '/bin', '/php/tests', '/package.json', '/scripts', '/demo'] as $path) {
            self::assertContains($path, $ignored, "{$path} is export-ignored");
        }
        foreach (['/php/src', '/php/worker', '/README.md', '/LICENSE', '/composer.json'] as $path) {
            self::assertNotContains($path, $ignored, "{$path} ships");
        }
    }

    /** @return array<string, mixed> */
    private function manifest(string $file): array
    {
        $data = json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
        self::assertIsArray($data);

        return $data;
    }
}
