import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk, parseWrkTime } from '../../bench/wrk.js';
import { summarize, type Round } from '../../bench/report.js';

// Output of Debian's wrk 4.1.0 (`wrk -t1 -c32 -d2s --latency`), as captured on this machine.
const PLAIN = `Running 2s test @ http://127.0.0.1:18881/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.32ms    4.55ms  51.82ms   86.99%
    Req/Sec     4.65k     1.85k    7.97k    65.00%
  Latency Distribution
     50%    5.74ms
     75%    8.60ms
     90%   12.63ms
     99%   24.82ms
  9265 requests in 2.01s, 1.57MB read
Requests/sec:   4611.74
Transfer/sec:    801.65KB
`;

const WITH_ERRORS = `Running 1m test @ http://127.0.0.1:1234/bench/json
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.00us    1.20ms   1.02s    99.00%
    Req/Sec    30.12k     2.00k   35.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.00ms
     90%    1.50ms
     99%    1.02s
  1806000 requests in 1.00m, 300.00MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 17
Requests/sec:  30100.00
Transfer/sec:      5.00MB
`;

test('parses requests, duration, rate and the 50th/99th percentiles', () => {
  assert.deepEqual(parseWrk(PLAIN), {
    requests: 9265,
    seconds: 2.01,
    reqPerSec: 4611.74,
    p50Ms: 5.74,
    p99Ms: 24.82,
    socketErrors: 0,
    non2xx: 0,
  });
});

test('converts microseconds, seconds and minutes, and counts socket errors and non-2xx answers', () => {
  const r = parseWrk(WITH_ERRORS);
  assert.equal(r.requests, 1_806_000);
  assert.equal(r.seconds, 60);
  assert.ok(Math.abs(r.p50Ms - 0.812) < 1e-9);
  assert.equal(r.p99Ms, 1020);
  assert.equal(r.socketErrors, 10);
  assert.equal(r.non2xx, 17);
});

test('refuses output without the latency distribution, naming the likely cause', () => {
  const withoutLatency = PLAIN.replace(/ {2}Latency Distribution[\s\S]*?99%\s+\S+\n/, '');
  assert.throws(() => parseWrk(withoutLatency), /--latency/);
  assert.throws(() => parseWrkTime('12 parsecs'), /cannot read the time/);
});

test('summarize weighs rounds by requests and keeps the RSS peak', () => {
  const round = (requests: number, seconds: number, serverCpuUs: number, rss: number): Round => ({
    side: 'burner',
    wrk: { requests, seconds, reqPerSec: requests / seconds, p50Ms: 1, p99Ms: 3, socketErrors: 0, non2xx: 0 },
    serverCpuUs,
    workerCpuUs: 0,
    serverRssPeakKb: rss,
    workerRssPeakKb: 0,
  });
  const s = summarize([round(1000, 1, 10_000, 500), round(3000, 1, 50_000, 700)]);
  assert.equal(s.reqPerSec, 2000);
  assert.equal(s.serverCpuUsPerReq, 15);
  assert.equal(s.serverRssKb, 700);
});
