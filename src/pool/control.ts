/**
 * The control frames that end a worker's service, outside the handshake and the requests, both ways:
 *   - the owner's `{"stop":true}` (roadrunner-protocol.md §2.5): the worker finishes and exits, or is killed when it
 *     has not exited in time;
 *   - Burner's SDK `{"leaving":true}` (only from a worker that said `pipelining` in its handshake, handshake.ts), when
 *     its script ends between two requests: it reads no request any more and answers each one still in its input
 *     with `{"stop":true}` (the pool retries those elsewhere) until it is stopped. Any other control frame from the
 *     worker is a protocol error.
 */
import { STOP_CONTROL_FRAME, type Frame } from '../goridge/frame.js';
import type { WorkerChild } from './child.js';
import type { Relay } from './relay.js';
import type { Log } from './types.js';

const LEAVING = Buffer.from('{"leaving":true}');

/** Sends `{"stop":true}`, then SIGKILL to the process group after `timeout` ms. Resolves when the process is gone. */
export async function stopGracefully(child: WorkerChild, relay: Relay | null, timeout: number, log: Log): Promise<void> {
  relay?.write(STOP_CONTROL_FRAME);
  const timer = setTimeout(() => {
    log.warn({ pid: child.pid }, `worker did not stop within ${timeout} ms, killing it`);
    child.kill();
  }, timeout);
  await child.exited;
  clearTimeout(timer);
}

/** null: the worker says it is leaving; else why its control frame is a protocol error. */
export function controlFrameError(frame: Frame): string | null {
  if (frame.payload.equals(LEAVING)) return null;
  return `unexpected control frame from the worker: ${frame.payload.toString('utf8').slice(0, 200)}`;
}
