/**
 * A worker's states (RoadRunner's numeric codes and names, roadrunner-protocol.md §2.9) and the moves allowed between
 * them. Only the worker itself (worker.ts) moves its state; the pool asks it to (exec, retire, stop) and reads it.
 *
 *   inactive ──handshake──▶ ready ──exec──▶ working ──answer──▶ ready
 *      │                     │  ▲              │
 *      │                     │  └──────────────┘
 *      │                     ├──retire (idle)────────────▶ ttlReached | idleTTLReached | maxMemoryReached ─┐
 *      │                     │                              working ─answer─▶ invalid | maxJobsReached | ... ─┤
 *      │                     └──stop──▶ stopping ──exit──▶ stopped | destroyed  ◀─────────stop────────────────┘
 *      └──failure (any live state)──▶ errored | execTTLReached   (the process is killed; terminal)
 */
export enum WorkerState {
  Inactive = 0,
  Ready = 1,
  Working = 2,
  Invalid = 3,
  Stopping = 4,
  Stopped = 5,
  Destroyed = 6,
  MaxJobsReached = 7,
  Errored = 8,
  IdleTTLReached = 9,
  TTLReached = 10,
  MaxMemoryReached = 11,
  ExecTTLReached = 12,
}

/** The names `rr workers`, informer.Workers and metrics show. */
export const STATE_NAMES: Readonly<Record<WorkerState, string>> = {
  [WorkerState.Inactive]: 'inactive',
  [WorkerState.Ready]: 'ready',
  [WorkerState.Working]: 'working',
  [WorkerState.Invalid]: 'invalid',
  [WorkerState.Stopping]: 'stopping',
  [WorkerState.Stopped]: 'stopped',
  [WorkerState.Destroyed]: 'destroyed',
  [WorkerState.MaxJobsReached]: 'maxJobsReached',
  [WorkerState.Errored]: 'errored',
  [WorkerState.IdleTTLReached]: 'idleTTLReached',
  [WorkerState.TTLReached]: 'ttlReached',
  [WorkerState.MaxMemoryReached]: 'maxMemoryReached',
  [WorkerState.ExecTTLReached]: 'execTTLReached',
};

/** Why a worker leaves the pool gracefully: it is stopped and replaced. */
export type RetireReason =
  WorkerState.Invalid | WorkerState.MaxJobsReached | WorkerState.TTLReached | WorkerState.IdleTTLReached | WorkerState.MaxMemoryReached;

const S = WorkerState;
const RETIRED: readonly WorkerState[] = [S.Invalid, S.MaxJobsReached, S.TTLReached, S.IdleTTLReached, S.MaxMemoryReached];
const AFTER_RETIRE: readonly WorkerState[] = [S.Stopping, S.Errored];

/** Every legal move; anything else is refused (and leaves the state as it was). */
export const TRANSITIONS: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  [S.Inactive]: [S.Ready, S.Errored],
  [S.Ready]: [S.Working, S.Stopping, S.Errored, ...RETIRED],
  [S.Working]: [S.Ready, S.Stopping, S.Errored, S.ExecTTLReached, ...RETIRED],
  [S.Invalid]: AFTER_RETIRE,
  [S.MaxJobsReached]: AFTER_RETIRE,
  [S.TTLReached]: AFTER_RETIRE,
  [S.IdleTTLReached]: AFTER_RETIRE,
  [S.MaxMemoryReached]: AFTER_RETIRE,
  [S.Stopping]: [S.Stopped, S.Destroyed, S.Errored],
  [S.Stopped]: [],
  [S.Destroyed]: [],
  [S.Errored]: [],
  [S.ExecTTLReached]: [],
};

export function canMove(from: WorkerState, to: WorkerState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** One worker's state, plus the retirement the pool asked for while it was busy. */
export class WorkerLifecycle {
  private current: WorkerState = WorkerState.Inactive;
  private retireAfter: RetireReason | null = null;

  get state(): WorkerState {
    return this.current;
  }

  get name(): string {
    return STATE_NAMES[this.current];
  }

  /** Ready or working: the states the health check calls active. */
  get active(): boolean {
    return this.current === WorkerState.Ready || this.current === WorkerState.Working;
  }

  /** A retirement is pending until the current request ends. */
  get retiring(): boolean {
    return this.retireAfter !== null;
  }

  /** Moves to `next` when the move is legal; returns false (state unchanged) when it is not. */
  to(next: WorkerState): boolean {
    if (next === this.current) return true;
    if (!canMove(this.current, next)) return false;
    this.current = next;
    return true;
  }

  /** An idle worker moves to `reason` now (true); a busy one is marked and moves when its request ends (false). */
  retire(reason: RetireReason): boolean {
    if (this.current === WorkerState.Ready) return this.to(reason);
    if (this.current === WorkerState.Working && this.retireAfter === null) this.retireAfter = reason;
    return false;
  }

  /**
   * The request ended with an answer: back to ready, or to the state that retires the worker. A retirement asked for
   * during the request wins over max_jobs; the worker's own stop request and the owner's stop win over both.
   */
  requestEnded(how: RequestEnd): void {
    if (this.current !== WorkerState.Working) return;
    if (how === 'stop-asked') this.to(WorkerState.Invalid);
    else if (how === 'stopping') this.to(WorkerState.Stopping);
    else if (this.retireAfter !== null) this.to(this.retireAfter);
    else this.to(how === 'last-job' ? WorkerState.MaxJobsReached : WorkerState.Ready);
  }
}

/**
 * How a request ended, as far as the worker's state goes: an ordinary answer, the last one max_jobs allows, the
 * worker's `{"stop":true}`, or an answer while the owner is stopping the worker.
 */
export type RequestEnd = 'answered' | 'last-job' | 'stop-asked' | 'stopping';
