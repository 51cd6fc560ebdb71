/** Process statistics from /proc (Linux) and the informer view of a worker. Missing files (process gone, other OS) read as zeros. */
import { readFile } from 'node:fs/promises';
import { STATE_NAMES, type WorkerState } from './state.js';
import type { WorkerInfo } from './types.js';

const CLOCK_TICKS = 100; // USER_HZ; 100 on every mainstream Linux build

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export async function readRss(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'latin1');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) in seconds, from /proc/<pid>/stat. */
export async function readCpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** True while a process with this PID exists (signal 0 probe). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What informer.Workers reports for a worker (a gone process reads as zero RSS and CPU). */
export async function processInfo(w: {
  pid: number;
  state: WorkerState;
  numExecs: number;
  createdAt: number;
  command: string;
  alive: boolean;
}): Promise<WorkerInfo> {
  const [rss, cpu] = w.alive ? await Promise.all([readRss(w.pid), readCpuSeconds(w.pid)]) : [0, 0];
  const age = (Date.now() - w.createdAt) / 1000;
  return {
    pid: w.pid,
    status: w.state,
    numExecs: w.numExecs,
    created: w.createdAt * 1e6,
    memoryUsage: rss,
    CPUPercent: age > 0 ? (cpu / age) * 100 : 0,
    command: w.command,
    statusStr: STATE_NAMES[w.state],
  };
}
