<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/** Small file-system and process helpers of the installer. */
final class Shell
{
    public static function tail(string $output): string
    {
        $lines = array_slice(array_filter(explode("\n", trim($output)), static fn ($l) => trim($l) !== ''), -15);

        return $lines === [] ? '' : ":\n    " . implode("\n    ", $lines);
    }

    public static function which(string $program): ?string
    {
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            if ($dir !== '' && is_file($dir . '/' . $program) && is_executable($dir . '/' . $program)) {
                return $dir . '/' . $program;
            }
        }

        return null;
    }

    public static function remove(string $path): void
    {
        if (is_link($path) || is_file($path)) {
            unlink($path);

            return;
        }
        if (! is_dir($path)) {
            return;
        }
        $items = new \RecursiveIteratorIterator(
            new \RecursiveDirectoryIterator($path, \FilesystemIterator::SKIP_DOTS),
            \RecursiveIteratorIterator::CHILD_FIRST,
        );
        foreach ($items as $item) {
            $item->isDir() && ! $item->isLink() ? rmdir($item->getPathname()) : unlink($item->getPathname());
        }
        rmdir($path);
    }
}
