/**
 * Issue 14 findings against a server in its own process (test/http/child-server.ts): what a client does must never
 * take the server down, stall other clients, or make it hold unbounded memory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { multipart, request, sendAndAbort, waitEmpty, waitServerClosed, waitServerRead } from './client.js';
import { startServerProcess, type ServerProcess } from './process.js';
import type { HttpOptions } from '../../src/http/options.js';

describe('HTTP server process: aborted uploads', () => {
  let s: ServerProcess;
  before(async () => {
    s = await startServerProcess(() => ({ maxRequestSize: 64 * 1024 * 1024 }));
  });
  after(() => s.stop());

  test('40 multipart uploads cut off mid-body in a row: the server keeps serving and leaves no temp file', async () => {
    const { body, type } = multipart([
      { name: 'title', data: 'x' },
      { name: 'a', filename: 'a.bin', data: Buffer.alloc(200 * 1024, 1) },
      { name: 'b', filename: 'b.bin', data: Buffer.alloc(2 * 1024 * 1024, 2) },
    ]);
    // Cut at varying points: just after a file part's headers (its temp file is being created), in a file, between
    // files, deep in the second one.
    const starts = [body.indexOf('filename="a.bin"'), body.indexOf('filename="b.bin"')].map((i) => body.indexOf('\r\n\r\n', i) + 4);
    const cuts = [...starts, ...starts.map((i) => i + 1), ...starts.map((i) => i + 10_000)];
    for (let k = 1; k < 10; k++) cuts.push(Math.floor((body.length * k) / 10));
    for (let i = 0; i < 40; i++) {
      const cut = cuts[i % cuts.length]!;
      await sendAndAbort(
        s.port,
        { path: '/uploads', method: 'POST', 'content-type': type, 'content-length': body.length },
        body.subarray(0, cut),
      );
    }
    assert.equal(s.exitCode(), undefined, `the server exited: ${s.stderr()}`);
    const r = await request(s.port, '/uploads', { method: 'POST', headers: { 'content-type': type }, body }).catch((err: Error) => {
      throw new Error(`${err.message}; server exit code ${s.exitCode()}; server log: ${s.stderr().slice(-2000)}`);
    });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body.toString()).files.length, 2);
    assert.deepEqual(await waitEmpty(s.uploadsDir), []);
    assert.equal(s.exitCode(), undefined);
  });
});

/** `k0=v0&k1=v1&…` of exactly `size` bytes: many keys, the slowest kind of form to parse. */
function bigForm(size: number): Buffer {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < size - 40; i++) {
    const p = `key${i}=value${i}`;
    parts.push(p);
    len += p.length + 1;
  }
  const text = parts.join('&');
  return Buffer.from(text + '&pad=' + 'x'.repeat(size - text.length - 5));
}

describe('HTTP server process: urlencoded forms', () => {
  let s: ServerProcess;
  before(async () => {
    // One worker: whichever request reaches it first is answered first.
    s = await startServerProcess(() => ({}), { numWorkers: 1 });
  });
  after(() => s.stop());

  test('while a 10 MB form is being parsed, another client is answered first', async () => {
    const form = bigForm(10 * 1024 * 1024 - 16);
    const order: string[] = [];
    const socket = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const big = new Promise<string>((resolve, reject) => {
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        if (/\r\n\r\n/.test(out) && !order.includes('big')) order.push('big');
      });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
    socket.write(
      `POST /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n`,
    );
    // All but the last byte, read by the server; then the last byte: parsing starts once the server has read it.
    socket.write(form.subarray(0, form.length - 1));
    await waitServerRead(s.port, socket.localPort!);
    socket.write(form.subarray(form.length - 1));
    await waitServerRead(s.port, socket.localPort!);
    const small = await request(s.port, '/pid');
    order.push('small');
    assert.equal(small.status, 200);
    assert.match(await big, /^HTTP\/1\.1 200 /);
    assert.deepEqual(order, ['small', 'big'], 'the small request waited for the whole form to be parsed');
  });

  test('an urlencoded form over 10 MB (Go net/http’s cap) is a 413 that says so, and PHP never sees it', async () => {
    const before = JSON.parse((await request(s.port, '/pid')).body.toString()).served;
    const form = bigForm(10 * 1024 * 1024 + 1);
    const declared = await request(s.port, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    assert.equal(declared.status, 413);
    assert.match(declared.body.toString(), /form.*exceeds.*10485760 bytes/);
    const chunked = await request(s.port, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
      body: form,
    }).catch((err: NodeJS.ErrnoException) => ({ status: err.code, body: Buffer.alloc(0) }));
    assert.equal(chunked.status, 413);
    const { body, type } = multipart([{ name: 'field', data: 'y'.repeat(10 * 1024 * 1024 + 1) }]);
    const mp = await request(s.port, '/echo', { method: 'POST', headers: { 'content-type': type }, body });
    assert.equal(mp.status, 413);
    assert.match(mp.body.toString(), /form fields exceed.*10485760 bytes/);
    assert.equal(JSON.parse((await request(s.port, '/pid')).body.toString()).served, before + 1);
  });
});

/** Resolves when the server closes the connection, with whatever it sent first. */
function untilClosed(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(out));
  });
}

describe('HTTP server process: slow clients and connection limits', () => {
  test('a body that stalls is cut after http.read_timeout with a 408, and the server keeps serving', async () => {
    const s = await startServerProcess(() => ({ readTimeout: 1000 }) as Partial<HttpOptions>, { numWorkers: 1 });
    const socket = net.connect(s.port, '127.0.0.1');
    try {
      const closed = untilClosed(socket);
      socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly part of it');
      // The safety net only: without a read timeout the connection would stay open forever.
      const safety = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 30_000).unref());
      const out = await Promise.race([closed, safety]);
      assert.match(out, /^HTTP\/1\.1 408 /);
      assert.equal((await request(s.port, '/pid')).status, 200);
    } finally {
      socket.destroy();
      await s.stop();
    }
  });

  test('more connections than file descriptors: connections past http.max_connections are refused, the server lives', async () => {
    // 128 open files for the whole server (its workers' pipes, the listener, log pipes): the default cap leaves room.
    const s = await startServerProcess(() => ({}), { numWorkers: 1, nofile: 128 });
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 160; i++) {
        const c = net.connect(s.port, '127.0.0.1');
        c.on('error', () => undefined);
        await new Promise<void>((resolve) => {
          c.once('connect', () => resolve());
          c.once('close', () => resolve());
        });
        sockets.push(c);
      }
      // While every connection is held: a worker dies and must be replaced (which needs new descriptors), and
      // requests on the first (accepted) connections are answered.
      const ask = (c: net.Socket, target: string) => {
        const answer = untilClosed(c);
        c.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        return answer;
      };
      assert.match(await ask(sockets[0]!, '/crash'), /^HTTP\/1\.1 500 /);
      assert.match(await ask(sockets[1]!, '/pid'), /^HTTP\/1\.1 200 /, `no new worker: ${s.stderr().slice(-1500)}`);
      assert.equal(s.exitCode(), undefined, `the server exited: ${s.stderr().slice(-1500)}`);
      for (const c of sockets) c.destroy();
      assert.equal((await request(s.port, '/pid')).status, 200);
      assert.equal(s.exitCode(), undefined, `the server exited: ${s.stderr().slice(-1500)}`);
    } finally {
      for (const c of sockets) c.destroy();
      await s.stop();
    }
  });
});

/** Opens a request and reads nothing but the status line; resolves `closed` when the server drops it. */
function nonReadingClient(port: number, target: string): { closed: Promise<void>; socket: net.Socket } {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
  socket.once('data', () => socket.pause());
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { closed, socket };
}

describe('HTTP server process: clients that do not read', () => {
  const MiB = 1024 * 1024;

  test('a 300 MiB stream to a client that does not read: server memory stays bounded by max_response_buffer', async () => {
    const s = await startServerProcess(() => ({ maxResponseBuffer: 8 * MiB, writeTimeout: 2000 }) as Partial<HttpOptions>, {
      numWorkers: 1,
    });
    try {
      assert.equal((await request(s.port, '/pid')).status, 200);
      const base = await s.peakRss();
      const client = nonReadingClient(s.port, '/big-stream?mb=300');
      // The only worker is busy until the stream has ended (fully, or stopped): this answer comes after that.
      const pid = await request(s.port, '/pid');
      assert.equal(pid.status, 200);
      const grown = (await s.peakRss()) - base;
      client.socket.destroy();
      assert.ok(grown < 8 * MiB + 64 * MiB, `the server grew by ${Math.round(grown / MiB)} MiB`);
      assert.equal(s.exitCode(), undefined);
    } finally {
      await s.stop();
    }
  });
});

describe('HTTP server process: a client that pauses reading a stream', () => {
  const MiB = 1024 * 1024;

  test('is never cut by max_response_buffer: the worker is not read while the client lags, then the whole stream arrives', async () => {
    const s = await startServerProcess(() => ({ maxResponseBuffer: 8 * MiB, writeTimeout: 120_000 }) as Partial<HttpOptions>, {
      numWorkers: 1,
    });
    try {
      const received = await new Promise<{ bytes: number; complete: boolean }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: s.port, path: '/big-stream?mb=64' }, (res) => {
          let bytes = 0;
          res.on('data', (d: Buffer) => (bytes += d.length));
          res.once('data', () => {
            // The pause gives a server without backpressure the time to read far past 8 MiB from the worker and
            // cut this client; with backpressure the worker simply waits.
            res.pause();
            setTimeout(() => res.resume(), 1000);
          });
          res.on('end', () => resolve({ bytes, complete: res.complete }));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      assert.deepEqual(received, { bytes: 64 * MiB, complete: true });
      assert.equal((await request(s.port, '/pid')).status, 200);
      assert.equal(s.exitCode(), undefined);
    } finally {
      await s.stop();
    }
  });
});

describe('HTTP server process: clients that do not read a complete answer', () => {
  test('a 64 MiB answer to a client that reads nothing is dropped after http.write_timeout; the server serves on', async () => {
    const s = await startServerProcess(() => ({ writeTimeout: 1000 }) as Partial<HttpOptions>, { numWorkers: 1 });
    try {
      const client = nonReadingClient(s.port, '/big?mb=64');
      await new Promise((r) => client.socket.once('connect', r));
      // The client cannot see the close behind the unread data: the server's side of the connection tells.
      // (Without a write timeout it would stay established, holding its 64 MiB, for good.)
      assert.equal(await waitServerClosed(s.port, client.socket.localPort!), true, 'the server still holds the connection');
      client.socket.destroy();
      assert.equal((await request(s.port, '/pid')).status, 200);
    } finally {
      await s.stop();
    }
  });
});

describe('HTTP server process: large bodies', () => {
  const MiB = 1024 * 1024;

  test('a 128 MiB raw POST costs the server at most about two copies of it (one read buffer, one frame)', async () => {
    const size = 128 * MiB;
    const s = await startServerProcess(() => ({ maxRequestSize: 1024 * MiB }), { numWorkers: 1 });
    try {
      assert.equal((await request(s.port, '/pid')).status, 200);
      const base = await s.peakRss();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: s.port,
            path: '/status',
            method: 'POST',
            agent: false,
            headers: { 'content-type': 'application/octet-stream', 'content-length': size },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        const chunk = Buffer.alloc(MiB, 1);
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            sent += MiB;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      assert.equal(status, 200);
      const grown = (await s.peakRss()) - base;
      // The body is read into one buffer of its declared size; the pool copies it into the frame it writes.
      assert.ok(grown < 2.5 * size, `the server grew by ${Math.round(grown / MiB)} MiB for a ${size / MiB} MiB body`);
    } finally {
      await s.stop();
    }
  });
});
