<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * The temp files the server stored for the current request. They count as "uploaded" for CI's UploadedFile
 * (see upload_functions.php); the list is cleared after every request, and whatever the app did not move is
 * deleted then (the server deletes its copies too, this only covers a server that keeps them).
 */
final class Uploads
{
    /** @var array<string, true> */
    private static array $files = [];

    public static function register(string $tmpName): void
    {
        if ($tmpName !== '') {
            self::$files[$tmpName] = true;
        }
    }

    public static function isRegistered(string $path): bool
    {
        return isset(self::$files[$path]);
    }

    /** Moves a registered upload; rename() first, copy+unlink across filesystems. */
    public static function move(string $from, string $to): bool
    {
        if (! is_file($from)) {
            return false;
        }
        $ok = @rename($from, $to);
        if (! $ok) {
            $ok = @copy($from, $to);
            if ($ok) {
                @unlink($from);
            }
        }
        if ($ok) {
            unset(self::$files[$from]);
            @chmod($to, 0666 & ~umask());
        }

        return $ok;
    }

    /** After the response: forget the request's uploads and remove what is left of them. */
    public static function clear(): void
    {
        foreach (array_keys(self::$files) as $file) {
            if (is_file($file)) {
                @unlink($file);
            }
        }
        self::$files = [];
    }
}
