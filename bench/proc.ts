/**
 * Process figures from /proc: CPU time (utime + stime), resident memory, and the process tree.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

let clockTicks = 0;

/** USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface Stat {
  ppid: number;
  cpuUs: number;
}

async function readStat(pid: number): Promise<Stat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: the fields after it start past the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return { ppid: Number(rest[1]), cpuUs: ((utime + stime) * 1e6) / ticksPerSecond() };
}

/** utime + stime of one process in µs (0 if it is gone). */
export async function cpuUs(pid: number): Promise<number> {
  return (await readStat(pid))?.cpuUs ?? 0;
}

/** Sum of cpuUs over pids. */
export async function totalCpuUs(pids: number[]): Promise<number> {
  const all = await Promise.all(pids.map(cpuUs));
  return all.reduce((a, b) => a + b, 0);
}

/** VmRSS in kB (0 if the process is gone). */
export async function rssKb(pid: number): Promise<number> {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export async function totalRssKb(pids: number[]): Promise<number> {
  const all = await Promise.all(pids.map(rssKb));
  return all.reduce((a, b) => a + b, 0);
}

/** All descendants of pid (children, grandchildren, ...), from a scan of /proc. */
export async function descendants(pid: number): Promise<number[]> {
  const parentOf = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readStat(Number(name));
    if (stat) parentOf.set(Number(name), stat.ppid);
  }
  const found: number[] = [];
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, parent] of parentOf) {
      if (wanted.has(parent) && !wanted.has(child)) {
        wanted.add(child);
        found.push(child);
        grew = true;
      }
    }
  }
  return found;
}

/** CPU time spent by the whole machine (all CPUs, every state but idle and iowait) in µs, from /proc/stat. */
export async function machineBusyUs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already inside user)
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1e6) / ticksPerSecond();
}

/** Socket inodes of the TCP sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp{,6} text. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const localPort = parseInt(f[1]!.split(':')[1] ?? '', 16);
    if (localPort === port && f[3] === '0A') inodes.push(f[9]!);
  }
  return inodes;
}

/** The processes holding a socket that listens on 127.0.0.1/any `port` (e.g. the mariadbd or redis-server the bench started). */
export async function listenerPids(port: number): Promise<number[]> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const wanted = new Set(tables.flatMap((t) => listeningInodes(t, port)).map((i) => `socket:[${i}]`));
  if (wanted.size === 0) return [];
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fds = await readdir(`/proc/${name}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${name}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) {
        pids.push(Number(name));
        break;
      }
    }
  }
  return pids;
}
