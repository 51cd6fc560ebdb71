import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CODEC_JSON,
  CONTROL,
  ERROR,
  PING,
  STREAM,
  encodeFrame,
  encodePayloadFrame,
  headerCrc,
  type Frame,
} from '../../src/goridge/frame.js';
import { FrameError, FrameReader } from '../../src/goridge/reader.js';

function sample(): { stream: Buffer; frames: Frame[] } {
  const frames: Frame[] = [
    { flags: CONTROL, stream: 0, options: [], payload: Buffer.from('{"pid":1}') },
    { flags: 0x80, stream: 0, options: [3], payload: Buffer.from('ctxbody') },
    { flags: 0, stream: STREAM | PING, options: [0], payload: Buffer.alloc(0) },
    { flags: ERROR, stream: 0, options: [], payload: Buffer.from('boom') },
    { flags: CODEC_JSON, stream: 0, options: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], payload: Buffer.from('x'.repeat(300)) },
    { flags: 0, stream: 0, options: [], payload: Buffer.alloc(0) },
  ];
  return { stream: Buffer.concat(frames.map((f) => encodeFrame(f.flags, f.options, f.payload, f.stream))), frames };
}

function plain(f: Frame): object {
  return { flags: f.flags, stream: f.stream, options: f.options, payload: Buffer.from(f.payload) };
}

function readAll(chunks: Buffer[]): Frame[] {
  const out: Frame[] = [];
  const r = new FrameReader((f) => out.push(plain(f) as Frame));
  for (const c of chunks) r.push(c);
  r.end();
  assert.equal(r.idle, true);
  return out;
}

test('whole stream in one chunk', () => {
  const { stream, frames } = sample();
  assert.deepEqual(readAll([stream]), frames.map(plain));
});

test('every split point (two chunks) and 1-byte chunks', () => {
  const { stream, frames } = sample();
  const want = frames.map(plain);
  for (let i = 1; i < stream.length; i++) {
    assert.deepEqual(readAll([stream.subarray(0, i), stream.subarray(i)]), want, `split at ${i}`);
  }
  const bytes: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) bytes.push(stream.subarray(i, i + 1));
  assert.deepEqual(readAll(bytes), want);
});

test('random chunk sizes', () => {
  const { stream, frames } = sample();
  const want = frames.map(plain);
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 37) + 1;
  for (let round = 0; round < 200; round++) {
    const chunks: Buffer[] = [];
    for (let off = 0; off < stream.length;) {
      const n = rnd();
      chunks.push(stream.subarray(off, off + n));
      off += n;
    }
    assert.deepEqual(readAll(chunks), want);
  }
});

test('bad CRC is reported with the bytes seen and the stdout-crc hint', () => {
  const r = new FrameReader(() => assert.fail('no frame expected'), 'worker');
  const junk = Buffer.concat([Buffer.from('Hello world, I am stray output'), encodeFrame(CONTROL, [], Buffer.from('{"pid":7}'))]);
  assert.throws(
    () => r.push(junk),
    (err: unknown) => {
      assert.ok(err instanceof FrameError);
      assert.equal(err.kind, 'crc');
      assert.match(err.message, /invalid frame from worker/);
      assert.match(err.message, /48 65 6c 6c 6f 20 77 6f 72 6c 64/);
      assert.match(err.message, /'Hello world, I am stray output/);
      assert.match(err.message, /stdout-crc/);
      return true;
    },
  );
  assert.equal(r.failed, true);
  r.push(Buffer.from(' and more'));
  assert.match(r.error().message, /and more/);
  r.end(); // already reported: quiet
});

test('bad CRC split across chunks', () => {
  const r = new FrameReader(() => assert.fail('no frame expected'));
  r.push(Buffer.from('Hello'));
  assert.throws(
    () => r.push(Buffer.from(' wor---ld')),
    (e: unknown) => e instanceof FrameError && /'Hello wor---ld'/.test(e.message),
  );
});

test('truncated input is reported at end()', () => {
  const f = encodePayloadFrame(0x80, Buffer.from('ctx'), Buffer.from('body'));
  for (const cut of [5, 12, 16, f.length - 1]) {
    const r = new FrameReader(() => assert.fail('no frame expected'), 'worker');
    r.push(f.subarray(0, cut));
    assert.throws(
      () => r.end(),
      (e: unknown) => e instanceof FrameError && e.kind === 'truncated' && /closed in the middle/.test(e.message),
    );
  }
});

test('"Could not open input file" is read to the end and reported as text', () => {
  const r = new FrameReader(() => assert.fail('no frame expected'), 'worker');
  r.push(Buffer.from('Could not o'));
  r.push(Buffer.from('pen input file: /nope/worker.php'));
  r.push(Buffer.from('\n'));
  assert.throws(
    () => r.end(),
    (e: unknown) =>
      e instanceof FrameError &&
      e.kind === 'file-not-found' &&
      e.message === 'worker could not start: Could not open input file: /nope/worker.php',
  );
});

test('impossible header length', () => {
  const f = encodeFrame(0, [], Buffer.alloc(0));
  f[0] = 0x12; // HL 2 (< 3), with a matching CRC so only HL is wrong
  f.writeUInt32LE(headerCrc(f), 6);
  const r = new FrameReader(() => assert.fail('no frame expected'));
  assert.throws(
    () => r.push(f),
    (e: unknown) => e instanceof FrameError && e.kind === 'header' && /impossible header length/.test(e.message),
  );
});

test('20 MB payload in 64 KB chunks is assembled once and intact', () => {
  const body = Buffer.allocUnsafe(20 * 1024 * 1024);
  for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
  const frame = encodePayloadFrame(0x80, Buffer.from('hdr'), body);
  const got: Frame[] = [];
  const r = new FrameReader((f) => got.push(f));
  for (let off = 0; off < frame.length; off += 65536) r.push(frame.subarray(off, off + 65536));
  r.end();
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.options, [3]);
  assert.equal(got[0]!.payload.length, body.length + 3);
  assert.ok(got[0]!.payload.subarray(3).equals(body));
});

test('a header length over 13 words (HL 14, 15) is a FrameError, whole or split at any byte (issue 12)', () => {
  for (const hl of [14, 15]) {
    // HL 15 = 60 header bytes: more than the 52-byte header buffer the reader keeps for split headers.
    const f = Buffer.concat([encodeFrame(0, [], Buffer.from('payload')), Buffer.alloc(60)]);
    f[0] = 0x10 | hl;
    f.writeUInt32LE(headerCrc(f), 6);
    for (let split = 0; split < 20; split++) {
      const r = new FrameReader(() => assert.fail('no frame expected'));
      const push = () => {
        if (split > 0) r.push(f.subarray(0, split));
        r.push(f.subarray(split));
      };
      assert.throws(
        push,
        (e: unknown) =>
          e instanceof FrameError && e.kind === 'header' && /impossible header length \(must be 3 to 13 words\)/.test(e.message),
        `HL ${hl} split at ${split}`,
      );
    }
  }
});

test('maxPayload: a header claiming more is refused before any payload byte is buffered', () => {
  const ok = encodeFrame(0, [1, 2], Buffer.alloc(1000, 1));
  const big = encodeFrame(0, [1, 2], Buffer.alloc(1001, 1));
  const got: Frame[] = [];
  const r = new FrameReader((f) => got.push(f), 'rpc client', { maxPayload: 1000 });
  r.push(ok);
  assert.equal(got.length, 1);
  // Only the header of the large frame: the refusal needs no payload.
  assert.throws(
    () => r.push(big.subarray(0, 20)),
    (e: unknown) =>
      e instanceof FrameError &&
      e.kind === 'too-large' &&
      e.size?.length === 1001 &&
      e.size.limit === 1000 &&
      /too large: its header claims a 1001-byte payload, the limit is 1000 bytes/.test(e.message),
  );
  assert.equal(r.failed, true);
  r.push(big.subarray(20)); // later bytes are only collected, never thrown on again
});
