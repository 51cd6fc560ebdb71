/**
 * The one error mapping of the HTTP plugin: what a failed request answers, and what is logged.
 *   client gone → nothing (the connection is closed); body or form too large → 413 with the limit;
 *   malformed form → 400 with the parser's short reason; worker errors → internal_error_code (the text only with
 *   pool.debug); anything else → internal_error_code with an empty body, the stack in the log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PoolError, type Log } from '../pool/types.js';
import { BodyTooLarge, ClientGone, FormError, FormTooLarge } from './body.js';
import type { HttpOptions } from './options.js';
import { ResponseDecodeError } from './response.js';
import type { ResponseWriter } from './writer.js';

export class ErrorMapper {
  /** Set once the writer exists (the writer reports stream errors here). */
  writer!: ResponseWriter;

  constructor(
    private readonly options: Pick<HttpOptions, 'internalErrorCode' | 'poolDebug' | 'observer' | 'maxRequestSize'>,
    private readonly log: Log,
  ) {}

  fail(res: ServerResponse, err: unknown, req: IncomingMessage): void {
    if (err instanceof ClientGone) {
      res.destroy();
      return;
    }
    if (err instanceof BodyTooLarge || err instanceof FormTooLarge) {
      if (!res.headersSent) this.tooLarge(req, res, err.message);
      else res.destroy();
      return;
    }
    let status = this.options.internalErrorCode;
    let text = '';
    if (err instanceof PoolError) {
      if (err.kind === 'NoFreeWorkers') this.options.observer?.noFreeWorkers();
      this.log.error({ kind: err.kind, err: err.message }, 'worker error');
      if (this.options.poolDebug) text = err.message;
    } else if (err instanceof FormError) {
      // The client's form is malformed: its own error, with the parser's short reason.
      status = 400;
      text = err.message;
      this.log.warn({ err: err.message }, 'bad request body');
    } else if (err instanceof ResponseDecodeError) {
      this.log.error({ err: err.message }, 'bad response from worker');
      if (this.options.poolDebug) text = err.message;
    } else {
      this.log.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'internal error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The rest of the body will not be read: the connection cannot carry another request.
    if (!req.complete) this.writer.early(req, res, status, text);
    else this.writer.plain(res, status, text);
  }

  /** 413 with the limit that was passed, before or while the body is read. */
  tooLarge(req: IncomingMessage, res: ServerResponse, message: string): void {
    this.writer.early(req, res, 413, message + '\n');
  }
}
