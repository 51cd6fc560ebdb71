/**
 * The forced exit (a second SIGTERM) must not leave workers behind: a busy worker only notices the server is gone when
 * its request ends. Workers are found twice over: the pool's list, and this process's children in /proc (Linux), which
 * also covers workers the pool no longer lists while they stop.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs whose parent is this process (empty where /proc is missing). */
export function childPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** SIGKILL each process's group (workers lead their own group), or the process alone when it leads none. */
export function killProcesses(pids: Iterable<number>): void {
  for (const pid of new Set(pids)) {
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}
