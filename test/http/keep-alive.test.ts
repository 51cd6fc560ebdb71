/**
 * Idle keep-alive connections: the server closes them after the keep-alive time (its own sweep, not node's per-request
 * socket timer), and never closes a connection whose request is still running.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startServer, type TestServer } from './helpers.js';

const KEEP_ALIVE_MS = 200;

/** Resolves with what the server sent once it closed the connection; rejects if it stays open for 20 s. */
function untilServerCloses(socket: net.Socket): Promise<string> {
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (data += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the idle connection open (got ${JSON.stringify(data.slice(0, 80))})`));
    }, 20_000);
    socket.once('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('HTTP plugin: idle keep-alive connections', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('json', () => ({ keepAliveTimeout: KEEP_ALIVE_MS }), 1);
  });
  after(() => s.stop());

  test('a keep-alive connection is closed by the server once it has been idle for the keep-alive time', async () => {
    const socket = await connect(s.port);
    const closed = untilServerCloses(socket);
    socket.write('GET /pid HTTP/1.1\r\nHost: t\r\n\r\n');
    const sent = await closed;
    assert.match(sent, /^HTTP\/1\.1 200 /, 'the request was answered first');
    assert.doesNotMatch(sent, /connection: close/i, 'a keep-alive answer: the close came later, when it was idle');
    assert.doesNotMatch(sent, /keep-alive: timeout/i);
  });

  test('a connection that never sends a request is closed too', async () => {
    const sent = await untilServerCloses(await connect(s.port));
    assert.equal(sent, '');
  });

  test('a connection whose request runs longer than the keep-alive time is not closed under it', async () => {
    let ticks = '';
    let ended = false;
    const req = http.get({ host: '127.0.0.1', port: s.port, path: '/forever', agent: false });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    res.setEncoding('latin1');
    res.on('data', (d: string) => (ticks += d));
    res.once('close', () => (ended = true));
    await new Promise((r) => setTimeout(r, 5 * KEEP_ALIVE_MS));
    assert.equal(ended, false, 'the stream is still open after five keep-alive times');
    const next = await new Promise<string>((resolve) => {
      res.once('data', () => resolve('data'));
      res.once('close', () => resolve('closed'));
    });
    assert.equal(next, 'data', 'and still delivering');
    assert.match(ticks, /^tick 0\n/);
    req.destroy();
  });
});
