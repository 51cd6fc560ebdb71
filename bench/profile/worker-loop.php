<?php

/**
 * Where a CodeIgniter worker's CPU goes per request, phase by phase: the REAL worker loop of
 * php/worker/codeigniter.php (Worker + HttpWorker over a real relay, Kernel::handle(), respond(), afterResponse())
 * fed with copies of one request frame exactly as the server sends it, against the in-process ceiling.
 *
 *   php -d opcache.enable_cli=1 bench/profile/worker-loop.php <mode> [<requests>] [<ci4-app-root>] [<frame-file>]
 *
 * <mode>:
 *   ceiling       Kernel::handle(clone $request) + afterResponse() in a loop (bench/ceiling.php), no relay
 *   memory        the worker loop reading N frames from a php://memory stream, answers written to /dev/null
 *   pipe:<W>      the worker loop on real OS pipes to a feeder process that keeps W requests in flight:
 *                 pipe:1 is ping-pong (the worker blocks on its pipe between requests, as behind the server when
 *                 requests do not queue), pipe:64 never lets it block (what pipelining would give)
 *   pipe:<W>:<D>[:<KB>]  the feeder waits D µs after each answer before it sends the next frame (the server's and
 *                 the client's share of a round trip): sleeping, or with <KB> walking through that much memory
 *                 (another process using the core and its caches meanwhile; pin both with `taskset -c 0`)
 *
 * <frame-file> holds one request frame as the server writes it (default: the JSON context of wrk's `GET /`).
 * Prints one JSON line: CPU µs per request (user, sys) and the wall µs per phase (recv = waiting for and reading
 * the frame, decode = context → Request, handle = Kernel::handle(), respond = encode + write, after =
 * afterResponse()).
 */

declare(strict_types=1);

$mode = $argv[1] ?? 'memory';
if ($mode === 'feeder') {
    feeder((string) $argv[2], (int) $argv[3], (int) $argv[4], (int) $argv[5], (int) $argv[6]);
    exit(0);
}
$requests = (int) ($argv[2] ?? 20000);
$appRoot = $argv[3] ?? __DIR__ . '/../../tmp/bench/ci4-4.7.2';
$frame = isset($argv[4]) ? (string) file_get_contents($argv[4]) : defaultFrame();
$warmup = 500;

require $appRoot . '/vendor/autoload.php';

use Burner\CodeIgniter\Kernel;
use Burner\Http\HttpWorker;
use Burner\Relay\StreamRelay;
use Burner\Worker\Worker;

$kernel = Kernel::boot($appRoot);
$phases = ['recv' => 0, 'decode' => 0, 'handle' => 0, 'respond' => 0, 'after' => 0];

if ($mode === 'ceiling') {
    $request = (new HttpWorker(new Worker(new StreamRelay(STDIN, STDOUT), false)))->decode(payloadOf($frame));
    $serve = static function () use ($kernel, $request, &$phases): void {
        $t0 = hrtime(true);
        $kernel->handle(clone $request);
        $t1 = hrtime(true);
        $kernel->afterResponse();
        $t2 = hrtime(true);
        $phases['handle'] += $t1 - $t0;
        $phases['after'] += $t2 - $t1;
    };
    for ($i = 0; $i < $warmup; $i++) {
        $serve();
    }
    $phases = array_map(static fn () => 0, $phases);
    $ru0 = getrusage();
    $start = hrtime(true);
    for ($i = 0; $i < $requests; $i++) {
        $serve();
    }
    report($mode, $requests, $start, $ru0, $phases);
    exit(0);
}

if ($mode === 'memory') {
    $in = fopen('php://memory', 'w+b');
    fwrite($in, str_repeat($frame, $warmup + $requests));
    rewind($in);
    $out = fopen('/dev/null', 'wb');
    $feeder = null;
} elseif (preg_match('/^pipe:(\d+)(?::(\d+)(?::(\d+))?)?$/', $mode, $m) === 1) {
    $file = tempnam(sys_get_temp_dir(), 'frame');
    file_put_contents($file, $frame);
    $feeder = proc_open(
        [PHP_BINARY, __FILE__, 'feeder', $file, (string) ($warmup + $requests), $m[1], $m[2] ?? '0', $m[3] ?? '0'],
        [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => STDERR],
        $pipes,
    );
    [$out, $in] = [$pipes[0], $pipes[1]];
} else {
    fwrite(STDERR, "unknown mode {$mode}\n");
    exit(2);
}

// As php/worker/codeigniter.php runs it (Worker::create() intercepts output).
$worker = new Worker(new StreamRelay($in, $out));
$http = new HttpWorker($worker);
$served = 0;
$ru0 = getrusage();
$start = hrtime(true);
while (true) {
    if ($served === $warmup) {
        $phases = array_map(static fn () => 0, $phases);
        $ru0 = getrusage();
        $start = hrtime(true);
    }
    $t0 = hrtime(true);
    $payload = $served < $warmup + $requests ? $worker->waitPayload() : null;
    if ($payload === null) {
        break;
    }
    $t1 = hrtime(true);
    $request = $http->decode($payload);
    $t2 = hrtime(true);
    $reply = $kernel->handle($request);
    $t3 = hrtime(true);
    if ($reply->stream !== null) {
        $http->respondStream($reply->status, $reply->stream, $reply->headers);
    } else {
        $http->respond($reply->status, $reply->body, $reply->headers);
    }
    $t4 = hrtime(true);
    $kernel->afterResponse();
    $t5 = hrtime(true);
    $phases['recv'] += $t1 - $t0;
    $phases['decode'] += $t2 - $t1;
    $phases['handle'] += $t3 - $t2;
    $phases['respond'] += $t4 - $t3;
    $phases['after'] += $t5 - $t4;
    $served++;
}
report($mode, $served - $warmup, $start, $ru0, $phases);
if ($feeder !== null) {
    fclose($out);
    fclose($in);
    proc_close($feeder);
}

/** @param array<string, int> $phases */
function report(string $mode, int $n, int $start, array $ru0, array $phases): void
{
    $wall = (hrtime(true) - $start) / 1e3;
    $ru1 = getrusage();
    $us = static fn (string $k) => ($ru1["ru_{$k}.tv_sec"] - $ru0["ru_{$k}.tv_sec"]) * 1e6 + ($ru1["ru_{$k}.tv_usec"] - $ru0["ru_{$k}.tv_usec"]);
    fwrite(STDOUT, json_encode([
        'mode' => $mode,
        'requests' => $n,
        'wallUsPerReq' => round($wall / $n, 1),
        'userUsPerReq' => round($us('utime') / $n, 1),
        'sysUsPerReq' => round($us('stime') / $n, 1),
        'cpuUsPerReq' => round(($us('utime') + $us('stime')) / $n, 1),
        'phaseUs' => array_map(static fn (int $ns) => round($ns / 1e3 / $n, 1), $phases),
        'ctxSwitches' => ($ru1['ru_nvcsw'] - $ru0['ru_nvcsw']) + ($ru1['ru_nivcsw'] - $ru0['ru_nivcsw']),
    ]) . "\n");
}

function payloadOf(string $frame): Burner\Worker\Payload
{
    $f = Burner\Frame::unpack($frame);
    $h = $f->options[0];

    return new Burner\Worker\Payload(substr($f->payload, 0, $h), substr($f->payload, $h), $f->flags);
}

/** The frame the server sends for wrk's `GET /` (captured from a real server, JSON codec). */
function defaultFrame(): string
{
    $context = '{"remoteAddr":"127.0.0.1","protocol":"HTTP/1.1","method":"GET","uri":"http://127.0.0.1:8080/",'
        . '"headers":{},"cookies":{},"rawQuery":"","parsed":false,"uploads":null,"attributes":{}}';
    $head = pack('CCV', 0x14, 0x08, strlen($context));

    return $head . pack('VCC', crc32($head), 0, 0) . pack('V', strlen($context)) . $context;
}

/**
 * The other end: writes $total frames keeping $window of them unanswered, and reads every answer; after each
 * answer it waits $delayUs (asleep, or writing through $pollKb KB of memory).
 */
function feeder(string $file, int $total, int $window, int $delayUs, int $pollKb): void
{
    $junk = $pollKb > 0 ? array_fill(0, $pollKb * 128, 0) : []; // 8-byte slots... in 16-byte zvals: ~2x the KB
    $slots = count($junk);
    $pos = 0;
    $frame = (string) file_get_contents($file);
    @unlink($file);
    $in = STDIN;
    $out = STDOUT;
    $sent = 0;
    $answered = 0;
    $read = static function (int $n) use ($in): string {
        $buf = '';
        while (strlen($buf) < $n) {
            $chunk = fread($in, $n - strlen($buf));
            if ($chunk === false || $chunk === '') {
                if (feof($in)) {
                    exit(1);
                }
                continue;
            }
            $buf .= $chunk;
        }

        return $buf;
    };
    while ($answered < $total) {
        $batch = '';
        while ($sent < $total && $sent - $answered < $window) {
            $batch .= $frame;
            $sent++;
        }
        if ($batch !== '') {
            fwrite($out, $batch);
        }
        $header = $read(12);
        $words = ord($header[0]) & 0x0F;
        $length = unpack('V', $header, 2)[1];
        $rest = ($words - 3) * 4 + $length;
        if ($rest > 0) {
            $read($rest);
        }
        if ((ord($header[10]) & 0x01) === 0) {
            $answered++; // a STREAM chunk is not the end of the answer
            if ($delayUs > 0 && $slots === 0) {
                usleep($delayUs);
            } elseif ($delayUs > 0) {
                $until = hrtime(true) + $delayUs * 1000;
                do {
                    for ($i = 0; $i < 512; $i++) {
                        $junk[$pos] = $i; // one write per 64-byte line (4 zvals)
                        $pos = ($pos + 4) % $slots;
                    }
                } while (hrtime(true) < $until);
            }
        }
    }
    fclose($out);
    // Wait for the worker to close its side.
    while (!feof($in) && fread($in, 8192) !== '') {
    }
}
