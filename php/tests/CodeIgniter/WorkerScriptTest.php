<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

use Burner\Frame;
use Burner\Tests\Fixtures\WorkerProcess;
use PHPUnit\Framework\TestCase;

/**
 * php/worker/codeigniter.php as the server runs it: a real child process speaking goridge frames over its pipes,
 * serving the CodeIgniter test app.
 */
final class WorkerScriptTest extends TestCase
{
    private ?WorkerProcess $w = null;

    private function start(string $env = 'production'): void
    {
        $this->w = new WorkerProcess(dirname(__DIR__, 2) . '/worker/codeigniter.php', [], [
            'BURNER_APP_ROOT' => CiApp::path(),
            'CI_ENVIRONMENT' => $env,
            'RR_MODE' => 'http',
        ]);
        $this->w->handshake();
    }

    protected function tearDown(): void
    {
        $this->w?->close();
    }

    /** @return array{int, array<string, list<string>>, string} */
    private function request(string $path, array $headers = []): array
    {
        $ctx = json_encode([
            'remoteAddr' => '127.0.0.1', 'protocol' => 'HTTP/1.1', 'method' => 'GET',
            'uri' => 'http://localhost:8080' . $path, 'headers' => $headers ?: new \stdClass(), 'cookies' => new \stdClass(),
            'rawQuery' => (string) parse_url($path, PHP_URL_QUERY), 'parsed' => false, 'uploads' => null, 'attributes' => new \stdClass(),
        ]);
        $this->w->sendPayload($ctx, '', Frame::CODEC_JSON);
        $frame = $this->w->readFrame(20.0);
        self::assertFalse($frame->hasFlag(Frame::ERROR), 'worker error: ' . $frame->payload);
        $header = json_decode(substr($frame->payload, 0, $frame->options[0]), true);

        return [$header['status'], $header['headers'] ?? [], (string) substr($frame->payload, $frame->options[0])];
    }

    public function testServesRequestsAndStopsCleanly(): void
    {
        $this->start();
        [$status, , $body] = $this->request('/');
        self::assertSame(200, $status);
        self::assertStringContainsString('Welcome to CodeIgniter', $body);
        [$status, , $body] = $this->request('/bt/echoed');
        self::assertSame([200, 'echoed output'], [$status, $body]);
        [$status] = $this->request('/bt/nope', ['Accept' => ['text/html']]);
        self::assertSame(404, $status);
        [$status] = $this->request('/bt/old-page');
        self::assertSame(307, $status);

        $this->w->sendStop();
        self::assertSame(0, $this->w->wait());
        self::assertSame('', $this->w->readRemainingStdout(), 'nothing but frames on STDOUT');
    }

    public function testExceptionsAreLoggedWithTheirStackTraceAndTheWorkerSurvives(): void
    {
        $this->start('development');
        [$status, $headers, $body] = $this->request('/bt/boom', ['Accept' => ['text/html']]);
        self::assertSame(500, $status);
        self::assertStringContainsString('Burner test exception', $body);
        self::assertStringContainsString('text/html', $headers['Content-Type'][0] ?? '');
        $stderr = $this->w->waitStderr('Stack trace');
        self::assertStringContainsString('RuntimeException: Burner test exception', $stderr);
        self::assertStringContainsString('Bt->boom()', $stderr);
        [$status, , $body] = $this->request('/bt/hello');
        self::assertSame(200, $status);
        self::assertStringStartsWith('hello from CodeIgniter', $body);
        $this->w->sendStop();
        self::assertSame(0, $this->w->wait());
        self::assertSame('', $this->w->readRemainingStdout());
    }

    public function testABootRefusalIsLoggedAndNothingReachesTheRelay(): void
    {
        // CI 4.7's Boot::bootWorker() echoes a message and exits when Config\Optimize caches are on.
        $source = CiApp::path('4.7.2');
        if ($source === null) {
            self::markTestSkipped('CodeIgniter 4.7.2: tarball absent');
        }
        $copy = sys_get_temp_dir() . '/burner-optimize-' . getmypid();
        exec('cp -a ' . escapeshellarg($source) . ' ' . escapeshellarg($copy));
        try {
            $file = $copy . '/app/Config/Optimize.php';
            $optimize = str_replace('$configCacheEnabled = false;', '$configCacheEnabled = true;', (string) file_get_contents($file));
            file_put_contents($file, $optimize);
            $this->w = new WorkerProcess(dirname(__DIR__, 2) . '/worker/codeigniter.php', [], [
                'BURNER_APP_ROOT' => $copy, 'CI_ENVIRONMENT' => 'production', 'RR_MODE' => 'http',
            ]);
            self::assertNotSame(0, $this->w->wait(), 'the worker cannot boot');
            self::assertSame('', $this->w->readRemainingStdout(), 'the message is not written to the relay');
            self::assertStringContainsString(
                '[burner] CodeIgniter exited while booting: Optimization settings (configCacheEnabled, locatorCacheEnabled) must be disabled',
                $this->w->drainStderr(),
            );
        } finally {
            exec('rm -rf ' . escapeshellarg($copy));
        }
    }

    public function testFatalErrorEndsOnlyThisWorkerWithoutWritingToTheRelay(): void
    {
        $this->start();
        [$status] = $this->request('/bt/hello');
        self::assertSame(200, $status);
        $ctx = json_encode(['method' => 'GET', 'uri' => 'http://localhost:8080/bt/fatal', 'headers' => new \stdClass()]);
        $this->w->sendPayload($ctx, '', Frame::CODEC_JSON);
        self::assertNotSame(0, $this->w->wait(), 'the worker exits (the server answers 500 and replaces it)');
        self::assertSame('', $this->w->readRemainingStdout(), 'no frame and no error page on the relay');
        $stderr = $this->w->drainStderr();
        self::assertStringContainsString('Allowed memory size', $stderr);
        self::assertStringContainsString('[burner] fatal error during a request', $stderr);
    }
}
