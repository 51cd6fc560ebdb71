/** How a broken worker is told about: the reason, how the process ended, and the last lines it printed. */
import type { PoolErrorKind } from './types.js';

/** The worker could not be started (spawn error, early exit, stray output, no handshake in time). */
export class WorkerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface FailureFacts {
  reason: string;
  kind: PoolErrorKind;
  pid: number;
  /** argv[0], named when it could not be run. */
  program: string;
  /** null: still running (it is killed now). */
  exit: ExitInfo | null;
  /** The server killed it (a SIGKILL is then ours, not a crash). */
  killed: boolean;
  spawnError: Error | null;
  /** The tail of its stderr (quoted except for exec_ttl, where it would only be noise). */
  output: string;
}

export function describeFailure(f: FailureFacts): string {
  let message = f.reason;
  if (f.spawnError) message += `; cannot run ${JSON.stringify(f.program)}: ${f.spawnError.message}`;
  else if (f.exit === null) message += `; worker pid ${f.pid} killed`;
  else if (f.exit.signal) message += `; worker pid ${f.pid} ${f.killed ? 'killed' : `terminated by signal ${f.exit.signal}`}`;
  else message += `; worker pid ${f.pid} exited with code ${f.exit.code}`;
  if (f.output && f.kind !== 'ExecTTL') message += `; worker output: ${f.output.slice(-2000)}`;
  return message;
}
