<?php

declare(strict_types=1);

namespace Burner\Tests\Relay;

use PHPUnit\Framework\TestCase;

/**
 * PipeBuffer in a real child PHP process whose STDIN/STDOUT are what the test gives it: OS pipes (proc_open's
 * 'pipe' descriptors are pipes), a file, or pipes with FFI switched off.
 */
final class PipeBufferTest extends TestCase
{
    private const PROBE = <<<'PHP'
        require getenv('BURNER_SRC') . '/Relay/PipeBuffer.php';
        echo json_encode([
            'in' => Burner\Relay\PipeBuffer::enlarge(STDIN, 0),
            'out' => Burner\Relay\PipeBuffer::enlarge(STDOUT, 1),
        ]);
        PHP;

    /**
     * @param array<int, mixed> $stdin descriptor for the child's STDIN
     * @return array{in: int|null, out: int|null}
     */
    private function probe(array $stdin, array $phpArgs = []): array
    {
        $cmd = [\PHP_BINARY, ...$phpArgs, '-r', self::PROBE];
        $env = ['BURNER_SRC' => \dirname(__DIR__, 2) . '/src', 'PATH' => (string) \getenv('PATH')];
        $proc = \proc_open($cmd, [0 => $stdin, 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        self::assertIsResource($proc);
        if (isset($pipes[0])) {
            \fclose($pipes[0]);
        }
        $out = (string) \stream_get_contents($pipes[1]);
        $err = (string) \stream_get_contents($pipes[2]);
        \fclose($pipes[1]);
        \fclose($pipes[2]);
        self::assertSame(0, \proc_close($proc), $err);
        /** @var array{in: int|null, out: int|null} $result */
        $result = \json_decode($out, true, 4, \JSON_THROW_ON_ERROR);

        return $result;
    }

    public function testPipesGetTheLargestBufferTheSystemAllows(): void
    {
        if (\PHP_OS_FAMILY !== 'Linux' || !\extension_loaded('ffi')) {
            self::markTestSkipped('F_SETPIPE_SZ needs Linux and the FFI extension');
        }
        $max = (int) @\file_get_contents('/proc/sys/fs/pipe-max-size');
        $expected = $max >= (1 << 20) ? 1 << 20 : ($max >= (256 << 10) ? 256 << 10 : 65536);

        $result = $this->probe(['pipe', 'r']);

        self::assertSame(['in' => $expected, 'out' => $expected], $result);
    }

    public function testAFileIsLeftAlone(): void
    {
        $result = $this->probe(['file', '/dev/null', 'r']);

        self::assertNull($result['in'], '/dev/null is not a pipe');
    }

    public function testWithoutFfiNothingChangesAndNothingFails(): void
    {
        $result = $this->probe(['pipe', 'r'], ['-d', 'ffi.enable=0']);

        self::assertSame(['in' => null, 'out' => null], $result);
    }
}
