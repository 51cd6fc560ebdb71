/**
 * The metrics plugin's RPC (metrics.Declare/Add/Sub/Set/Observe/Unregister) and metrics.collect, driven by the
 * official spiral/roadrunner-metrics 3.1.0 client over a real RPC socket, checked on the real metrics endpoint.
 * Expected behaviour and error texts: roadrunner-server/metrics rpc.go and config.go.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../src/metrics/index.js';
import { RpcServer } from '../../src/rpc/server.js';
import { RpcClient } from '../../src/rpc/client.js';
import { rpcMethods } from '../../src/rpc/methods.js';
import { installSdk, runSdkRpc } from '../sdk/install.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** metrics.collect as .rr.yaml gives it (objectives in the list form RoadRunner's docs show). */
const COLLECT = {
  app_yaml_jobs: { type: 'counter', help: 'Jobs from the yaml.', labels: ['queue'] },
  app_yaml_seconds: { type: 'histogram', help: 'Seconds from the yaml.', buckets: [0.1, 1] },
  app_yaml_quantiles: { type: 'summary', help: 'Quantiles.', objectives: [{ 0.5: 0.05 }, { 0.9: 0.01 }] },
};

async function started(): Promise<{ metrics: Metrics; rpc: RpcServer; rpcAddress: string; url: string; close(): Promise<void> }> {
  const metrics = new Metrics({ collect: COLLECT });
  const rpc = new RpcServer(rpcMethods({ pools: new Map(), checkers: new Map(), rawConfig: {}, metrics: metrics.app }), silent);
  const addr = await rpc.listen('tcp://127.0.0.1:0');
  const port = await metrics.listen('127.0.0.1:0');
  return {
    metrics,
    rpc,
    rpcAddress: `tcp://127.0.0.1:${addr.port}`,
    url: `http://127.0.0.1:${port}/metrics`,
    async close() {
      await rpc.close();
      await metrics.close();
    },
  };
}

/** The value of one sample line `name{labels} value` of the exposition text. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

const sdk = await installSdk();

describe('metrics RPC through spiral/roadrunner-metrics 3.1.0', { skip: sdk.skip ?? false }, () => {
  let s: Awaited<ReturnType<typeof started>>;
  let out: Record<string, any>;
  let text: string;
  before(async () => {
    s = await started();
    out = await runSdkRpc(sdk.autoload!, s.rpcAddress, 'metrics');
    text = await (await fetch(s.url)).text();
  });
  after(() => s?.close());

  test('declare, add, set, sub, observe succeed (null = void return) and re-declaring is suppressed by the client', () => {
    for (const key of [
      'declareCounter',
      'declareAgain',
      'declareGauge',
      'declareHistogram',
      'declareSummary',
      'declareGone',
      'set',
      'sub',
      'unregister',
    ]) {
      assert.equal(out[key], null, `${key}: ${JSON.stringify(out[key])}`);
    }
    assert.deepEqual(out.add, [null, null, null]);
    assert.deepEqual(out.observe, [null, null, null]);
    assert.deepEqual(out.collectFromYaml, [null, null]);
  });

  test('the samples are on the metrics endpoint next to the built-in ones', () => {
    assert.match(text, /# HELP app_orders Orders placed\.\n# TYPE app_orders counter/);
    assert.equal(sample(text, 'app_orders{kind="web"}'), 3);
    assert.equal(sample(text, 'app_orders{kind="api"}'), 1.5);
    assert.equal(sample(text, 'app_queue'), 7);
    assert.equal(sample(text, 'app_latency_bucket{le="0.1",route="/a"}'), 0);
    assert.equal(sample(text, 'app_latency_bucket{le="0.5",route="/a"}'), 1);
    assert.equal(sample(text, 'app_latency_bucket{le="1",route="/a"}'), 2);
    assert.equal(sample(text, 'app_latency_count{route="/b"}'), 1);
    assert.equal(sample(text, 'app_latency_sum{route="/a"}'), 1);
    // namespace + subsystem prefix the name (Go's BuildFQName); no objectives → no quantiles, as in Go.
    assert.equal(sample(text, 'shop_cart_app_size_count'), 2);
    assert.equal(sample(text, 'shop_cart_app_size_sum'), 8);
    assert.doesNotMatch(text, /shop_cart_app_size\{quantile/);
    assert.equal(sample(text, 'app_yaml_jobs{queue="mail"}'), 4);
    assert.equal(sample(text, 'app_yaml_seconds_bucket{le="1"}'), 1);
    assert.match(text, /app_yaml_quantiles\{quantile="0\.5"\} /);
    assert.match(text, /app_yaml_quantiles\{quantile="0\.9"\} /);
    assert.doesNotMatch(text, /app_gone/, 'unregistered collector is gone');
    assert.match(text, /# TYPE rr_http_request_total counter/);
    assert.match(text, /# TYPE process_cpu_seconds_total counter/);
  });

  test('errors are worded as RoadRunner words them and reach PHP as MetricsException', () => {
    const expect: Record<string, string> = {
      addUndeclared: 'metrics_plugin_add: undefined collector app_nope, try first Declare the desired collector',
      subCounter: 'metrics_plugin_sub: collector `app_orders` does not support method `Sub`',
      observeGauge: 'metrics_plugin_observe: collector `app_queue` does not support method `Observe`',
      setHistogram: 'metrics_plugin_set: collector `app_latency` does not support method Set',
      addNoLabels: 'metrics_plugin_add: required labels for collector `app_orders`',
      addWrongLabels: 'metrics_plugin_add: inconsistent label cardinality: expected 1 label values but got 2 in []string{"a", "b"}',
      unregisterUnknown: 'metrics_plugin_unregister: undefined collector app_gone',
      badType: 'metrics_plugin_declare: unknown collector type meter',
    };
    for (const [key, message] of Object.entries(expect)) {
      const err = out[key] as { class: string; message: string };
      assert.ok(err?.message, `${key} failed: ${JSON.stringify(err)}`);
      assert.ok(err.message.includes(message), `${key}: ${err.message}`);
    }
    assert.equal(out.addUndeclared.class, 'Spiral\\RoadRunner\\Metrics\\Exception\\MetricsException');
  });
});

describe('metrics RPC without PHP', () => {
  let s: Awaited<ReturnType<typeof started>>;
  let c: RpcClient;
  before(async () => {
    s = await started();
    c = await RpcClient.connect(s.rpcAddress);
  });
  after(async () => {
    c?.close();
    await s?.close();
  });

  test('Declare returns true, a second Declare of the name is the error the PHP client suppresses', async () => {
    const decl = { name: 'app_x', collector: { type: 'gauge', help: 'x', labels: ['a', 'b'] } };
    assert.equal(await c.call('metrics.Declare', decl), true);
    await assert.rejects(
      c.call('metrics.Declare', decl),
      /metrics_plugin_declare: tried to register existing collector with the name `app_x`/,
    );
    assert.equal(await c.call('metrics.Set', { name: 'app_x', value: 5, labels: ['1', '2'] }), true);
    assert.equal(
      await c.call('metrics.Add', { Name: 'app_x', Value: 2, Labels: ['1', '2'] }),
      true,
      'field names match case-insensitively, as Go decodes JSON',
    );
    assert.equal(sample(await (await fetch(s.url)).text(), 'app_x{a="1",b="2"}'), 7);
  });

  test('a name that clashes with a built-in metric, an invalid name or a bad argument is an error reply, the server goes on', async () => {
    await assert.rejects(
      c.call('metrics.Declare', { name: 'rr_http_request_total', collector: { type: 'counter' } }),
      /duplicate metrics collector registration attempted/,
    );
    await assert.rejects(
      c.call('metrics.Declare', { name: '1bad-name', collector: { type: 'counter' } }),
      /metrics_plugin_declare: descriptor for "1bad-name" is invalid/,
    );
    await assert.rejects(
      c.call('metrics.Declare', { name: 'app_y', collector: { type: 'counter', labels: 'x' } }),
      /labels must be a list of strings/,
    );
    await assert.rejects(c.call('metrics.Add', 'app_y'), /metrics_plugin_add: the argument must be/);
    await assert.rejects(c.call('metrics.Add', { name: 'app_x', value: 'one', labels: ['1', '2'] }), /cannot unmarshal string/);
    await assert.rejects(c.call('metrics.Unregister', 42), /metrics_plugin_unregister/);
    assert.equal(await c.call('metrics.Declare', { name: 'app_c', collector: { type: 'counter' } }), true);
    await assert.rejects(c.call('metrics.Add', { name: 'app_c', value: -1 }), /counter cannot decrease in value/);
    assert.equal(await c.call('metrics.Unregister', 'app_c'), true);
    assert.equal(
      await c.call('metrics.Declare', { name: 'app_c', collector: { type: 'gauge' } }),
      true,
      'a name can be declared again after Unregister',
    );
  });

  test('metrics.collect with an unknown type fails at startup, worded as RoadRunner', () => {
    assert.throws(() => new Metrics({ collect: { app_m: { type: 'meter' } } }), /invalid metric type `meter` for `app_m`/);
    assert.throws(() => new Metrics({ collect: { app_m: { type: 'summary', objectives: { 2: 0.1 } } } }), /must be a quantile from 0 to 1/);
  });
});
