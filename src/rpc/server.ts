/**
 * The RPC endpoint (roadrunner-protocol.md §5): goridge frames with options [seq, method length], payload
 * `method ‖ body`, JSON codec (raw accepted), several calls in flight per connection, replies matched by seq.
 * An unknown method gets an ERROR reply and the connection stays usable; a malformed frame closes it.
 *
 * Trust model (README "Limits and security"): whoever can connect may call every method, as in RoadRunner, so the
 * listener decides who that is. TCP (the RoadRunner default tcp://127.0.0.1:6001) admits every local user; a Unix
 * socket is created owner-only (0600), admitting the server's own user (and root) only. What a caller can do is
 * bounded: frames above `maxFrameSize` are refused before buffering, a connection has at most
 * MAX_IN_FLIGHT calls running and stops being read while its replies are not read, and rpc.Config never shows
 * environment values (see methods.ts).
 */
import net from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import type { Log } from '../pool/types.js';
import { Flag as Flags, FrameReader, decodeRpcFrame, encodeRpcFrame, type RpcMessage } from '../goridge/index.js';
import { listen as listenOn, parseAddress } from '../net/listen.js';

export type RpcMethod = (arg: unknown) => unknown;

/** `Service.Method` → handler. Handlers throw `Error`s whose message becomes the ERROR reply. */
export type RpcMethods = Map<string, RpcMethod>;

export interface RpcAddress {
  kind: 'tcp' | 'unix';
  host: string;
  port: number;
  path: string;
}

export interface RpcServerOptions {
  /** Largest call frame payload in bytes (default DEFAULT_MAX_FRAME_SIZE). */
  maxFrameSize?: number;
}

/**
 * 16 MiB. Burner's RPC methods (informer, resetter, status, metrics, rpc) take arguments of a few hundred bytes; the
 * cap only has to stop a frame that claims gigabytes. RoadRunner's jobs/kv payloads (the large ones in RR) are not
 * served by Burner.
 */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
/** Calls running at once on one connection; beyond it the connection is not read until one finishes. */
export const MAX_IN_FLIGHT = 64;

/** `rpc.listen` → address (tcp://host:port, host:port or unix:///path). */
export function parseRpcAddress(listen: string): RpcAddress {
  const a = parseAddress(listen, 'rpc.listen', { unix: true });
  return a.kind === 'unix' ? { kind: 'unix', host: '', port: 0, path: a.path } : { kind: 'tcp', host: a.host, port: a.port, path: '' };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export class RpcServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private address: RpcAddress | undefined;
  private readonly maxFrameSize: number;

  constructor(
    private readonly methods: RpcMethods,
    private readonly log: Log,
    options: RpcServerOptions = {},
  ) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async listen(listen: string): Promise<RpcAddress> {
    const addr = parseRpcAddress(listen);
    if (addr.kind === 'unix') {
      rmSync(addr.path, { force: true });
      // Owner-only from the moment it exists: bind() happens inside listen() synchronously, under this umask.
      const old = process.umask(0o177);
      let bound: Promise<number>;
      try {
        bound = listenOn(this.server, { kind: 'unix', path: addr.path });
      } finally {
        process.umask(old);
      }
      await bound;
      chmodSync(addr.path, 0o600);
    } else {
      addr.port = await listenOn(this.server, { kind: 'tcp', host: addr.host, port: addr.port });
      if (!isLoopback(addr.host)) {
        this.log.warn(
          { listen },
          'rpc.listen is reachable from other hosts: anyone who can connect can reset workers and read the (redacted) config; use 127.0.0.1 or a unix:// socket',
        );
      }
    }
    this.address = addr;
    return addr;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.address?.kind === 'unix') rmSync(this.address.path, { force: true });
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let inFlight = 0;
    let waitingForDrain = false;
    const maybeResume = () => {
      if (inFlight < MAX_IN_FLIGHT && !waitingForDrain && socket.isPaused() && !socket.destroyed) socket.resume();
    };
    const reader = new FrameReader(
      (frame) => {
        let msg: RpcMessage;
        try {
          msg = decodeRpcFrame(frame);
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'rpc: malformed call, closing the connection');
          socket.destroy();
          return;
        }
        if (++inFlight >= MAX_IN_FLIGHT) socket.pause();
        void this.call(socket, msg).then((written) => {
          inFlight--;
          // A client that does not read its replies stops being read: its replies cannot pile up in memory.
          if (!written && !waitingForDrain && !socket.destroyed) {
            waitingForDrain = true;
            socket.pause();
            socket.once('drain', () => {
              waitingForDrain = false;
              maybeResume();
            });
          }
          maybeResume();
        });
      },
      'rpc client',
      { maxPayload: this.maxFrameSize },
    );
    socket.on('data', (chunk: Buffer) => {
      if (reader.failed || socket.destroyed) return;
      try {
        reader.push(chunk);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'rpc: malformed frame, closing the connection');
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Runs one call and writes its reply; resolves with write()'s answer (false: the client is not reading). */
  private async call(socket: net.Socket, msg: RpcMessage): Promise<boolean> {
    const { method, body } = msg;
    const codec = msg.flags & Flags.JSON ? Flags.JSON : msg.flags & Flags.RAW ? Flags.RAW : msg.flags & ~(Flags.ERROR | Flags.CONTROL);
    let reply: Buffer;
    let replyFlags = codec;
    try {
      if (codec !== Flags.JSON && codec !== Flags.RAW) {
        throw new Error(`rpc: codec 0x${codec.toString(16)} is not supported by Burner; use the JSON codec`);
      }
      const handler = this.methods.get(method);
      if (!handler) {
        const service = method.split('.')[0]!;
        const known = [...this.methods.keys()].some((m) => m.startsWith(`${service}.`));
        throw new Error(known ? `rpc: can't find method ${method}` : `rpc: can't find service ${method}`);
      }
      let arg: unknown;
      if (codec === Flags.RAW) arg = body;
      else if (body.length === 0) arg = undefined;
      else {
        try {
          arg = JSON.parse(body.toString('utf8'));
        } catch {
          throw new Error(`rpc: ${method}: the argument is not valid JSON`);
        }
      }
      const result = await handler(arg);
      reply = codec === Flags.RAW ? Buffer.from(result as Buffer) : Buffer.from(JSON.stringify(result ?? null));
    } catch (err) {
      replyFlags = codec | Flags.ERROR;
      reply = Buffer.from(err instanceof Error ? err.message : String(err));
    }
    if (socket.destroyed || !socket.writable) return true;
    return socket.write(encodeRpcFrame(replyFlags, msg.seq, method, reply));
  }
}

/**
 * Server options from the `rpc` config section, read defensively (the key may not be in the schema yet):
 * `rpc.max_frame_size` in MiB, like `http.max_request_size`.
 */
export function rpcServerOptions(section: unknown): RpcServerOptions {
  const mib = typeof section === 'object' && section !== null ? (section as { max_frame_size?: unknown }).max_frame_size : undefined;
  return typeof mib === 'number' && Number.isFinite(mib) && mib > 0 ? { maxFrameSize: Math.round(mib * 1024 * 1024) } : {};
}
