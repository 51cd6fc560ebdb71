/**
 * The bench's "floor": what node:http costs on this machine, alone and with the least possible relay to PHP, so the
 * report can put Burner's server CPU per request next to it.
 *
 *   node dist/bench/floor/server.js --port P --workers N [--no-php] [--worker bench/floor/echo-worker.php]
 *
 * --no-php: node:http answers every request itself with the hello app's body and Content-Type.
 * Otherwise: N `php -d opcache.enable_cli=1 echo-worker.php` over the same OS pipes as Burner's pipes relay
 * (src/pool/pipes.ts; PID handshake first); each request
 * becomes a RoadRunner-style JSON context in one goridge frame (the repo's own codec), goes to a free worker (FIFO
 * idle list, FIFO wait queue, callbacks only), and the worker's header JSON + body become the HTTP response.
 *
 * This is a floor, not a server: no timeouts, no supervision or respawn (a worker that dies ends the process), no
 * streaming, no uploads or form parsing, no validation of what the worker sends, no header-name canonicalization,
 * no limits. Anything Burner does beyond this is what it costs above the floor. SIGTERM / SIGINT stop the workers
 * (stop frame, then SIGKILL after 3 s) and exit.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CODEC_JSON, CONTROL, encodeControlFrame, encodePayloadFrame, STOP_CONTROL_FRAME, type Frame } from '../../src/goridge/frame.js';
import { FrameReader } from '../../src/goridge/reader.js';
import { createWorkerPipes, releaseChildEnds } from '../../src/pool/pipes.js';
import type { Writable } from 'node:stream';
import type { Socket } from 'node:net';

const BODY = Buffer.from('Hello, world!\n');
const ALONE_HEADERS = { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': String(BODY.length) };
const EMPTY = Buffer.alloc(0);
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    workers: { type: 'string', default: '2' },
    'no-php': { type: 'boolean', default: false },
    worker: { type: 'string', default: path.join(REPO, 'bench/floor/echo-worker.php') },
    'pause-when-queued': { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const workerCount = Number(values.workers);
if (!Number.isInteger(port) || port < 0 || !Number.isInteger(workerCount) || workerCount < 1) {
  process.stderr.write('usage: node dist/bench/floor/server.js --port P --workers N [--no-php]\n');
  process.exit(2);
}

interface Job {
  req: IncomingMessage;
  res: ServerResponse;
  frame: Buffer;
}

interface Worker {
  child: ChildProcess;
  out: Writable;
  reader: FrameReader;
  job: Job | null;
}

const idle: Worker[] = [];
const waiting: Job[] = [];
/**
 * --pause-when-queued (an experiment for bench/profile/, off in the bench): a keep-alive connection whose answer goes
 * out while requests still wait for a worker stops being read until the queue is shorter than the worker count, so
 * its next request waits in the kernel instead of waking the event loop only to be queued; it is read in the same
 * turn that frees a worker, without a sleep in epoll_wait in between.
 */
const pauseWhenQueued = values['pause-when-queued'];
const paused: Socket[] = [];
const workers: Worker[] = [];
let stopping = false;

function send(w: Worker, job: Job): void {
  w.job = job;
  w.out.write(job.frame);
}

function onResponse(w: Worker, frame: Frame): void {
  const job = w.job!;
  w.job = null;
  const headerLen = frame.options[0]!;
  const header = JSON.parse(frame.payload.toString('utf8', 0, headerLen)) as { status: number; headers: Record<string, string | string[]> };
  const body = frame.payload.subarray(headerLen);
  // Without it node:http would send the body chunked (Burner sets it too).
  header.headers['Content-Length'] = String(body.length);
  job.res.writeHead(header.status, header.headers);
  job.res.end(body);
  const next = waiting.shift();
  if (next) send(w, next);
  else idle.push(w);
  if (pauseWhenQueued) {
    if (waiting.length > 0) {
      job.req.socket.pause();
      paused.push(job.req.socket);
    }
    while (waiting.length < workerCount && paused.length > 0) paused.shift()!.resume();
  }
}

function dispatch(job: Job): void {
  const w = idle.shift();
  if (w) send(w, job);
  else waiting.push(job);
}

function relay(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const raw = req.rawHeaders;
  const headers: Record<string, string[]> = {};
  let host = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      host = value;
      continue;
    }
    (headers[name] ??= []).push(value);
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const context = Buffer.from(
    JSON.stringify({
      remoteAddr: req.socket.remoteAddress ?? '',
      protocol: 'HTTP/' + req.httpVersion,
      method: req.method,
      uri: 'http://' + host + url,
      headers,
      cookies: {},
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      parsed: false,
      uploads: null,
      attributes: {},
    }),
  );
  dispatch({ req, res, frame: encodePayloadFrame(CODEC_JSON, context, body) });
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    relay(req, res, EMPTY);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => relay(req, res, Buffer.concat(chunks)));
}

async function startWorker(onReady: () => void): Promise<void> {
  const pipes = await createWorkerPipes().catch((err: Error) => {
    throw new Error(`floor: cannot create OS pipes: ${err.message}`);
  });
  const child = spawn('php', ['-d', 'opcache.enable_cli=1', values.worker!], { stdio: [pipes.childIn, pipes.childOut, 'inherit'] });
  releaseChildEnds(pipes);
  const w: Worker = { child, out: pipes.toWorker, reader: new FrameReader(() => undefined, 'worker'), job: null };
  w.reader.onFrame = (frame) => {
    if (!(frame.flags & CONTROL)) throw new Error('echo worker answered the handshake without the CONTROL flag');
    w.reader.onFrame = (f) => onResponse(w, f);
    idle.push(w);
    onReady();
  };
  pipes.fromWorker.on('data', (chunk: Buffer) => w.reader.push(chunk));
  // A write to a worker that died fails here; its 'exit' below says so and ends the process.
  pipes.toWorker.on('error', () => undefined);
  child.on('exit', (code, signal) => {
    pipes.toWorker.destroy();
    if (stopping) return;
    process.stderr.write(`floor: echo worker ${child.pid} exited (${signal ?? code}); a floor does not respawn, exiting\n`);
    process.exit(1);
  });
  workers.push(w);
  w.out.write(encodeControlFrame({ pid: process.pid }));
}

const server = createServer(values['no-php'] ? answerAlone : onRequest);

function answerAlone(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, ALONE_HEADERS);
  res.end(BODY);
}

function listen(): void {
  server.listen(port, values.host, () => process.stderr.write(`floor: listening on ${values.host}:${port}\n`));
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  let left = workers.length;
  if (left === 0) process.exit(0);
  for (const w of workers) {
    if (w.child.exitCode !== null || w.child.signalCode !== null) {
      if (--left === 0) process.exit(0);
      continue;
    }
    w.child.once('exit', () => {
      if (--left === 0) process.exit(0);
    });
    w.out.end(STOP_CONTROL_FRAME);
  }
  setTimeout(() => {
    for (const w of workers) w.child.kill('SIGKILL');
    process.exit(0);
  }, 3000).unref();
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);

if (values['no-php']) {
  listen();
} else {
  let ready = 0;
  for (let i = 0; i < workerCount; i++) {
    startWorker(() => {
      if (++ready === workerCount) listen();
    }).catch((err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    });
  }
}
