/**
 * Relays between the server and a worker (roadrunner-protocol.md §2.2): the child's stdin/stdout (`pipes`), or a socket
 * the worker connects to (`tcp://host:port`, `unix:///path`). Socket connections are matched to processes by the PID
 * the worker reports in the handshake.
 */
import net from 'node:net';
import { unlink } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { CONTROL, encodeControlFrame, type Frame } from '../goridge/frame.js';
import { FrameReader } from '../goridge/reader.js';
import type { Log } from './types.js';

/** Receives what happens on a relay. Set by the owner (the worker process) once the relay is attached. */
export interface RelayListener {
  onFrame(frame: Frame): void;
  /** A bad frame (the reader holds the details), a read/write error, or EOF. */
  onRelayError(err: Error): void;
  onRelayEnd(): void;
}

export class Relay {
  readonly reader: FrameReader;
  private listener: RelayListener | null = null;
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    /** The relay's own pipe ends (not the child's stdio streams, which node:child_process closes): closed here. */
    private readonly ownsPipes = false,
  ) {
    this.reader = new FrameReader((f) => this.listener?.onFrame(f), 'worker');
    input.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (err) {
        this.listener?.onRelayError(err as Error);
      }
    });
    input.on('end', () => {
      this.closed = true;
      if (this.ownsPipes) (this.output as net.Socket).destroy(); // EOF: the worker is gone or closed its STDOUT
      this.listener?.onRelayEnd();
    });
    input.on('error', (err) => this.listener?.onRelayError(err));
    if ((output as unknown) !== input) output.on('error', (err) => this.listener?.onRelayError(err));
  }

  attach(listener: RelayListener): void {
    this.listener = listener;
  }

  get ended(): boolean {
    return this.closed;
  }

  /** One write per frame. Write errors arrive through onRelayError. */
  write(frame: Buffer): void {
    if (!this.output.writableEnded && !this.output.destroyed) this.output.write(frame);
  }

  close(): void {
    if (this.ownsPipes) (this.output as net.Socket).destroy();
    else if ((this.input as unknown) !== this.output) return; // the child's stdio pipes close with the process
    (this.input as net.Socket).destroy();
  }

  /**
   * The worker process is gone: nothing can be written any more. Its output is still read to the end (EOF comes
   * once every writer is closed), so a last frame or message is not lost.
   */
  exited(): void {
    if (this.ownsPipes) (this.output as net.Socket).destroy();
  }
}

/** The PID request frame (CONTROL|JSON `{"pid":<our pid>}`); the PID is never 0 (PHP needs a non-empty value). */
export function pidRequestFrame(): Buffer {
  return encodeControlFrame({ pid: process.pid || 1 });
}

/** Validates the worker's handshake reply; returns its PID or throws with the reason. */
export function parsePidReply(frame: Frame): number {
  if ((frame.flags & CONTROL) === 0) throw new Error('unexpected response, header is missing, no CONTROL flag');
  let pid: unknown;
  try {
    pid = (JSON.parse(frame.payload.toString('utf8')) as { pid?: unknown }).pid;
  } catch {
    throw new Error(`invalid handshake reply (not JSON): ${frame.payload.toString('utf8').slice(0, 200)}`);
  }
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) throw new Error('pid should be greater than 0');
  return pid;
}

export function isSocketRelay(dsn: string): boolean {
  return dsn.startsWith('tcp://') || dsn.startsWith('unix://');
}

interface Waiter {
  resolve: (relay: Relay) => void;
  reject: (err: Error) => void;
}

/**
 * Listens on the relay address; each worker connects, gets the PID request, answers with its PID, and is handed to
 * whoever waits for that PID.
 */
export class SocketRelayServer {
  private readonly waiters = new Map<number, Waiter>();
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    /** The address workers connect to (the real port when the configured one was 0). */
    readonly dsn: string,
    private readonly unixPath: string | undefined,
    private readonly log: Log,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    // accept() can fail (EMFILE): the worker's start then times out and is retried; the server must not die of it.
    server.on('error', (err) => this.log.warn(`relay listener error: ${err.message}`));
  }

  /** Connections that do not complete the handshake within `handshakeTimeout` ms are closed. */
  handshakeTimeout = 60_000;

  static async listen(dsn: string, log: Log): Promise<SocketRelayServer> {
    const server = net.createServer({ noDelay: true });
    if (dsn.startsWith('unix://')) {
      const path = dsn.slice('unix://'.length);
      await unlink(path).catch(() => undefined); // a stale socket file from a crashed run
      await listenOn(server, { path });
      return new SocketRelayServer(server, dsn, path, log);
    }
    const m = /^tcp:\/\/(.*):(\d+)$/.exec(dsn);
    if (!m) throw new Error(`invalid relay address "${dsn}": expected pipes, tcp://host:port or unix:///path.sock`);
    const host = m[1] || '127.0.0.1';
    await listenOn(server, { host, port: Number(m[2]) });
    const port = (server.address() as net.AddressInfo).port;
    return new SocketRelayServer(server, `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`, undefined, log);
  }

  /** Resolves with the handshaken relay of the worker that reports `pid`. Cancel with cancel(pid). */
  expect(pid: number): Promise<Relay> {
    return new Promise((resolve, reject) => this.waiters.set(pid, { resolve, reject }));
  }

  cancel(pid: number, err: Error): void {
    const w = this.waiters.get(pid);
    if (!w) return;
    this.waiters.delete(pid);
    w.reject(err);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.unixPath) await unlink(this.unixPath).catch(() => undefined);
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const relay = new Relay(socket, socket);
    const timer = setTimeout(() => fail(`no PID reply within ${this.handshakeTimeout} ms`), this.handshakeTimeout);
    timer.unref();
    const fail = (reason: string): void => {
      clearTimeout(timer);
      this.log.warn({ remote: socket.remoteAddress ?? 'unix' }, `relay connection rejected: ${reason}`);
      socket.destroy();
    };
    relay.attach({
      onFrame: (frame) => {
        let pid: number;
        try {
          pid = parsePidReply(frame);
        } catch (err) {
          fail((err as Error).message);
          return;
        }
        const w = this.waiters.get(pid);
        if (!w) {
          fail(`no worker process with pid ${pid} is waiting for a connection`);
          return;
        }
        this.waiters.delete(pid);
        clearTimeout(timer);
        w.resolve(relay); // the worker process attaches itself now, before the next frame
      },
      onRelayError: (err) => fail(err.message),
      onRelayEnd: () => {
        clearTimeout(timer);
        socket.destroy();
      },
    });
    relay.write(pidRequestFrame());
  }
}

function listenOn(server: net.Server, opts: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
