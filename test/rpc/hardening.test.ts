/**
 * Issue 14 #6: the RPC endpoint trusts whoever can connect, so it bounds what they can do: a frame-size cap checked
 * before buffering, an owner-only Unix socket, rpc.Config without environment values, resetter.Reset floods
 * coalesced, and replies that a client does not read never pile up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CODEC_JSON, HEADER_SIZE, encodeRpcFrame, headerCrc } from '../../src/goridge/index.js';
import { RpcClient } from '../../src/rpc/client.js';
import { rpcMethods } from '../../src/rpc/methods.js';
import { REDACTED, redactConfig } from '../../src/rpc/redact.js';
import { DEFAULT_MAX_FRAME_SIZE, RpcServer, rpcServerOptions } from '../../src/rpc/server.js';
import type { WorkerPool } from '../../src/pool/types.js';
import { RR_VERSION } from '../../src/version.js';

const warnings: string[] = [];
const log = {
  debug() {},
  info() {},
  warn(o: unknown, msg?: string) {
    warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`);
  },
  error() {},
};

/** A pool whose reset() waits for the test to open a gate, and counts how often it ran. */
function gatedPool(): { pool: WorkerPool; resets: () => number; open: () => void } {
  let count = 0;
  let release: (() => void) | undefined;
  let gate = new Promise<void>((r) => (release = r));
  const pool = {
    async reset() {
      count++;
      await gate;
    },
    async workers() {
      return [];
    },
  } as unknown as WorkerPool;
  return {
    pool,
    resets: () => count,
    open() {
      release!();
      gate = Promise.resolve();
    },
  };
}

/** A header claiming `length` payload bytes with 2 options (an RPC call), valid CRC. */
function rpcHeader(length: number): Buffer {
  const head = Buffer.alloc(HEADER_SIZE + 8);
  head[0] = 0x15;
  head[1] = CODEC_JSON;
  head.writeUInt32LE(length, 2);
  head.writeUInt32LE(headerCrc(head), 6);
  head.writeUInt32LE(1, 12);
  head.writeUInt32LE(11, 16);
  return head;
}

describe('rpc limits', () => {
  let server: RpcServer;
  let port: number;
  const gated = gatedPool();
  before(async () => {
    const methods = rpcMethods({
      pools: new Map([['http', gated.pool]]),
      checkers: new Map(),
      rawConfig: { version: '3', server: { command: 'php w.php', env: { DB_PASSWORD: 'hunter2', APP_KEY: 'base64:abc' } } },
    });
    server = new RpcServer(methods, log, { maxFrameSize: 4096 });
    port = (await server.listen('tcp://127.0.0.1:0')).port;
  });
  after(() => server.close());

  test('the default cap is 16 MiB', () => {
    assert.equal(DEFAULT_MAX_FRAME_SIZE, 16 * 1024 * 1024);
  });

  test('a frame claiming 4 GiB is refused on its header: the connection closes before any payload is sent', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(rpcHeader(0xffffffff)));
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
    });
    assert.ok(closed);
    assert.ok(
      warnings.some((w) => /too large: its header claims a 4294967295-byte payload, the limit is 4096 bytes/.test(w)),
      warnings.join('\n'),
    );
  });

  test('frames up to the cap are served, one byte more is refused; the server stays up', async () => {
    const c = await RpcClient.connect(`tcp://127.0.0.1:${port}`);
    try {
      // payload = method (11) + JSON body; 4096 exactly is allowed.
      const fits = 'x'.repeat(4096 - 'rpc.Version'.length - 2);
      assert.equal(await c.call('rpc.Version', fits), RR_VERSION);
      await assert.rejects(c.call('rpc.Version', `${fits}x`), /connection closed/);
    } finally {
      c.close();
    }
    const again = await RpcClient.connect(`tcp://127.0.0.1:${port}`);
    assert.equal(await again.call('rpc.Version', true), RR_VERSION);
    again.close();
  });

  test('rpc.Config never shows server.env values', async () => {
    const c = await RpcClient.connect(`tcp://127.0.0.1:${port}`);
    try {
      const cfg = JSON.parse(Buffer.from(await c.call<string>('rpc.Config', true), 'base64').toString()) as {
        server: { env: object; command: string };
      };
      assert.deepEqual(cfg.server.env, { DB_PASSWORD: REDACTED, APP_KEY: REDACTED });
      assert.equal(cfg.server.command, 'php w.php');
    } finally {
      c.close();
    }
  });

  test('a flood of resetter.Reset runs at most two resets; every caller gets true after a reset that began after its call', async () => {
    const c = await RpcClient.connect(`tcp://127.0.0.1:${port}`);
    try {
      const first = c.call('resetter.Reset', 'http');
      await new Promise<void>((resolve) => {
        const check = () => (gated.resets() === 1 ? resolve() : setImmediate(check));
        check();
      });
      const flood = Array.from({ length: 50 }, () => c.call('resetter.Reset', 'http'));
      // Let the server read all 50 calls while the first reset is still running.
      assert.equal(await c.call('rpc.Version', true), RR_VERSION);
      assert.equal(gated.resets(), 1, 'the flood waits for the running reset');
      gated.open();
      assert.deepEqual(await Promise.all([first, ...flood]), Array(51).fill(true));
      assert.equal(gated.resets(), 2, 'the 50 calls shared one follow-up reset');
    } finally {
      c.close();
    }
  });

  test('a client that pipelines many calls without reading does not stop others; it gets every reply once it reads', async () => {
    const calls = 5000;
    const frames = Buffer.concat(
      Array.from({ length: calls }, (_, i) => encodeRpcFrame(CODEC_JSON, i + 1, 'rpc.Version', Buffer.from('true'))),
    );
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.pause();
    s.write(frames);
    const other = await RpcClient.connect(`tcp://127.0.0.1:${port}`);
    assert.equal(await other.call('rpc.Version', true), RR_VERSION);
    other.close();
    let received = 0;
    const replyLength = HEADER_SIZE + 8 + 'rpc.Version'.length + JSON.stringify(RR_VERSION).length;
    await new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= calls * replyLength) resolve();
      });
      s.resume();
    });
    assert.equal(received, calls * replyLength);
    s.destroy();
  });
});

describe('rpc over a Unix socket', () => {
  let dir: string;
  let server: RpcServer;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'burner-rpc-'));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the socket is owner-only (0600) and the RPC client works over it', async () => {
    const sock = path.join(dir, 'rr.sock');
    server = new RpcServer(rpcMethods({ pools: new Map(), checkers: new Map(), rawConfig: {} }), log);
    await server.listen(`unix://${sock}`);
    const st = statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    const c = await RpcClient.connect(`unix://${sock}`);
    assert.equal(await c.call('rpc.Version', true), RR_VERSION);
    c.close();
  });
});

test('redactConfig: env values, secret-named keys and URL passwords', () => {
  const out = redactConfig({
    version: '3',
    server: { command: 'php w.php', env: { A: '1', DB_PASSWORD: 'x' }, on_init: { command: 'php init.php', env: { TOKEN: 't' } } },
    kv: { cache: { driver: 'redis', config: { addrs: ['redis://user:pw@127.0.0.1:6379'], password: 'p', db: 0 } } },
    jobs: { amqp: { addr: 'amqp://guest:guest@127.0.0.1:5672/' } },
    app: { api_key: 'k', github_token: 'g', secret: '', keep: 'visible', nested: [{ client_secret: 's' }] },
  });
  assert.deepEqual(out, {
    version: '3',
    server: {
      command: 'php w.php',
      env: { A: REDACTED, DB_PASSWORD: REDACTED },
      on_init: { command: 'php init.php', env: { TOKEN: REDACTED } },
    },
    kv: { cache: { driver: 'redis', config: { addrs: [`redis://user:${REDACTED}@127.0.0.1:6379`], password: REDACTED, db: 0 } } },
    jobs: { amqp: { addr: `amqp://guest:${REDACTED}@127.0.0.1:5672/` } },
    app: { api_key: REDACTED, github_token: REDACTED, secret: REDACTED, keep: 'visible', nested: [{ client_secret: REDACTED }] },
  });
});

test('rpc.max_frame_size (MiB) from the config section; absent or invalid keeps the default', () => {
  assert.deepEqual(rpcServerOptions({ listen: 'tcp://127.0.0.1:6001', max_frame_size: 64 }), { maxFrameSize: 64 * 1024 * 1024 });
  assert.deepEqual(rpcServerOptions({ listen: 'tcp://127.0.0.1:6001' }), {});
  assert.deepEqual(rpcServerOptions({ max_frame_size: 'big' }), {});
  assert.deepEqual(rpcServerOptions(undefined), {});
});

test('listening on a non-loopback address warns that RPC is reachable from other hosts', async () => {
  const seen: string[] = [];
  const capture = {
    debug() {},
    info() {},
    warn(_o: unknown, msg?: string) {
      seen.push(msg ?? '');
    },
    error() {},
  };
  const open = new RpcServer(new Map(), capture);
  await open.listen('tcp://0.0.0.0:0');
  await open.close();
  assert.ok(
    seen.some((m) => /reachable from other hosts/.test(m)),
    seen.join('\n'),
  );
  const local = new RpcServer(new Map(), capture);
  seen.length = 0;
  await local.listen('tcp://127.0.0.1:0');
  await local.close();
  assert.deepEqual(seen, []);
});
