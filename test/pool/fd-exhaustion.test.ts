import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processAlive } from '../../src/pool/procfs.js';
import { FIXTURES, until } from './helpers.js';

const POOL_MODULE = fileURLToPath(new URL('../../src/pool/pool.js', import.meta.url));

/**
 * A pool owner in its own process with a low fd limit. Commands on stdin (one per line), answers and log entries as
 * JSON lines on stdout.
 */
const OWNER = `
import { openSync, closeSync } from 'node:fs';
import { createPool } from ${JSON.stringify(POOL_MODULE)};
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const entry = (level) => (obj, msg) => out({ level, msg: typeof obj === 'string' ? obj : msg });
const log = { debug() {}, info() {}, warn: entry('warn'), error: entry('error') };
const pool = await createPool({
  command: ['php', ${JSON.stringify(FIXTURES + 'echo.php')}], env: {}, relay: 'pipes', numWorkers: 1, maxJobs: 0,
  allocateTimeout: 20000, destroyTimeout: 2000, resetTimeout: 5000, streamTimeout: 2000, maxQueueSize: 0, debug: false,
}, log);
const held = [];
const commands = {
  pids: async () => (await pool.workers()).map((w) => w.pid),
  exhaust: async () => {
    try { for (;;) held.push(openSync('/dev/null', 'r')); } catch (err) { return err.code + ' after ' + held.length; }
  },
  free: async () => { while (held.length) closeSync(held.pop()); return 'freed'; },
  exec: async () => JSON.parse((await pool.exec({ codec: 8, context: Buffer.from('{}'), body: Buffer.alloc(0) })).context.toString()).pid,
  quit: async () => { await pool.destroy(); process.exit(0); },
};
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const cmd = buf.slice(0, i);
    buf = buf.slice(i + 1);
    commands[cmd]().then((result) => out({ cmd, result }), (err) => out({ cmd, error: String(err) }));
  }
});
out({ ready: true });
`;

interface Line {
  ready?: boolean;
  level?: string;
  msg?: string;
  cmd?: string;
  result?: unknown;
  error?: string;
}

class Owner {
  readonly lines: Line[] = [];
  readonly child: ChildProcess;
  private buf = '';

  constructor(limit: number) {
    // The limit applies to this process only (and the workers it starts).
    this.child = spawn('bash', ['-c', `ulimit -n ${limit} && exec "$0" --input-type=module -e "$1"`, process.execPath, OWNER], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      this.buf += d;
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        this.lines.push(JSON.parse(this.buf.slice(0, i)) as Line);
        this.buf = this.buf.slice(i + 1);
      }
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async call(cmd: string): Promise<unknown> {
    const from = this.lines.length;
    this.child.stdin!.write(`${cmd}\n`);
    let answer: Line | undefined;
    await until(
      () => {
        assert.ok(this.alive, `the pool owner died (exit ${this.child.exitCode}, ${this.child.signalCode})`);
        answer = this.lines.slice(from).find((l) => l.cmd === cmd);
        return answer !== undefined;
      },
      `answer to ${cmd}`,
      30000,
    );
    if (answer!.error) assert.fail(`${cmd} failed: ${answer!.error}`);
    return answer!.result;
  }
}

test('a worker respawn while file descriptors run out is a failed start, retried; the owner lives and recovers', async () => {
  const owner = new Owner(64);
  const workers = new Set<number>();
  try {
    await until(() => owner.lines.some((l) => l.ready), 'the pool started under ulimit -n 64', 30000);
    const [first] = (await owner.call('pids')) as number[];
    assert.ok(first);
    workers.add(first);
    assert.match(String(await owner.call('exhaust')), /^EMFILE after \d+$/);
    process.kill(first, 'SIGKILL');
    // The replacement cannot get its pipes or its process: each attempt must be logged as a failed start.
    await until(
      () => owner.lines.some((l) => l.level === 'error' && /worker failed to start: .*EMFILE/.test(l.msg ?? '')),
      'a failed start with EMFILE',
      30000,
    );
    assert.ok(owner.alive, 'the pool owner survived the failed spawn');
    assert.equal(await owner.call('free'), 'freed');
    const next = (await owner.call('exec')) as number;
    workers.add(next);
    assert.notEqual(next, first, 'a new worker serves once descriptors are free again');
    // A passing EMFILE does not switch the relay to socketpairs for good. (The attempt that was under way when the
    // descriptors came back may have fallen back to socketpairs for itself: replace that worker once more.)
    process.kill(next, 'SIGKILL');
    let third = 0;
    await until(
      async () => {
        const pids = (await owner.call('pids')) as number[];
        third = pids[0] ?? 0;
        return pids.length === 1 && third !== next;
      },
      'a replacement for the worker that recovered',
      30000,
    );
    workers.add(third);
    assert.ok(statSync(`/proc/${third}/fd/0`).isFIFO(), 'a worker started with descriptors to spare gets OS pipes again');
    assert.ok(!owner.lines.some((l) => /from now on/.test(l.msg ?? '')), 'no permanent fallback');
    await owner.call('quit').catch(() => undefined);
  } finally {
    if (owner.alive) owner.child.kill('SIGKILL');
    for (const pid of workers) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
});
