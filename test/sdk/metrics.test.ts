/**
 * Issue 11: spiral/roadrunner-metrics 3.1.0 against `rr serve`: `$metrics->add('app_hits', 1)` from a worker (the call
 * php/README.md shows), collectors from `metrics.collect`, and the full Declare/Add/Sub/Set/Observe/Unregister set,
 * all on the metrics endpoint next to rr_http_*. Reference: roadrunner-server/metrics rpc.go, config.go, plugin.go.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, freePort, serve, type Served } from '../e2e/harness.js';
import { installSdk, runSdkRpc } from './install.js';

const sdk = await installSdk();

function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

describe('rr serve: application metrics through the official client', { skip: sdk.skip ?? false }, () => {
  let s: Served;
  let rpcPort: number;
  let metricsPort: number;
  before(async () => {
    rpcPort = await freePort();
    metricsPort = await freePort();
    s = await serve(`version: "3"
rpc:
  listen: tcp://127.0.0.1:${rpcPort}
server:
  command: "php ${path.join(FIXTURES, 'sdk', 'worker.php')} ${sdk.autoload} psr7"
http:
  address: 127.0.0.1:{{PORT}}
  pool:
    num_workers: 1
    destroy_timeout: 5s
metrics:
  address: 127.0.0.1:${metricsPort}
  collect:
    app_hits:
      type: counter
      help: "Hits by route."
      labels: ["route"]
    app_yaml_jobs:
      type: counter
      help: "Jobs."
      labels: ["queue"]
    app_yaml_seconds:
      type: histogram
      buckets: [0.1, 1]
`);
  });
  after(async () => {
    if (s) assert.equal(await s.stop(), 0);
  });

  test('$metrics->add() from a worker and the full RPC set land on the metrics endpoint', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${s.url}/metrics-hit?route=home`);
      assert.equal(await res.text(), 'counted', 'metrics.Add from the worker succeeded');
    }
    const out = await runSdkRpc(sdk.autoload!, `tcp://127.0.0.1:${rpcPort}`, 'metrics');
    assert.equal(out.declareCounter, null, JSON.stringify(out.declareCounter));
    assert.deepEqual(out.collectFromYaml, [null, null]);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.equal(sample(text, 'app_hits{route="home"}'), 3);
    assert.equal(sample(text, 'app_orders{kind="web"}'), 3);
    assert.equal(sample(text, 'app_queue'), 7);
    assert.equal(sample(text, 'app_yaml_jobs{queue="mail"}'), 4);
    assert.equal(sample(text, 'app_yaml_seconds_count'), 1);
    assert.match(text, /rr_http_total_workers 1/);
  });
});
