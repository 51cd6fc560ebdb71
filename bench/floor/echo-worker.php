<?php

// The PHP side of the bench's "floor" (bench/floor/server.ts): the least a goridge worker can do per request, with no
// SDK. It reads one frame from STDIN, and answers with one precomputed frame in one fwrite: the same status, header
// and 14-byte body as bench/apps/hello. The request itself is never decoded — only control frames are (handshake,
// stop) — so what Node spends per request here is the relay's cost, not PHP's.

declare(strict_types=1);

const CONTROL = 0x01;
const CODEC_JSON = 0x08;

/** One goridge v1 frame: 12-byte header (CRC-32 over bytes 0..5), uint32 LE options, payload. */
function frame(int $flags, array $options, string $payload): string
{
    $head = pack('CCV', (1 << 4) | (3 + count($options)), $flags, strlen($payload));
    $head .= pack('V', crc32($head)) . "\0\0";
    foreach ($options as $option) {
        $head .= pack('V', $option);
    }
    return $head . $payload;
}

/** Exactly $n bytes from STDIN, or null at EOF (fread on a pipe may return less than asked for). */
function readExactly(int $n): ?string
{
    $data = '';
    while (strlen($data) < $n) {
        $chunk = fread(STDIN, $n - strlen($data));
        if ($chunk === false || $chunk === '') {
            return null;
        }
        $data .= $chunk;
    }
    return $data;
}

$header = '{"status":200,"headers":{"Content-Type":["text/plain; charset=UTF-8"]}}';
$response = frame(CODEC_JSON, [strlen($header)], $header . "Hello, world!\n");
// FLOOR_SLEEP_US (bench/profile/): time "spent" per request without CPU, to run the floor at a slow page's rate.
$sleepUs = (int) (getenv('FLOOR_SLEEP_US') ?: 0);

while (($head = readExactly(12)) !== null) {
    $flags = ord($head[1]);
    $rest = (((ord($head[0]) & 0x0f) - 3) * 4) + unpack('V', $head, 2)[1];
    $body = $rest > 0 ? readExactly($rest) : '';
    if ($body === null) {
        break;
    }
    if ($flags & CONTROL) {
        // Control frames carry no options: the whole rest is the JSON document.
        $msg = json_decode($body, true);
        if (!empty($msg['stop'])) {
            break;
        }
        if (!empty($msg['pid'])) {
            fwrite(STDOUT, frame(CONTROL | CODEC_JSON, [], json_encode(['pid' => getmypid()])));
        }
        continue;
    }
    if ($sleepUs > 0) {
        usleep($sleepUs);
    }
    fwrite(STDOUT, $response);
}
