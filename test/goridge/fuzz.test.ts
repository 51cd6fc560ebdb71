/**
 * Fuzz test of the goridge frame reader, the RPC frame decoder and the RPC server (issue 14): random, truncated and
 * corrupted input, split at random points. The reader may only throw FrameError, never hangs (every case is
 * synchronous and bounded; the test timeout is the safety net), and never buffers more than its payload cap.
 *
 * Reproducible: a seeded PRNG. A short run in CI; a long run by hand:
 *   BURNER_FUZZ_ITERATIONS=200000 BURNER_FUZZ_SEED=12345 node --test dist/test/goridge/fuzz.test.js
 * A failure message names the seed and the case number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MAX_OPTIONS, encodeFrame, headerCrc, type Frame } from '../../src/goridge/frame.js';
import { FrameError, FrameReader } from '../../src/goridge/reader.js';
import { RpcFrameError, decodeRpcFrame, encodeRpcFrame } from '../../src/goridge/rpc.js';
import { RpcClient } from '../../src/rpc/client.js';
import { rpcMethods } from '../../src/rpc/methods.js';
import { RpcServer } from '../../src/rpc/server.js';
import { RR_VERSION } from '../../src/version.js';

const SEED = Number(process.env.BURNER_FUZZ_SEED ?? 20261202) >>> 0;
const ITERATIONS = Number(process.env.BURNER_FUZZ_ITERATIONS ?? 3000);
const CONNECTIONS = Number(process.env.BURNER_FUZZ_CONNECTIONS ?? Math.max(20, Math.round(ITERATIONS / 20)));

/** mulberry32: small, fast, good enough to drive a fuzzer, and reproducible from one 32-bit seed. */
function prng(seed: number): { int(n: number): number; chance(p: number): boolean; bytes(n: number): Buffer } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    bytes(n) {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
  };
}

type Rng = ReturnType<typeof prng>;

function randomFrame(rng: Rng): Frame {
  const size = rng.chance(0.05) ? rng.int(200_000) : rng.chance(0.3) ? 0 : rng.int(300);
  const options = Array.from({ length: rng.int(MAX_OPTIONS + 1) }, () => rng.int(0x100000000));
  return { flags: rng.int(256), stream: rng.int(256), options, payload: rng.bytes(size) };
}

function encode(f: Frame): Buffer {
  return encodeFrame(f.flags, f.options, f.payload, f.stream);
}

/** Cuts `data` into random chunks (sometimes 1-byte ones, sometimes the whole buffer). */
function chunks(rng: Rng, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < data.length) {
    const n = rng.chance(0.2) ? 1 : rng.chance(0.1) ? data.length : 1 + rng.int(rng.chance(0.5) ? 64 : 70_000);
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Flips, overwrites, inserts, deletes or truncates; sometimes aims at the header bytes. */
function mutate(rng: Rng, data: Buffer): Buffer {
  let b = Buffer.from(data);
  const edits = 1 + rng.int(4);
  for (let i = 0; i < edits && b.length > 0; i++) {
    const at = rng.chance(0.5) ? rng.int(Math.min(b.length, 60)) : rng.int(b.length);
    switch (rng.int(6)) {
      case 0:
        b[at] = b[at]! ^ (1 << rng.int(8));
        break;
      case 1:
        b[at] = rng.int(256);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(40)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(40))]);
        break;
      case 4:
        b = b.subarray(0, at);
        break;
      default:
        // A header byte changed with the CRC fixed up: reaches the HL and length checks behind the CRC.
        if (b.length >= 12) {
          b[rng.int(6)] = rng.int(256);
          b.writeUInt32LE(headerCrc(b), 6);
        }
    }
  }
  return b;
}

interface Outcome {
  frames: Frame[];
  error?: FrameError;
}

/**
 * Feeds `parts` to a reader with `cap`, asserting the invariants after every push: only FrameError escapes, the
 * reader never holds a payload buffer above the cap, the diagnostic copy stays at 4 KiB, no frame breaks the layout.
 */
function feed(parts: Buffer[], cap: number, where: string): Outcome {
  const frames: Frame[] = [];
  const r = new FrameReader(
    (f) => {
      assert.ok(f.options.length <= MAX_OPTIONS, `${where}: ${f.options.length} options`);
      assert.ok(f.payload.length <= cap, `${where}: payload ${f.payload.length} over the cap ${cap}`);
      frames.push({ ...f, payload: Buffer.from(f.payload) });
      // The RPC decoder on every frame that comes out: it accepts or throws RpcFrameError, nothing else.
      try {
        const m = decodeRpcFrame(f);
        assert.ok(m.method.length + m.body.length === f.payload.length, `${where}: rpc split loses bytes`);
      } catch (err) {
        assert.ok(err instanceof RpcFrameError, `${where}: decodeRpcFrame threw ${String(err)}`);
      }
    },
    'fuzz',
    { maxPayload: cap },
  );
  let error: FrameError | undefined;
  const check = (err: unknown) => {
    assert.ok(
      err instanceof FrameError,
      `${where}: the reader threw something other than FrameError: ${(err as Error)?.stack ?? String(err)}`,
    );
    assert.equal(error, undefined, `${where}: a second FrameError after the first`);
    error = err;
  };
  for (const part of parts) {
    try {
      r.push(part);
    } catch (err) {
      check(err);
    }
    const held = (r as unknown as { payload: Buffer | null }).payload;
    assert.ok((held?.length ?? 0) <= cap, `${where}: buffering ${held?.length} bytes over the cap ${cap}`);
    assert.ok(r.seen().length <= 4096, `${where}: diagnostic copy of ${r.seen().length} bytes`);
  }
  try {
    r.end();
  } catch (err) {
    if (!error || error.kind !== 'file-not-found') check(err);
  }
  return { frames, error };
}

function plain(f: Frame): object {
  return { flags: f.flags, stream: f.stream, options: f.options, payload: f.payload };
}

test(`frame reader: valid streams split anywhere come out intact (seed ${SEED}, ${ITERATIONS} cases)`, { timeout: 600_000 }, () => {
  const rng = prng(SEED);
  for (let i = 0; i < ITERATIONS; i++) {
    const where = `seed ${SEED} case ${i}`;
    const frames = Array.from({ length: 1 + rng.int(6) }, () => randomFrame(rng));
    const cap = rng.chance(0.3) ? 1 + rng.int(1000) : Infinity;
    const out = feed(chunks(rng, Buffer.concat(frames.map(encode))), cap, where);
    const firstTooBig = frames.findIndex((f) => f.payload.length > cap);
    const expected = firstTooBig < 0 ? frames : frames.slice(0, firstTooBig);
    assert.deepEqual(out.frames.map(plain), expected.map(plain), where);
    if (firstTooBig < 0) assert.equal(out.error, undefined, `${where}: ${out.error?.message}`);
    else assert.equal(out.error?.kind, 'too-large', where);
  }
});

test(`frame reader: corrupted, truncated and random input only ever gives FrameError (seed ${SEED})`, { timeout: 600_000 }, () => {
  const rng = prng(SEED ^ 0x5eed);
  for (let i = 0; i < ITERATIONS; i++) {
    const where = `seed ${SEED} mutated case ${i}`;
    const data = rng.chance(0.15)
      ? rng.bytes(rng.int(2000)) // noise
      : mutate(rng, Buffer.concat(Array.from({ length: 1 + rng.int(4) }, () => encode(randomFrame(rng)))));
    feed(chunks(rng, data), rng.chance(0.5) ? 1 + rng.int(5000) : 16 * 1024 * 1024, where);
  }
});

test(
  `rpc server: garbage and corrupted calls on ${CONNECTIONS} connections never take it down (seed ${SEED})`,
  { timeout: 600_000 },
  async () => {
    const rng = prng(SEED ^ 0xc0ffee);
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const server = new RpcServer(rpcMethods({ pools: new Map(), checkers: new Map(), rawConfig: { version: '3' } }), silent, {
      maxFrameSize: 64 * 1024,
    });
    const { port } = await server.listen('tcp://127.0.0.1:0');
    try {
      const methods = ['rpc.Version', 'rpc.Config', 'informer.List', 'informer.Workers', 'resetter.Reset', 'status.Ready', 'nope.Nope', ''];
      for (let i = 0; i < CONNECTIONS; i++) {
        const calls = Array.from({ length: 1 + rng.int(5) }, (_, k) =>
          encodeRpcFrame(
            rng.chance(0.8) ? 0x08 : rng.int(256),
            k + 1,
            methods[rng.int(methods.length)]!,
            rng.chance(0.5) ? Buffer.from('"http"') : rng.bytes(rng.int(100)),
          ),
        );
        const data = rng.chance(0.3)
          ? Buffer.concat(calls)
          : rng.chance(0.2)
            ? rng.bytes(rng.int(3000))
            : mutate(rng, Buffer.concat(calls));
        await new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1', async () => {
            for (const part of chunks(rng, data)) if (!s.destroyed) s.write(part);
            s.end();
          });
          s.on('data', () => undefined);
          s.on('error', () => resolve());
          s.on('close', () => resolve());
        });
      }
      const c = await RpcClient.connect(`tcp://127.0.0.1:${port}`);
      assert.equal(await c.call('rpc.Version', true), RR_VERSION, 'the server still answers');
      c.close();
    } finally {
      await server.close();
    }
  },
);
