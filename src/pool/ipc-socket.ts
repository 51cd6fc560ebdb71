/**
 * The TCP / Unix socket relay (roadrunner-protocol.md §2.2): the server listens, each worker connects, gets the PID
 * request, answers with its PID, and the connection is handed to the start that waits for that PID. A wrapper such as
 * `sh -c php ...` reports another PID and is never matched (as in RoadRunner).
 */
import net from 'node:net';
import { unlink } from 'node:fs/promises';
import { handshake, type HandshakeReply } from './handshake.js';
import { Relay } from './relay.js';
import type { Log } from './types.js';

export function isSocketRelay(dsn: string): boolean {
  return dsn.startsWith('tcp://') || dsn.startsWith('unix://');
}

export class SocketRelayServer {
  /** Starts waiting for a connection, by PID; each is called synchronously with the handshaken relay. */
  private readonly waiters = new Map<number, (relay: Relay, reply: HandshakeReply) => void>();
  private readonly sockets = new Set<net.Socket>();

  /** Connections that do not complete the handshake within `handshakeTimeout` ms are closed. */
  handshakeTimeout = 60_000;

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

  /** `onRelay` gets the relay of the worker that reports `pid`, unless cancel(pid) comes first. */
  expect(pid: number, onRelay: (relay: Relay, reply: HandshakeReply) => void): void {
    this.waiters.set(pid, onRelay);
  }

  cancel(pid: number): void {
    this.waiters.delete(pid);
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
    const reject = (reason: string): void => {
      clearTimeout(timer);
      this.log.warn({ remote: socket.remoteAddress ?? 'unix' }, `relay connection rejected: ${reason}`);
      socket.destroy();
    };
    const timer = setTimeout(() => reject(`no PID reply within ${this.handshakeTimeout} ms`), this.handshakeTimeout);
    timer.unref();
    handshake(relay, {
      ok: (reply) => {
        const pid = reply.pid;
        const onRelay = this.waiters.get(pid);
        if (!onRelay) {
          reject(`no worker process with pid ${pid} is waiting for a connection`);
          return;
        }
        this.waiters.delete(pid);
        clearTimeout(timer);
        onRelay(relay, reply);
      },
      failed: (reason) => reject(reason),
    });
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
