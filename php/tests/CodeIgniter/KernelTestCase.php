<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

use PHPUnit\Framework\TestCase;

/**
 * The bridge against a real CodeIgniter application of one version (scripts/ci4-app.sh, with the test controllers of
 * test/fixtures/ci4): one Kernel boots once and serves a sequence of requests (drive.php, a subprocess because
 * booting CI defines global constants), exactly as the worker does between waitRequest() calls.
 */
abstract class KernelTestCase extends TestCase
{
    /** @var array<string, string> version => app */
    private static array $apps = [];

    /** The CodeIgniter version this class runs against. */
    abstract protected static function version(): string;

    protected function setUp(): void
    {
        $version = static::version();
        $app = self::$apps[$version] ??= (CiApp::path($version) ?? '');
        if ($app === '') {
            self::markTestSkipped("CodeIgniter {$version}: tarball absent (../shared/ci4/codeigniter4-framework-{$version}.tar.gz)");
        }
    }

    /** True on CI 4.1-4.3, where redirects and force_https() were exit paths (307 there, 302 for redirects since). */
    protected static function legacy(): bool
    {
        return version_compare(static::version(), '4.4', '<');
    }

    /**
     * @param list<array<string, mixed>> $requests
     * @return list<array{status: int, headers: array<string, list<string>>, body: string, after: array<string, mixed>}>
     */
    private function drive(array $requests, string $env = 'production'): array
    {
        return CiApp::drive(self::$apps[static::version()], $requests, $env);
    }

    private static function header(array $reply, string $name): ?string
    {
        foreach ($reply['headers'] as $key => $values) {
            if (strcasecmp($key, $name) === 0) {
                return $values[0];
            }
        }

        return null;
    }

    /** @return list<string> */
    private static function setCookies(array $reply): array
    {
        foreach ($reply['headers'] as $key => $values) {
            if (strcasecmp($key, 'Set-Cookie') === 0) {
                return $values;
            }
        }

        return [];
    }

    private static function sessionCookie(array $reply): ?string
    {
        foreach (self::setCookies($reply) as $line) {
            if (preg_match('/^ci_session=([^;]+)/', $line, $m) === 1) {
                return $m[1];
            }
        }

        return null;
    }

    private static function json(array $reply): array
    {
        $data = json_decode($reply['body'], true);
        self::assertIsArray($data, 'JSON body expected, got: ' . substr($reply['body'], 0, 500));

        return $data;
    }

    private static function form(string $path, array $fields, string $method = 'POST', array $cookies = []): array
    {
        return [
            'method' => $method, 'uri' => 'http://localhost:8080' . $path, 'parsedBody' => $fields, 'cookies' => $cookies,
            'headers' => ['Content-Type' => ['application/x-www-form-urlencoded']],
        ];
    }

    public function testWelcomePageRoutingAndServerVariables(): void
    {
        [$welcome, $hello, $server] = $this->drive([
            ['uri' => 'http://localhost:8080/'],
            ['uri' => 'http://localhost:8080/bt/hello'],
            ['uri' => 'http://localhost:8080/bt/server?x=1&y%5B%5D=2', 'headers' => [
                'X-Test' => ['a', 'b'], 'Host' => ['other.test'], 'Content-Type' => ['text/plain'],
            ]],
        ]);
        self::assertSame(200, $welcome['status']);
        self::assertStringContainsString('Welcome to CodeIgniter', $welcome['body']);
        self::assertSame('hello from CodeIgniter', $hello['body']);

        $data = self::json($server);
        self::assertSame('/bt/server?x=1&y%5B%5D=2', $data['server']['REQUEST_URI'], 'REQUEST_URI is path and query only');
        self::assertSame('x=1&y%5B%5D=2', $data['server']['QUERY_STRING']);
        self::assertSame('localhost:8080', $data['server']['HTTP_HOST'], 'the host comes from the uri, never a Host header');
        self::assertSame('8080', $data['server']['SERVER_PORT']);
        self::assertSame('/index.php', $data['server']['SCRIPT_NAME']);
        self::assertSame('a, b', $data['server']['HTTP_X_TEST']);
        self::assertSame('text/plain', $data['server']['CONTENT_TYPE'], 'Content-Type goes to CONTENT_TYPE, not HTTP_*');
        self::assertSame('bt/server', $data['uri_string']);
        self::assertStringEndsWith('/bt/server', $data['current_url']);
        self::assertSame(['x' => '1', 'y' => ['2']], $data['get']);
        self::assertFalse($data['is_cli']);
    }

    public function testFormsJsonAndPut(): void
    {
        [$form, $json, $put, $get] = $this->drive([
            self::form('/bt/form', ['a' => '1', 'b' => ['x', 'y']]),
            ['method' => 'POST', 'uri' => 'http://localhost:8080/bt/json', 'body' => '{"a":[1,2],"s":"é"}',
                'headers' => ['Content-Type' => ['application/json']]],
            self::form('/bt/put', ['a' => '1', 'c' => 'd'], 'PUT'),
            ['uri' => 'http://localhost:8080/bt/form'],
        ]);
        self::assertSame(['a' => '1', 'b' => ['x', 'y']], self::json($form)['post']);
        self::assertSame(['a' => '1', 'b' => ['x', 'y']], self::json($form)['request']);
        self::assertSame(['method' => 'post', 'json' => ['a' => [1, 2], 's' => 'é']], self::json($json));
        self::assertSame(['method' => 'put', 'raw' => ['a' => '1', 'c' => 'd']], self::json($put));
        self::assertStringContainsString('<form method="post">', $get['body']);
    }

    public function testUploadIsSavedWithMove(): void
    {
        $tmp = tempnam(sys_get_temp_dir(), 'burner-upload-');
        $content = random_bytes(5000);
        file_put_contents($tmp, $content);
        [$reply] = $this->drive([[
            'method' => 'POST', 'uri' => 'http://localhost:8080/bt/upload', 'parsedBody' => ['k' => 'v'],
            'headers' => ['Content-Type' => ['multipart/form-data; boundary=x']],
            'uploads' => ['doc' => ['name' => 'report.pdf', 'mime' => 'application/pdf', 'size' => 5000, 'error' => 0, 'tmpName' => $tmp]],
        ]]);
        $data = self::json($reply);
        self::assertSame(['k' => 'v'], $data['post']);
        self::assertCount(1, $data['files']);
        $file = $data['files'][0];
        self::assertTrue($file['valid'], 'isValid() accepts the server-stored upload');
        self::assertTrue($file['moved'], 'UploadedFile::move() works');
        self::assertSame(sha1($content), $file['sha1']);
        self::assertFileDoesNotExist($tmp, 'moved away from the temp dir');
        self::assertSame($content, file_get_contents($file['path']));
        unlink($file['path']);
        self::assertSame([], $reply['after']['files'], '$_FILES is cleared after the request');
    }

    public function testUploadsOutsideTheRequestAreNotMovable(): void
    {
        // A path that is not one of the request's uploads stays subject to PHP's own is_uploaded_file().
        $foreign = tempnam(sys_get_temp_dir(), 'burner-foreign-');
        [$reply] = $this->drive([[
            'method' => 'POST', 'uri' => 'http://localhost:8080/bt/upload', 'parsedBody' => [],
            'headers' => ['Content-Type' => ['multipart/form-data; boundary=x']],
            'uploads' => ['doc' => ['name' => 'x.txt', 'mime' => 'text/plain', 'size' => 0, 'error' => 4, 'tmpName' => $foreign]],
        ]]);
        $file = self::json($reply)['files'][0];
        self::assertFalse($file['valid']);
        self::assertFileExists($foreign);
        unlink($foreign);
    }

    public function testEveryCookieIsItsOwnSetCookie(): void
    {
        [$reply] = $this->drive([['uri' => 'http://localhost:8080/bt/cookies', 'cookies' => ['x' => '1', 'y' => 'two']]]);
        self::assertSame(['x' => '1', 'y' => 'two'], self::json($reply)['received']);
        $cookies = self::setCookies($reply);
        self::assertCount(3, $cookies);
        self::assertStringStartsWith('alpha=one;', $cookies[0]);
        self::assertStringStartsWith('beta=two;', $cookies[1]);
        self::assertStringStartsWith('gamma=three%20value;', $cookies[2]);
        self::assertStringContainsString('HttpOnly', $cookies[2]);
    }

    public function testSessionsNeverLeakBetweenClients(): void
    {
        $replies = $this->drive([
            self::form('/bt/login', ['user' => 'alice']),
            ['uri' => 'http://localhost:8080/bt/whoami'], // no cookie, right after alice on the same worker
        ]);
        $alice = self::sessionCookie($replies[0]);
        self::assertNotNull($alice, 'a new session sends its cookie');
        self::assertSame('alice', self::json($replies[0])['user']);
        $anonymous = self::json($replies[1]);
        self::assertNull($anonymous['user'], 'a cookieless request never continues the previous session');
        self::assertNotSame($alice, $anonymous['sid']);
        self::assertSame('', $replies[1]['after']['session_id'], 'no session id is left behind');

        $sequence = [self::form('/bt/login', ['user' => 'bob'])];
        for ($i = 0; $i < 10; $i++) {
            $sequence[] = ['uri' => 'http://localhost:8080/bt/whoami', 'cookies' => ['ci_session' => $alice]];
            $sequence[] = ['uri' => 'http://localhost:8080/bt/whoami'];
        }
        $replies = $this->drive($sequence);
        $bob = self::sessionCookie($replies[0]);
        self::assertNotNull($bob);
        self::assertNotSame($alice, $bob);
        $hits = 0;
        foreach (array_slice($replies, 1) as $n => $reply) {
            $data = self::json($reply);
            if ($n % 2 === 0) {
                self::assertSame('alice', $data['user']);
                self::assertSame($alice, $data['sid']);
                self::assertSame(++$hits, $data['hits'], 'the session counter is alice\'s alone');
                self::assertNull(self::sessionCookie($reply), 'an existing session needs no new cookie');
            } else {
                self::assertNull($data['user']);
                self::assertNotSame($alice, $data['sid']);
                self::assertNotSame($bob, $data['sid']);
                self::assertSame(1, $data['hits']);
            }
        }
    }

    public function testRegeneratedSessionIdIsSent(): void
    {
        [$first, $second] = $this->drive([
            self::form('/bt/login', ['user' => 'carol']),
            ['uri' => 'http://localhost:8080/bt/whoami'],
        ]);
        $id = self::sessionCookie($first);
        [$relogin, $check] = $this->drive([
            self::form('/bt/login', ['user' => 'carol2'], 'POST', ['ci_session' => $id]),
            ['uri' => 'http://localhost:8080/bt/whoami'],
        ]);
        $newId = self::sessionCookie($relogin);
        self::assertNotNull($newId, 'regenerate() sends the new id');
        self::assertNotSame($id, $newId);
        self::assertStringNotContainsString('Max-Age=0', self::setCookies($relogin)[0]);
        [$who] = $this->drive([['uri' => 'http://localhost:8080/bt/whoami', 'cookies' => ['ci_session' => $newId]]]);
        self::assertSame('carol2', self::json($who)['user']);
    }

    public function testRedirectWithFlashData(): void
    {
        [$login] = $this->drive([self::form('/bt/login', ['user' => 'dave'])]);
        $sid = self::sessionCookie($login);
        [$redirect, $show, $again] = $this->drive([
            ['uri' => 'http://localhost:8080/bt/flash', 'cookies' => ['ci_session' => $sid]],
            ['uri' => 'http://localhost:8080/bt/whoami', 'cookies' => ['ci_session' => $sid]],
            ['uri' => 'http://localhost:8080/bt/whoami', 'cookies' => ['ci_session' => $sid]],
        ]);
        self::assertContains($redirect['status'], [302, 303, 307]);
        self::assertStringEndsWith('/bt/whoami', (string) self::header($redirect, 'Location'));
        self::assertSame('saved for dave', self::json($show)['flash']);
        self::assertNull(self::json($again)['flash'], 'flash data lives for one request');
    }

    public function testExitPathsKeepTheWorkerAlive(): void
    {
        foreach (['production', 'development'] as $env) {
            $replies = $this->drive([
                ['uri' => 'http://localhost:8080/bt/does-not-exist', 'headers' => ['Accept' => ['text/html']]],
                ['uri' => 'http://localhost:8080/bt/hello'],
                ['uri' => 'http://localhost:8080/bt/boom', 'headers' => ['Accept' => ['text/html']]],
                ['uri' => 'http://localhost:8080/bt/hello'],
                ['uri' => 'http://localhost:8080/bt/boom', 'headers' => ['Accept' => ['application/json']]],
                ['uri' => 'http://localhost:8080/bt/old-page'],
                ['uri' => 'http://localhost:8080/bt/https'],
                ['uri' => 'http://localhost:8080/bt/notice', 'headers' => ['Accept' => ['text/html']]],
                ['uri' => 'http://localhost:8080/bt/hello'],
            ], $env);
            [$notFound, $ok1, $boom, $ok2, $boomJson, $routeRedirect, $https, $notice, $ok3] = $replies;

            self::assertSame(404, $notFound['status'], $env);
            self::assertStringContainsString('404', $notFound['body']);
            self::assertSame(500, $boom['status'], $env);
            self::assertSame(500, $boomJson['status'], $env);
            if ($env === 'development') {
                self::assertStringContainsString('Burner test exception', $boom['body'], 'development shows the exception page');
                self::assertSame('Burner test exception', self::json($boomJson)['message']);
            } else {
                self::assertStringNotContainsString('Burner test exception', $boom['body'], 'production hides details');
                self::assertStringContainsString('Whoops', $boom['body']);
            }
            self::assertSame(self::legacy() ? 307 : 302, $routeRedirect['status'], 'route-level redirect (an exit path on CI 4.1)');
            self::assertStringEndsWith('/bt/hello', (string) self::header($routeRedirect, 'Location'));
            self::assertSame(307, $https['status'], 'force_https() (an exit path on CI 4.1)');
            self::assertStringStartsWith('https://', (string) self::header($https, 'Location'));
            self::assertSame('max-age=31536000', self::header($https, 'Strict-Transport-Security'));
            self::assertSame(500, $notice['status'], 'a PHP warning is an ErrorException (CI error handler)');
            foreach ([$ok1, $ok2, $ok3] as $ok) {
                self::assertSame(200, $ok['status']);
                self::assertStringStartsWith('hello from CodeIgniter', $ok['body']);
            }
            self::assertSame(0, $ok3['after']['ob_level'], 'no output buffer is left open');
        }
    }

    public function testDebugToolbarRequestsAreAnsweredWithoutExit(): void
    {
        [$page, $json, $loader, $missing, $ok] = $this->drive([
            ['uri' => 'http://localhost:8080/bt/view', 'headers' => ['Accept' => ['text/html']]],
            ['uri' => 'http://localhost:8080/bt/server'],
            ['uri' => 'http://localhost:8080/?debugbar'],
            ['uri' => 'http://localhost:8080/?debugbar_time=1', 'headers' => ['Accept' => ['text/html']]],
            ['uri' => 'http://localhost:8080/bt/hello'],
        ], 'development');
        self::assertSame(200, $page['status']);
        self::assertStringContainsString('?debugbar', $page['body'], 'the toolbar loader is injected into HTML pages');
        self::assertNotNull(self::header($json, 'Debugbar-Time'), 'non-HTML responses point to their toolbar data');
        self::assertSame('application/javascript', self::header($loader, 'Content-Type'));
        self::assertStringContainsString('debugbar', $loader['body']);
        self::assertSame(404, $missing['status']);
        self::assertStringStartsWith('hello from CodeIgniter', $ok['body']);

        $time = self::header($json, 'Debugbar-Time');
        [$bar] = $this->drive([
            ['uri' => 'http://localhost:8080/?debugbar_time=' . $time, 'headers' => ['Accept' => ['text/html']]],
        ], 'development');
        self::assertSame(200, $bar['status']);
        self::assertStringContainsString('toolbar', $bar['body']);
    }

    public function testDownloadsAreByteIdentical(): void
    {
        $expected = '';
        for ($i = 0; $i < 70000; $i++) {
            $expected .= chr(($i * 7 + 3) % 256);
        }
        [$binary, $file] = $this->drive([
            ['uri' => 'http://localhost:8080/bt/download'],
            ['uri' => 'http://localhost:8080/bt/downloadFile'],
        ]);
        self::assertSame(200, $binary['status']);
        self::assertSame(sha1($expected), sha1($binary['body']));
        self::assertStringContainsString('filename="burner.bin"', (string) self::header($binary, 'Content-Disposition'));
        self::assertSame('application/octet-stream', self::header($binary, 'Content-Type'));
        self::assertSame(str_repeat("line of the download file\n", 500), $file['body']);
        self::assertNull(self::header($file, 'X-Test-Streamed-Chunks'), 'small files are sent in one piece');

        [$big] = $this->drive([['uri' => 'http://localhost:8080/bt/downloadBig']]);
        $block = '';
        for ($i = 0; $i < 1024; $i++) {
            $block .= chr(($i * 31 + 7) % 256);
        }
        self::assertSame(200, $big['status']);
        self::assertSame(sha1(str_repeat($block, 5 * 1024)), sha1($big['body']));
        self::assertSame('5', self::header($big, 'X-Test-Streamed-Chunks'), 'large files are streamed in 1 MB chunks');
        self::assertStringContainsString('filename="burner-big.bin"', (string) self::header($big, 'Content-Disposition'));
        self::assertStringContainsString('filename="report.txt"', (string) self::header($file, 'Content-Disposition'));
    }

    public function testUserAgentFindingsAreRememberedPerStringAndMatchAFreshParse(): void
    {
        $chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
        $iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
        $agent = static fn (string $ua, array $more = []): array => ['uri' => 'http://localhost:8080/bt/agent', 'headers' => ['User-Agent' => [$ua]] + $more];
        $replies = $this->drive([
            $agent($chrome),
            $agent($iphone),
            $agent($chrome, ['Referer' => ['https://elsewhere.example/']]),
            $agent($iphone),
            ['uri' => 'http://localhost:8080/bt/agent'],
        ]);
        $bodies = array_map(static fn (array $r): array => self::json($r), $replies);
        self::assertSame([1, 2, 2, 2, 2], array_column($replies, 'agentMemo'), 'each distinct string is remembered once');
        self::assertSame('Chrome', $bodies[0]['browser']);
        self::assertSame('131.0.0.0', $bodies[0]['version']);
        self::assertTrue($bodies[0]['isChrome']);
        self::assertFalse($bodies[0]['isMobile']);
        self::assertTrue($bodies[1]['isMobile']);
        self::assertTrue($bodies[1]['isIphone']);
        self::assertSame(['Linux', 'Firefox', '120.0', true], $bodies[0]['other'], 'parse() on a copy sees the full lists');
        // The remembered answers are the parsed ones; only the referrer is the request's own.
        self::assertSame(array_merge($bodies[0], ['isReferral' => true, 'referrer' => 'https://elsewhere.example/']), $bodies[2]);
        self::assertFalse($bodies[0]['isReferral']);
        self::assertSame($bodies[1], $bodies[3]);
        self::assertSame('', $bodies[4]['string'], 'no User-Agent header: an empty agent, as before');
        self::assertFalse($bodies[4]['isBrowser']);
    }

    public function testHeadersAndContentSecurityPolicy(): void
    {
        [$reply, $again, $plain] = $this->drive([
            ['uri' => 'http://localhost:8080/bt/headers'],
            ['uri' => 'http://localhost:8080/bt/headers'],
            ['uri' => 'http://localhost:8080/bt/hello'],
        ]);
        // Each request starts from a response of its own: nothing added by the one before is carried over.
        self::assertSame('first, second', self::header($again, 'X-Multi'));
        $csp = static fn (array $r) => self::header($r, 'Content-Security-Policy');
        self::assertNotSame($csp($reply), $csp($again), 'a new nonce per request');
        self::assertSame(200, $plain['status']);
        self::assertNull(self::header($plain, 'X-Single'));
        self::assertNull(self::header($plain, 'Content-Security-Policy'));
        self::assertSame(202, $reply['status']);
        self::assertSame('one', self::header($reply, 'X-Single'));
        self::assertSame('first, second', self::header($reply, 'X-Multi'));
        self::assertStringStartsWith('no-store, max-age=0', (string) self::header($reply, 'Cache-Control'));
        $csp = (string) self::header($reply, 'Content-Security-Policy');
        self::assertStringContainsString('https://cdn.example.com', $csp);
        // hex before CI 4.6, base64 since
        self::assertMatchesRegularExpression("~'nonce-([0-9A-Za-z+/=]+)'~", $csp);
        preg_match("~'nonce-([0-9A-Za-z+/=]+)'~", $csp, $m);
        self::assertSame('<script nonce="' . $m[1] . '">var a = 1;</script>', $reply['body'], 'the nonce placeholder is replaced');
    }

    public function testDatabaseReadWriteAndOpenTransactionsAreRolledBack(): void
    {
        $replies = $this->drive([
            self::form('/bt/db', ['body' => 'first note']),
            self::form('/bt/db', ['body' => 'second note']),
            ['uri' => 'http://localhost:8080/bt/transaction'],
            ['uri' => 'http://localhost:8080/bt/db'],
        ]);
        $first = self::json($replies[0]);
        $second = self::json($replies[1]);
        self::assertSame($first['count'] + 1, $second['count']);
        self::assertSame('second note', $second['latest'][0]['body']);
        self::assertSame('transaction left open', $replies[2]['body']);
        $after = self::json($replies[3]);
        self::assertSame($second['count'], $after['count'], 'the open transaction was rolled back after its request');
    }

    public function testRequestStateDoesNotLeak(): void
    {
        $replies = $this->drive([
            ['uri' => 'http://localhost:8080/bt/state?leak=1', 'cookies' => ['a' => 'b']],
            self::form('/bt/state', ['p' => '1']),
            ['uri' => 'http://localhost:8080/bt/state'],
        ]);
        self::assertSame('1', self::json($replies[0])['get_leak']);
        self::assertSame(1, self::json($replies[0])['cookie_count']);
        $clean = self::json($replies[2]);
        self::assertNull($clean['get_leak']);
        self::assertSame(0, $clean['post_count']);
        self::assertSame(0, $clean['cookie_count']);
        self::assertFalse($clean['response_leak'], 'the response service is rebuilt for every request');
        foreach ($replies as $reply) {
            $after = $reply['after'];
            self::assertSame([], $after['get']);
            self::assertSame([], $after['post']);
            self::assertSame([], $after['cookie']);
            self::assertSame('', $after['session_id']);
            self::assertEqualsCanonicalizing($this->keptServices(), $after['services']);
        }
    }

    /** The shared services left after a request: the built-in list, or the app's WorkerMode list (CI 4.7). */
    private function keptServices(): array
    {
        if (is_file(self::$apps[static::version()] . '/app/Config/WorkerMode.php')) {
            // CI 4.7's default WorkerMode::$persistentServices, those of them that exist after a request
            return ['autoloader', 'locator', 'exceptions', 'cache', 'codeigniter', 'superglobals', 'routes'];
        }

        return ['autoloader', 'locator', 'exceptions', 'cache'];
    }

    public function testOutputEscapingToStdoutRetiresTheWorker(): void
    {
        $stdout = '';
        [$escaped, $next] = CiApp::drive(self::$apps[static::version()], [
            ['uri' => 'http://localhost:8080/bt/escape'],
            ['uri' => 'http://localhost:8080/bt/hello', 'cookies' => ['ci_session' => 'abc']],
        ], 'production', $stdout);
        self::assertStringContainsString('escaped', $stdout);
        self::assertTrue($escaped['after']['must_restart'], 'the worker exits after answering');
        self::assertSame(500, $next['status'], 'nothing more is served: the session id could no longer be changed');
    }

    public function testListenersAddedDuringARequestDoNotPileUp(): void
    {
        $replies = $this->drive(array_fill(0, 4, ['uri' => 'http://localhost:8080/bt/events']));
        foreach ($replies as $i => $reply) {
            self::assertSame(1, self::json($reply)['inner_calls'], "request {$i}");
        }
    }

    public function testPersistentServicesAreKeptAndOthersRebuilt(): void
    {
        $replies = $this->drive(array_fill(0, 3, ['uri' => 'http://localhost:8080/bt/services']));
        // Routes persist on CI 4.1-4.3 ($persistRoutes) and where WorkerMode keeps them (CI 4.7).
        $routesKept = self::legacy() || in_array('routes', $this->keptServices(), true);
        foreach (array_slice($replies, 1) as $reply) {
            self::assertSame(['timer' => false, 'routes' => $routesKept], self::json($reply));
        }
    }

    /**
     * An app set up for CI 4.7's worker mode (FrankenPHP) runs with its app/Config/WorkerMode.php as it is: its
     * $persistentServices decide what is kept, on a copy of the app with a WorkerMode of its own.
     */
    public function testWorkerModeConfigIsHonoured(): void
    {
        $app = self::$apps[static::version()];
        if (! is_file($app . '/app/Config/WorkerMode.php')) {
            self::markTestSkipped('CodeIgniter ' . static::version() . ' has no app/Config/WorkerMode.php');
        }
        $copy = sys_get_temp_dir() . '/burner-workermode-' . getmypid();
        exec('cp -a ' . escapeshellarg($app) . ' ' . escapeshellarg($copy), $out, $code);
        self::assertSame(0, $code);
        try {
            $mode = (string) file_get_contents($copy . '/app/Config/WorkerMode.php');
            $mode = (string) preg_replace(
                '/public array \$persistentServices = \[.*?\];/s',
                "public array \$persistentServices = ['autoloader', 'locator', 'exceptions', 'codeigniter', 'timer'];",
                $mode,
            );
            $mode = str_replace('public bool $forceGarbageCollection = true;', 'public bool $forceGarbageCollection = false;', $mode);
            file_put_contents($copy . '/app/Config/WorkerMode.php', $mode);
            $replies = CiApp::drive($copy, array_fill(0, 3, ['uri' => 'http://localhost:8080/bt/services']));
            foreach (array_slice($replies, 1) as $reply) {
                self::assertSame(['timer' => true, 'routes' => false], self::json($reply), 'timer kept, routes rebuilt');
                self::assertEqualsCanonicalizing(['autoloader', 'locator', 'exceptions', 'codeigniter', 'timer'], $reply['after']['services']);
            }
        } finally {
            exec('rm -rf ' . escapeshellarg($copy));
        }
    }

    public function testConfigObjectsAreBuiltOncePerWorkerAndEveryRequestGetsAFreshCopy(): void
    {
        $replies = $this->drive([
            ['uri' => 'http://one.test:8080/bt/configs?who=one'],
            ['uri' => 'http://two.test/bt/configs?who=two'],
            ['uri' => 'http://three.test/bt/configs?who=three'],
        ]);
        $seen = array_map(static fn (array $reply): array => self::json($reply), $replies);
        foreach ($seen as $i => $config) {
            // Every request starts from the configured values, whatever the one before changed on its copy.
            self::assertSame('pristine', $config['value'], "request {$i}");
            self::assertSame(['a'], $config['list'], "request {$i}");
            self::assertSame('en', $config['default_locale'], "request {$i}");
        }
        // A config with a constructor of the app's own is still built per request, from that request.
        self::assertSame(['one.test:8080', 'two.test', 'three.test'], array_column($seen, 'host'));
        // Built by the first request (and once more, pristine, after it); never again.
        self::assertGreaterThanOrEqual(1, $seen[0]['builds']);
        self::assertSame($seen[1]['builds'], $seen[2]['builds'], 'no construction per request once kept');
    }

    public function testTheStockDatabaseConfigIsBuiltOncePerWorker(): void
    {
        [$reply] = $this->drive([
            ['uri' => 'http://localhost:8080/bt/hello', 'keeps' => ['Config\\Database', 'Config\\BtDynamic', 'Config\\BtCounter']],
        ]);
        // The app template's Config\Database constructor depends on ENVIRONMENT only: kept. A constructor of the
        // app's own that reads the request (BtDynamic) is not.
        self::assertSame(['Config\\Database' => true, 'Config\\BtDynamic' => false, 'Config\\BtCounter' => true], $reply['keeps']);
    }

    public function testTheFileLocatorRemembersWhatTheFileSystemSays(): void
    {
        $replies = $this->drive([['uri' => 'http://localhost/bt/locator'], ['uri' => 'http://localhost/bt/locator']]);
        foreach ($replies as $reply) {
            $seen = self::json($reply);
            self::assertSame('Burner\\CodeIgniter\\MemoizingFileLocator', $seen['class']);
            self::assertTrue($seen['search']);
            self::assertGreaterThanOrEqual(1, $seen['found']);
            self::assertSame('App\\Controllers\\Bt', $seen['classname']);
            self::assertTrue($seen['same_classname']);
        }
    }
}
