/**
 * The PID handshake (roadrunner-protocol.md §2.3), the same on every relay: the server sends `{"pid":<its pid>}` as a
 * CONTROL frame, the worker's first frame must be a CONTROL frame `{"pid":N}` with N > 0. Burner's own PHP SDK adds
 * `"pipelining":true` (RoadRunner ignores unknown keys): it keeps a request frame that arrives while it streams a
 * response, so the pool may write requests ahead to it (http.pool.pipelining). The official SDK does not say so.
 */
import { CONTROL, encodeControlFrame, type Frame } from '../goridge/frame.js';
import { FrameError } from '../goridge/reader.js';
import type { Relay } from './relay.js';

/** The PID request frame; the PID is never 0 (PHP needs a non-empty value). */
function pidRequestFrame(): Buffer {
  return encodeControlFrame({ pid: process.pid || 1 });
}

/** What a worker said of itself in the handshake. */
export interface HandshakeReply {
  pid: number;
  /** It can take a request written ahead, also while it streams (Burner's SDK). */
  pipelining: boolean;
}

/** Validates the worker's handshake reply; throws with the reason. */
function parsePidReply(frame: Frame): HandshakeReply {
  if ((frame.flags & CONTROL) === 0) throw new Error('unexpected response, header is missing, no CONTROL flag');
  let reply: { pid?: unknown; pipelining?: unknown };
  try {
    reply = JSON.parse(frame.payload.toString('utf8')) as typeof reply;
  } catch {
    throw new Error(`invalid handshake reply (not JSON): ${frame.payload.toString('utf8').slice(0, 200)}`);
  }
  const pid = reply?.pid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) throw new Error('pid should be greater than 0');
  return { pid, pipelining: reply.pipelining === true };
}

export interface HandshakeDone {
  /** Called synchronously on the reply, so the caller attaches its own listener before the next frame is read. */
  ok(reply: HandshakeReply): void;
  /** `frameError`: the worker wrote bytes that are not a frame; the relay's reader has them (reader.error()). */
  failed(reason: string, frameError: boolean): void;
}

/** Sends the PID request and waits for the reply on `relay`; exactly one of ok/failed is called. */
export function handshake(relay: Relay, done: HandshakeDone): void {
  let over = false;
  relay.attach({
    onFrame(frame) {
      if (over) return;
      over = true;
      let reply: HandshakeReply;
      try {
        reply = parsePidReply(frame);
      } catch (err) {
        done.failed(`handshake failed: ${(err as Error).message}`, false);
        return;
      }
      done.ok(reply);
    },
    onRelayError(err) {
      if (over) return;
      over = true;
      if (err instanceof FrameError) done.failed(err.message, true);
      else done.failed(`relay error: ${err.message}`, false);
    },
    onRelayEnd() {
      if (over) return;
      over = true;
      try {
        relay.reader.end(); // "Could not open input file" and cut-off frames are told here
      } catch (err) {
        done.failed((err as Error).message, false);
        return;
      }
      done.failed('the worker exited before the handshake', false);
    },
  });
  relay.write(pidRequestFrame());
}
