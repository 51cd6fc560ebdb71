<?php

/**
 * The in-process ceiling: CodeIgniter booted once in this PHP process, then the same request served in a loop through
 * the bridge's per-request functions (Burner\CodeIgniter\Kernel::handle() + afterResponse()), with no HTTP and no
 * relay. This is what one Burner worker could do if the server and the frames cost nothing.
 *
 *   php -d opcache.enable_cli=1 bench/ceiling.php <ci4-app-root> <path> <seconds> [<warmup-requests>] [<cookie>]
 *
 * <cookie> ("name=value", e.g. the realistic page's ci_session) goes with every request, as a browser sends it; the
 * page's services are found through the environment (BENCH_DB_PORT, BENCH_REDIS_PORT), as in the servers' workers.
 *
 * Prints one JSON line: requests, seconds, reqPerSec, p50Us, p99Us, cpuUsPerReq, status, bodyBytes, rssKb.
 */

declare(strict_types=1);

[$script, $appRoot, $path, $seconds] = $argv + [null, null, null, null];
if ($appRoot === null || $path === null || $seconds === null) {
    fwrite(STDERR, "usage: php bench/ceiling.php <ci4-app-root> <path> <seconds> [<warmup>] [<cookie>]\n");
    exit(2);
}
$warmup = (int) ($argv[4] ?? 200);
$cookie = (string) ($argv[5] ?? '');

require $appRoot . '/vendor/autoload.php';

use Burner\CodeIgniter\Kernel;
use Burner\Http\Request;

$kernel = Kernel::boot($appRoot);

$request = new Request();
$request->remoteAddr = '127.0.0.1';
$request->method = 'GET';
$request->uri = 'http://127.0.0.1:8080' . $path;
// The headers wrk sends: none but Host, which the server turns into the URI and leaves out of the headers. (An Accept
// and a User-Agent here made the welcome page ~40 µs dearer than the requests the servers are measured with.)
$request->headers = [];
if ($cookie !== '') {
    [$name, $value] = explode('=', $cookie, 2) + [1 => ''];
    $request->headers['Cookie'] = [$cookie];
    $request->cookies = [$name => $value];
}

$serve = static function () use ($kernel, $request) {
    // A fresh copy each time, as a worker gets a freshly decoded request.
    $reply = $kernel->handle(clone $request);
    $kernel->afterResponse();

    return $reply;
};

for ($i = 0; $i < $warmup; $i++) {
    $serve();
}

$times = [];
$ru0 = getrusage();
$start = hrtime(true);
$deadline = $start + (int) ((float) $seconds * 1e9);
$status = 0;
$bytes = 0;
do {
    $t0 = hrtime(true);
    $reply = $serve();
    $t1 = hrtime(true);
    $times[] = $t1 - $t0;
    $status = $reply->status;
    $bytes = strlen($reply->body);
} while ($t1 < $deadline);
$elapsed = (hrtime(true) - $start) / 1e9;
$ru1 = getrusage();

$cpuUs = ($ru1['ru_utime.tv_sec'] - $ru0['ru_utime.tv_sec']) * 1e6 + ($ru1['ru_utime.tv_usec'] - $ru0['ru_utime.tv_usec'])
    + ($ru1['ru_stime.tv_sec'] - $ru0['ru_stime.tv_sec']) * 1e6 + ($ru1['ru_stime.tv_usec'] - $ru0['ru_stime.tv_usec']);
sort($times);
$n = count($times);
$pct = static fn (float $p): float => $times[min($n - 1, (int) floor($p * $n))] / 1000;
$rss = 0;
if (preg_match('/^VmRSS:\s+(\d+)/m', (string) @file_get_contents('/proc/self/status'), $m)) {
    $rss = (int) $m[1];
}

// Straight to the stream: the bridge keeps output buffers of its own.
fwrite(STDOUT, json_encode([
    'requests' => $n,
    'seconds' => $elapsed,
    'reqPerSec' => $n / $elapsed,
    'p50Us' => $pct(0.50),
    'p99Us' => $pct(0.99),
    'cpuUsPerReq' => $cpuUs / $n,
    'status' => $status,
    'bodyBytes' => $bytes,
    'rssKb' => $rss,
]) . "\n");
