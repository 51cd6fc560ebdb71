/**
 * server.scheduling: the Linux scheduling policy Burner's processes run under.
 *
 * "batch" (the default) puts the server process, every one of its threads, and through inheritance every worker and
 * on_init command it starts, under SCHED_BATCH. A batch task that wakes up (a request arrived, a worker answered, a
 * database replied) does not preempt the task running on that core; it runs at the next scheduling point. Under load
 * the event loop then finds several events per wake-up instead of one, and a worker is not switched out in the middle
 * of a page every time Node, the client or a database wakes. CPU shares are unchanged (nice values are untouched).
 * The cost (README, configuration reference): a batch process that is switched out waits for a whole time slice, so
 * under load the slowest responses of a trivial page come later, and a page that does no I/O served to one client at
 * a time loses ~10 %.
 *
 * "workers" puts only the workers under SCHED_BATCH (each started through `chrt --batch 0`): the server process keeps
 * its policy, so it answers at once on an idle machine (with everything batch, a page that does no I/O served ~10 %
 * fewer requests to one client at a time; pages that wait on a database gain with every process batch).
 * "normal" leaves the policy as it was started. A policy other than SCHED_OTHER found at start (set by the admin, e.g.
 * systemd's CPUSchedulingPolicy or `chrt`) is kept either way. Applied once at start with util-linux's `chrt` (Node has
 * no call for it); where that is missing or not Linux, a warning and nothing else.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export type Scheduling = 'batch' | 'workers' | 'normal';

/** Linux policy numbers (sched.h). */
export const SCHED_OTHER = 0;
export const SCHED_BATCH = 3;

interface SchedLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** A process's policy: field 41 of /proc/<pid>/stat (the fields after the command's closing parenthesis start at 3). */
export async function policyOf(pid: number | 'self'): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const policy = Number(fields[41 - 3]);
    return Number.isInteger(policy) ? policy : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Applies server.scheduling before any worker starts. Returns the prefix for worker commands: `chrt --batch 0` with
 * "workers" (the server itself stays as started), none otherwise ("batch": workers inherit the server's policy).
 */
export async function applyScheduling(mode: Scheduling, log: SchedLog): Promise<string[]> {
  if (mode === 'normal') return [];
  if (process.platform !== 'linux') {
    log.debug({ platform: process.platform }, `server.scheduling: ${mode} is Linux only; left as started`);
    return [];
  }
  const policy = await policyOf('self');
  if (policy === SCHED_BATCH) return [];
  if (policy !== SCHED_OTHER) {
    log.debug({ policy }, 'server.scheduling: the process was started under another policy; kept');
    return [];
  }
  if (mode === 'workers') {
    // Checked once here, so a missing chrt is a warning now rather than every worker failing to start.
    return (await chrt(['--batch', '0', 'true'], log)) ? ['chrt', '--batch', '0'] : [];
  }
  await chrt(['--all-tasks', '--batch', '--pid', '0', String(process.pid)], log);
  return [];
}

function chrt(args: string[], log: SchedLog): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('chrt', args, { timeout: 10_000 }, (err, _out, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'chrt (util-linux) not found' : stderr.trim() || err.message;
        log.warn({ error: why }, 'server.scheduling: could not switch to SCHED_BATCH; running under the normal policy');
      }
      resolve(!err);
    });
  });
}
