/**
 * The RPC endpoint (roadrunner-protocol.md §5): goridge frames with options [seq, method length], payload
 * `method ‖ body`, JSON codec (raw accepted), several calls in flight per connection, replies matched by seq.
 * An unknown method gets an ERROR reply and the connection stays usable; a malformed frame closes it.
 */
import net from 'node:net';
import { rmSync } from 'node:fs';
import type { Log } from '../pool/types.js';
import { Flag as Flags, FrameReader, decodeRpcFrame, encodeRpcFrame, type RpcMessage } from '../goridge/index.js';

export type RpcMethod = (arg: unknown) => unknown;

/** `Service.Method` → handler. Handlers throw `Error`s whose message becomes the ERROR reply. */
export type RpcMethods = Map<string, RpcMethod>;

export interface RpcAddress {
  kind: 'tcp' | 'unix';
  host: string;
  port: number;
  path: string;
}

export function parseRpcAddress(listen: string): RpcAddress {
  if (listen.startsWith('unix://')) return { kind: 'unix', host: '', port: 0, path: listen.slice('unix://'.length) };
  const rest = listen.startsWith('tcp://') ? listen.slice('tcp://'.length) : listen;
  const i = rest.lastIndexOf(':');
  const port = Number(rest.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`rpc.listen: invalid address ${JSON.stringify(listen)}: use tcp://127.0.0.1:6001 or unix:///path/rr.sock`);
  }
  return { kind: 'tcp', host: rest.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', port, path: '' };
}

export class RpcServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private address: RpcAddress | undefined;

  constructor(
    private readonly methods: RpcMethods,
    private readonly log: Log,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async listen(listen: string): Promise<RpcAddress> {
    const addr = parseRpcAddress(listen);
    if (addr.kind === 'unix') rmSync(addr.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      const done = () => {
        this.server.off('error', reject);
        resolve();
      };
      if (addr.kind === 'unix') this.server.listen(addr.path, done);
      else this.server.listen(addr.port, addr.host, done);
    });
    if (addr.kind === 'tcp') addr.port = (this.server.address() as net.AddressInfo).port;
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
    const reader = new FrameReader((frame) => {
      let msg: RpcMessage;
      try {
        msg = decodeRpcFrame(frame);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'rpc: malformed call, closing the connection');
        socket.destroy();
        return;
      }
      void this.call(socket, msg);
    }, 'rpc client');
    socket.on('data', (chunk: Buffer) => {
      if (reader.failed) return;
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

  private async call(socket: net.Socket, msg: RpcMessage): Promise<void> {
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
    if (!socket.destroyed) socket.write(encodeRpcFrame(replyFlags, msg.seq, method, reply));
  }
}
