import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { AddressError, formatAddress, listen, parseAddress } from '../../src/net/listen.js';

describe('parseAddress', () => {
  test('host:port, [v6]:port, :port, tcp://', () => {
    assert.deepEqual(parseAddress('127.0.0.1:8080', 'http.address'), { kind: 'tcp', host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseAddress('[::1]:0', 'x'), { kind: 'tcp', host: '::1', port: 0 });
    assert.deepEqual(parseAddress(':9000', 'x'), { kind: 'tcp', host: '0.0.0.0', port: 9000 });
    assert.deepEqual(parseAddress('tcp://localhost:6001', 'rpc.listen', { unix: true }), { kind: 'tcp', host: 'localhost', port: 6001 });
    assert.deepEqual(parseAddress('unix:///tmp/rr.sock', 'rpc.listen', { unix: true }), { kind: 'unix', path: '/tmp/rr.sock' });
  });
  test('bad ports and forms name the key and the value', () => {
    for (const bad of ['127.0.0.1:99999', '127.0.0.1:abc', '127.0.0.1', 'localhost:-1', '::1:80', '[::1:80']) {
      assert.throws(
        () => parseAddress(bad, 'http.address'),
        (err: unknown) => {
          assert.ok(err instanceof AddressError);
          assert.match(err.message, /^http\.address: /);
          assert.ok(err.message.includes(JSON.stringify(bad)));
          return true;
        },
      );
    }
    assert.throws(() => parseAddress('unix:///x', 'http.address'), /unix socket is not allowed/);
  });
  test('formatAddress brackets IPv6', () => {
    assert.equal(formatAddress('::1', 80), '[::1]:80');
    assert.equal(formatAddress('127.0.0.1', 80), '127.0.0.1:80');
  });
});

describe('listen', () => {
  test('resolves with the bound port and rejects when the port is taken', async () => {
    const a = net.createServer();
    const port = await listen(a, { kind: 'tcp', host: '127.0.0.1', port: 0 });
    assert.ok(port > 0);
    const b = net.createServer();
    await assert.rejects(listen(b, { kind: 'tcp', host: '127.0.0.1', port }), /EADDRINUSE/);
    assert.equal(b.listenerCount('error'), 0, 'no error listener left behind');
    await new Promise((r) => a.close(r));
  });
});
