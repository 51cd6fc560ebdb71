import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CODEC_JSON,
  CODEC_PROTO,
  CONTROL,
  ERROR,
  PONG_FRAME,
  STOP_CONTROL_FRAME,
  STREAM,
  STREAM_STOP_FRAME,
  decodeFrame,
  encodeControlFrame,
  encodeFrame,
  encodePayloadFrame,
  headerCrc,
} from '../../src/goridge/frame.js';
import { decodeRpcFrame, encodeRpcError, encodeRpcFrame } from '../../src/goridge/rpc.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// The HTTP context of the §1.7 request example, assembled from its field list.
function protoField(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag, value.length]), value]);
}
const requestContext = Buffer.concat([
  protoField(0x0a, Buffer.from('127.0.0.1')),
  protoField(0x12, Buffer.from('HTTP/1.1')),
  protoField(0x1a, Buffer.from('GET')),
  protoField(0x22, Buffer.from('http://localhost:8080/?a=1')),
  protoField(0x2a, Buffer.concat([protoField(0x0a, Buffer.from('Accept')), protoField(0x12, protoField(0x0a, Buffer.from('*/*')))])),
  protoField(0x3a, Buffer.from('a=1')),
]);
const responseContext = Buffer.concat([
  hex('08 c8 01'),
  protoField(
    0x12,
    Buffer.concat([protoField(0x0a, Buffer.from('Content-Type')), protoField(0x12, protoField(0x0a, Buffer.from('text/plain')))]),
  ),
]);

test('spec §1.7: PID request, stop and PID reply', () => {
  assert.deepEqual(
    encodeControlFrame({ pid: 12345 }),
    Buffer.concat([hex('13 09 0d 00 00 00 3a 6b fa cb 00 00'), Buffer.from('{"pid":12345}')]),
  );
  assert.deepEqual(STOP_CONTROL_FRAME, Buffer.concat([hex('13 09 0d 00 00 00 3a 6b fa cb 00 00'), Buffer.from('{"stop":true}')]));
  const reply = Buffer.concat([hex('13 01 0c 00 00 00 9e 47 36 43 00 00'), Buffer.from('{"pid":4242}')]);
  assert.deepEqual(encodeFrame(CONTROL, [], Buffer.from('{"pid":4242}')), reply);
  const f = decodeFrame(reply);
  assert.equal(f.flags, CONTROL);
  assert.deepEqual(f.options, []);
  assert.equal(f.payload.toString(), '{"pid":4242}');
});

test('spec §1.7: error, stream STOP and PONG frames', () => {
  assert.deepEqual(encodeFrame(ERROR, [], Buffer.from('boom')), hex('13 40 04 00 00 00 88 1e 11 e3 00 00 62 6f 6f 6d'));
  assert.deepEqual(STREAM_STOP_FRAME, hex('13 00 00 00 00 00 96 d1 80 34 02 00'));
  // PONG differs from STOP only in byte 10 (the CRC does not cover it).
  assert.deepEqual(PONG_FRAME, hex('13 00 00 00 00 00 96 d1 80 34 08 00'));
  const stop = decodeFrame(STREAM_STOP_FRAME);
  assert.equal(stop.stream, 2);
  assert.equal(stop.payload.length, 0);
});

test('spec §1.7: HTTP request and response payload frames', () => {
  assert.equal(requestContext.length, 76);
  const req = encodePayloadFrame(CODEC_PROTO, requestContext, Buffer.alloc(0));
  assert.deepEqual(req.subarray(0, 16), hex('14 80 4c 00 00 00 39 b6 a1 49 00 00 4c 00 00 00'));
  assert.deepEqual(req.subarray(16), requestContext);
  assert.deepEqual(encodeFrame(CODEC_PROTO, [76], [requestContext]), req);

  const body = Buffer.from('Hello');
  const res = encodePayloadFrame(CODEC_PROTO, responseContext, body);
  assert.deepEqual(res, Buffer.concat([hex('14 80 26 00 00 00 5e a1 3a 1d 00 00 21 00 00 00'), responseContext, body]));
  const f = decodeFrame(res);
  assert.deepEqual(f.options, [0x21]);
  assert.deepEqual(f.payload.subarray(0x21), body);

  const chunk = encodePayloadFrame(CODEC_PROTO, responseContext, body, STREAM);
  assert.deepEqual(chunk.subarray(0, 10), res.subarray(0, 10), 'CRC unchanged by the stream byte');
  assert.equal(chunk[10], 1);
});

test('spec §1.7: RPC call, reply and error reply', () => {
  const call = encodeRpcFrame(CODEC_JSON, 1, 'resetter.Reset', Buffer.from('"http"'));
  assert.deepEqual(
    call,
    Buffer.concat([hex('15 08 14 00 00 00 82 b9 d2 0d 00 00 01 00 00 00 0e 00 00 00'), Buffer.from('resetter.Reset"http"')]),
  );
  const reply = encodeRpcFrame(CODEC_JSON, 1, 'resetter.Reset', Buffer.from('true'));
  assert.deepEqual(reply.subarray(0, 20), hex('15 08 12 00 00 00 5e e6 b9 28 00 00 01 00 00 00 0e 00 00 00'));
  const err = encodeRpcError(CODEC_JSON, 1, 'resetter.Reset', 'no such plugin: foo');
  assert.deepEqual(err.subarray(0, 20), hex('15 48 21 00 00 00 58 e9 d4 92 00 00 01 00 00 00 0e 00 00 00'));
  const m = decodeRpcFrame(decodeFrame(err));
  assert.deepEqual(
    { seq: m.seq, method: m.method, body: m.body.toString(), error: m.error },
    {
      seq: 1,
      method: 'resetter.Reset',
      body: 'no such plugin: foo',
      error: true,
    },
  );
  assert.throws(() => decodeRpcFrame(decodeFrame(encodeFrame(CODEC_JSON, [1], Buffer.from('x')))), /2 options/);
  assert.throws(() => decodeRpcFrame(decodeFrame(encodeFrame(CODEC_JSON, [1, 9], Buffer.from('x')))), /exceeds/);
});

test('options: up to 10, HL nibble grows with them', () => {
  const ten = encodeFrame(0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 0xffffffff], Buffer.from('p'));
  assert.equal(ten[0], 0x1d);
  assert.deepEqual(decodeFrame(ten).options, [1, 2, 3, 4, 5, 6, 7, 8, 9, 0xffffffff]);
  assert.throws(() => encodeFrame(0, new Array(11).fill(0)), /at most 10/);
});

test('headerCrc equals zlib CRC-32 of bytes 0-5', () => {
  const b = hex('13 09 0d 00 00 00');
  assert.equal(headerCrc(b), 0xcbfa6b3a);
});
