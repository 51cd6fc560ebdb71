import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CODEC_JSON, PAYLOAD_HEAD, allocPayloadFrame, decodeFrame, encodePayloadFrame } from '../../src/goridge/frame.js';
import { readRaw } from '../../src/http/body.js';

test('allocPayloadFrame + the body written in place gives the same bytes as encodePayloadFrame', () => {
  const context = Buffer.from('{"uri":"/x"}');
  const body = Buffer.from('0123456789'.repeat(50));
  const frame = allocPayloadFrame(CODEC_JSON, context, body.length);
  body.copy(frame, PAYLOAD_HEAD + context.length);
  assert.ok(frame.equals(encodePayloadFrame(CODEC_JSON, context, body)));
});

/** POSTs `body` to a real node:http server whose handler reads it with readRaw(…, into, offset). */
async function readThroughServer(body: Buffer, chunked: boolean): Promise<{ frame: Buffer | undefined; read: Buffer }> {
  const context = Buffer.from('{"method":"POST"}');
  let result: { frame: Buffer | undefined; read: Buffer } | undefined;
  const server = http.createServer((req, res) => {
    let frame: Buffer | undefined;
    const into = (declared: number): Buffer => (frame = allocPayloadFrame(CODEC_JSON, context, declared));
    readRaw(req, 1 << 30, undefined, into, PAYLOAD_HEAD + context.length).then(
      (read) => {
        result = { frame, read };
        res.end('ok');
      },
      (err: Error) => res.end(err.message),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length };
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      // in pieces, as a client sends a large body
      for (let i = 0; i < body.length; i += 65536) req.write(body.subarray(i, i + 65536));
      req.end();
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.ok(result);
  return result;
}

test('readRaw with a Content-Length reads the body straight into its frame: one buffer, a valid frame around it', async () => {
  const body = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  const { frame, read } = await readThroughServer(body, false);
  assert.ok(frame, 'the frame buffer was used');
  assert.ok(read.equals(body));
  assert.equal(read.buffer, frame.buffer, 'the body is a view into the frame, not a copy');
  const decoded = decodeFrame(frame);
  assert.equal(decoded.flags, CODEC_JSON);
  assert.deepEqual(decoded.options, [17]);
  assert.equal(decoded.payload.subarray(0, 17).toString(), '{"method":"POST"}');
  assert.ok(decoded.payload.subarray(17).equals(body));
});

test('readRaw without a Content-Length (chunked) reads as before: no frame buffer', async () => {
  const body = Buffer.from('chunked body '.repeat(10_000));
  const { frame, read } = await readThroughServer(body, true);
  assert.equal(frame, undefined);
  assert.ok(read.equals(body));
});
