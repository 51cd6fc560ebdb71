import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RpcServer } from '../../src/rpc/server.js';
import { RpcClient, RpcError } from '../../src/rpc/client.js';
import { rpcMethods } from '../../src/rpc/methods.js';
import { RR_VERSION } from '../../src/version.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let server: RpcServer;
let listen: string;

before(async () => {
  const methods = rpcMethods({ pools: new Map(), checkers: new Map(), rawConfig: { version: '3', rpc: { listen: 'x' } } });
  methods.set('test.Slow', async (arg) => {
    await new Promise((r) => setTimeout(r, Number(arg)));
    return arg;
  });
  server = new RpcServer(methods, silent);
  const addr = await server.listen('tcp://127.0.0.1:0');
  listen = `tcp://127.0.0.1:${addr.port}`;
});
after(() => server.close());

function raw(bytes: Buffer): Promise<Buffer> {
  const { port } = new URL(listen.replace('tcp://', 'http://'));
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1', () => s.write(bytes));
    const chunks: Buffer[] = [];
    s.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 12 && all.length >= 12 + (all[0]! & 0x0f) * 4 - 12 + all.readUInt32LE(2)) {
        s.destroy();
        resolve(all);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

test('the spec byte example: resetter.Reset("foo") on an unknown plugin gets the exact ERROR reply', async () => {
  const method = Buffer.from('resetter.Reset');
  const body = Buffer.from('"foo"');
  // Header built by hand from the spec layout; the CRC covers bytes 0-5.
  const head = Buffer.from([0x15, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  head.writeUInt32LE(method.length + body.length, 2);
  const { crc32 } = await import('node:zlib');
  head.writeUInt32LE((crc32 as (b: Buffer) => number)(head.subarray(0, 6)), 6);
  const opts = Buffer.alloc(8);
  opts.writeUInt32LE(1, 0);
  opts.writeUInt32LE(method.length, 4);
  const reply = await raw(Buffer.concat([head, opts, method, body]));
  // From roadrunner-protocol.md §1.7: "RPC error reply" for seq 1, method resetter.Reset, "no such plugin: foo".
  assert.equal(reply.subarray(0, 20).toString('hex'), '154821000000' + '58e9d492' + '0000' + '01000000' + '0e000000');
  assert.equal(reply.subarray(20).toString(), 'resetter.Resetno such plugin: foo');
});

test('rpc.Version, rpc.Config and unknown methods; the connection stays usable', async () => {
  const c = await RpcClient.connect(listen);
  try {
    assert.equal(await c.call('rpc.Version', true), RR_VERSION);
    const cfg = JSON.parse(Buffer.from(await c.call<string>('rpc.Config', true), 'base64').toString()) as { version: string };
    assert.equal(cfg.version, '3');
    await assert.rejects(
      c.call('nope.Method', true),
      (e: Error) => e instanceof RpcError && /can't find service nope\.Method/.test(e.message),
    );
    await assert.rejects(c.call('rpc.Nope', true), /can't find method rpc\.Nope/);
    await assert.rejects(c.call('informer.Workers', 42), /must be a plugin name/);
    assert.deepEqual(await c.call('informer.Workers', 'http'), { workers: null });
    assert.deepEqual(await c.call('resetter.List', true), []);
    assert.equal(await c.call('rpc.Version', true), RR_VERSION, 'still usable after errors');
  } finally {
    c.close();
  }
});

test('several calls in flight on one connection are matched by seq, even out of order', async () => {
  const c = await RpcClient.connect(listen);
  try {
    const results = await Promise.all([
      c.call('test.Slow', 60),
      c.call('test.Slow', 1),
      c.call('test.Slow', 30),
      c.call('rpc.Version', true),
    ]);
    assert.deepEqual(results, [60, 1, 30, RR_VERSION]);
  } finally {
    c.close();
  }
});

test('a malformed frame closes only that connection', async () => {
  const reply = await raw(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  assert.equal(reply.length, 0, 'no reply, connection closed');
  const c = await RpcClient.connect(listen);
  assert.equal(await c.call('rpc.Version', true), RR_VERSION);
  c.close();
});

test('connecting to a closed port is a clear error', async () => {
  await assert.rejects(RpcClient.connect('tcp://127.0.0.1:1'), /cannot connect to tcp:\/\/127\.0\.0\.1:1 .*is the server running/);
});
