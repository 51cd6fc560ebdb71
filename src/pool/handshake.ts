/**
 * The PID handshake (roadrunner-protocol.md §2.3), the same on every relay: the server sends `{"pid":<its pid>}` as a
 * CONTROL frame, the worker's first frame must be a CONTROL frame `{"pid":N}` with N > 0.
 */
import { CONTROL, encodeControlFrame, type Frame } from '../goridge/frame.js';
import { FrameError } from '../goridge/reader.js';
import type { Relay } from './relay.js';

/** The PID request frame; the PID is never 0 (PHP needs a non-empty value). */
function pidRequestFrame(): Buffer {
  return encodeControlFrame({ pid: process.pid || 1 });
}

/** Validates the worker's handshake reply; returns its PID or throws with the reason. */
function parsePidReply(frame: Frame): number {
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

export interface HandshakeDone {
  /** Called synchronously on the reply, so the caller attaches its own listener before the next frame is read. */
  ok(pid: number): void;
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
      let pid: number;
      try {
        pid = parsePidReply(frame);
      } catch (err) {
        done.failed(`handshake failed: ${(err as Error).message}`, false);
        return;
      }
      done.ok(pid);
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
