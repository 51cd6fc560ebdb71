/**
 * A relay between the server and one worker (roadrunner-protocol.md §2.2): frames in through a FrameReader, frames
 * out with one write each. How the two streams are made is the IPC strategy's business (ipc.ts).
 */
import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Frame } from '../goridge/frame.js';
import { FrameReader } from '../goridge/reader.js';

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

  /** Backpressure from a slow client: stop (or resume) reading the worker's output; the kernel pipe then fills. */
  setPaused(paused: boolean): void {
    if (paused) this.input.pause();
    else this.input.resume();
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
