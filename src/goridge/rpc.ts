/**
 * RPC frames (roadrunner-protocol.md §5.1): two options `[seq, method length]`, payload = method ‖ body.
 * Requests and replies share the layout; an error reply has the ERROR bit and the error text as body.
 */
import { ERROR, encodeFrame, type Frame } from './frame.js';

export interface RpcMessage {
  /** Whole flags byte (codec bits, maybe ERROR). */
  flags: number;
  seq: number;
  method: string;
  body: Buffer;
  /** True when the ERROR bit is set (body = error text). */
  error: boolean;
}

export class RpcFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpcFrameError';
  }
}

export function encodeRpcFrame(flags: number, seq: number, method: string | Buffer, body: Buffer = Buffer.alloc(0)): Buffer {
  const m = typeof method === 'string' ? Buffer.from(method) : method;
  return encodeFrame(flags, [seq, m.length], [m, body]);
}

/** An error reply for `seq`/`method`: flags = codec | ERROR, body = message. */
export function encodeRpcError(codec: number, seq: number, method: string | Buffer, message: string): Buffer {
  return encodeRpcFrame(codec | ERROR, seq, method, Buffer.from(message));
}

/** Splits an RPC frame; throws RpcFrameError unless it has exactly two options and the method fits the payload. */
export function decodeRpcFrame(frame: Frame): RpcMessage {
  if (frame.options.length !== 2) {
    throw new RpcFrameError(`RPC frame must carry 2 options [seq, method length], got ${frame.options.length}`);
  }
  const seq = frame.options[0]!;
  const mlen = frame.options[1]!;
  if (mlen > frame.payload.length) {
    throw new RpcFrameError(`RPC frame method length ${mlen} exceeds the payload length ${frame.payload.length}`);
  }
  return {
    flags: frame.flags,
    seq,
    method: frame.payload.toString('latin1', 0, mlen),
    body: frame.payload.subarray(mlen),
    error: (frame.flags & ERROR) !== 0,
  };
}
