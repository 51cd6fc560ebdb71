<?php

declare(strict_types=1);

namespace Burner\Relay;

/**
 * Enlarges the kernel buffer of the worker's pipes (Linux F_SETPIPE_SZ through FFI, when FFI is there).
 *
 * A pipe holds 64 KiB by default: a 1 MiB response then crosses it in 16 rounds, each one a wake-up of the server
 * and a sleep of the worker. With 1 MiB (the default /proc/sys/fs/pipe-max-size) most answers go in one write.
 * The kernel allocates the pages only for what is actually buffered, so an idle worker costs nothing more.
 * Anything missing (not Linux, no FFI, not a pipe, a lower limit) leaves the buffer as it is: this is only an
 * optimisation.
 */
final class PipeBuffer
{
    private const F_SETPIPE_SZ = 1031;
    private const F_GETPIPE_SZ = 1032;
    private const S_IFMT = 0170000;
    private const S_IFIFO = 0010000;

    private static ?\FFI $libc = null;

    /**
     * @param resource $stream
     * @return int|null the buffer size now, or null when it could not be read (not a pipe, no FFI, not Linux)
     */
    public static function enlarge($stream, int $fd, int $bytes = 1 << 20): ?int
    {
        if (\PHP_OS_FAMILY !== 'Linux' || !\extension_loaded('ffi') || !self::isPipe($stream)) {
            return null;
        }
        try {
            // No library named: fcntl is looked up among the symbols PHP itself is linked with (glibc or musl).
            $libc = self::$libc ??= \FFI::cdef('int fcntl(int fd, int cmd, ...);');
            foreach ([$bytes, 256 << 10] as $size) {
                $current = $libc->fcntl($fd, self::F_GETPIPE_SZ);
                if ($current < 0 || $current >= $size) {
                    break;
                }
                $libc->fcntl($fd, self::F_SETPIPE_SZ, $size); // -1 (EPERM) above pipe-max-size: try the smaller one
            }
            $now = $libc->fcntl($fd, self::F_GETPIPE_SZ);

            return $now > 0 ? $now : null;
        } catch (\Throwable) {
            return null; // FFI disabled (ffi.enable=false), or fcntl not resolvable
        }
    }

    /**
     * @param resource $stream
     */
    private static function isPipe($stream): bool
    {
        $stat = @\fstat($stream);

        return \is_array($stat) && ($stat['mode'] & self::S_IFMT) === self::S_IFIFO;
    }
}
