/** A goridge RPC client with the JSON codec, used by `rr reset`, `rr workers` and the tests. */
import net from 'node:net';
import { Flag as Flags, FrameReader, decodeRpcFrame, encodeRpcFrame } from '../goridge/index.js';
import { parseRpcAddress } from './server.js';

export class RpcError extends Error {
  override name = 'RpcError';
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class RpcClient {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly reader: FrameReader;

  private constructor(private readonly socket: net.Socket) {
    this.reader = new FrameReader((frame) => {
      const msg = decodeRpcFrame(frame);
      const p = this.pending.get(msg.seq);
      if (!p) return;
      this.pending.delete(msg.seq);
      const body = msg.body.toString('utf8');
      if (msg.error) p.reject(new RpcError(body));
      else {
        try {
          p.resolve(body === '' ? null : JSON.parse(body));
        } catch {
          p.reject(new RpcError(`rpc: ${p.method}: invalid JSON reply`));
        }
      }
    }, 'rpc server');
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (err) {
        this.failAll(new RpcError(`rpc: bad frame from server: ${(err as Error).message}`));
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.failAll(new RpcError(`rpc: ${err.message}`)));
    socket.on('close', () => this.failAll(new RpcError('rpc: connection closed')));
  }

  static connect(listen: string, timeoutMs = 5000): Promise<RpcClient> {
    const addr = parseRpcAddress(listen);
    return new Promise((resolve, reject) => {
      const socket =
        addr.kind === 'unix' ? net.connect(addr.path) : net.connect(addr.port, addr.host === '0.0.0.0' ? '127.0.0.1' : addr.host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RpcError(`rpc: no answer from ${listen} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RpcClient(socket));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new RpcError(`rpc: cannot connect to ${listen} (${err.code ?? err.message}): is the server running with an rpc section?`));
      });
    });
  }

  call<T = unknown>(method: string, arg: unknown): Promise<T> {
    const seq = ++this.seq;
    this.socket.write(encodeRpcFrame(Flags.JSON, seq, method, Buffer.from(JSON.stringify(arg))));
    return new Promise<T>((resolve, reject) => this.pending.set(seq, { method, resolve: resolve as (v: unknown) => void, reject }));
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
