import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool } from '../../src/pool/pool.js';
import { processAlive } from '../../src/pool/procfs.js';
import { FIXTURES, MemoryLog, options, pidOf, req, until, withPool } from './helpers.js';

const POOL_MODULE = fileURLToPath(new URL('../../src/pool/pool.js', import.meta.url));

function fdKind(pid: number, fd: number): { fifo: boolean; socket: boolean; target: string } {
  const file = `/proc/${pid}/fd/${fd}`;
  const st = statSync(file);
  return { fifo: st.isFIFO(), socket: st.isSocket(), target: readlinkSync(file) };
}

test('pipes relay: the worker reads and writes OS pipes (unlinked FIFOs), not socketpairs', async () => {
  await withPool('echo.php', { numWorkers: 2 }, async (pool) => {
    for (let i = 0; i < 20; i++) {
      const res = await pool.exec(req(`{"n":${i}}`, 'x'.repeat(i * 5000)));
      const pid = pidOf(res);
      assert.equal(res.body.length, i * 5000);
      for (const fd of [0, 1]) {
        const kind = fdKind(pid, fd);
        assert.ok(kind.fifo && !kind.socket, `fd ${fd} of worker ${pid} is a pipe (${kind.target})`);
        assert.match(kind.target, /burner-pipes-.*\((deleted)\)$/, 'the FIFO name is gone once both ends are open');
      }
    }
  });
});

test('pipes relay: a frame larger than a pipe buffer goes both ways intact', async () => {
  await withPool('echo.php', { numWorkers: 1 }, async (pool) => {
    const body = Buffer.alloc(3 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const res = await pool.exec({ codec: 0x08, context: Buffer.from('{"big":true}'), body });
    assert.ok(res.body.equals(body));
  });
});

test('pipes relay: the workers see EOF and exit when the server process dies without stopping them', async () => {
  // A separate Node process owns the pool; it is SIGKILLed, so only end-of-file on STDIN can tell the workers.
  const script = [
    `const { createPool } = await import(${JSON.stringify(POOL_MODULE)});`,
    `const pool = await createPool(${JSON.stringify(options('echo.php', { numWorkers: 2 }))}, { info() {}, warn() {}, error() {}, debug() {}, child() { return this; } });`,
    'const w = await pool.workers();',
    'process.stdout.write(JSON.stringify(w.map((x) => x.pid)) + "\\n");',
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const owner = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pids = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    owner.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
    });
    owner.on('exit', (code) => reject(new Error(`pool owner exited early (${code})`)));
  });
  assert.equal(pids.length, 2);
  for (const pid of pids) assert.ok(processAlive(pid));
  owner.kill('SIGKILL');
  await until(() => pids.every((pid) => !processAlive(pid)), 'workers to exit after the server died');
});

test('pipes relay: without mkfifo the pool falls back to socketpairs, says so once, and works', async () => {
  const php = execFileSync('sh', ['-c', 'command -v php']).toString().trim();
  const empty = mkdtempSync(path.join(tmpdir(), 'burner-nopath-'));
  const savedPath = process.env.PATH;
  process.env.PATH = empty; // no mkfifo to be found
  const log = new MemoryLog();
  try {
    const pool = await createPool({ ...options('echo.php', { numWorkers: 2 }), command: [php, FIXTURES + 'echo.php'] }, log);
    process.env.PATH = savedPath;
    try {
      const pid = pidOf(await pool.exec(req('{}')));
      assert.ok(fdKind(pid, 0).socket, 'the fallback gives the worker a socketpair');
      assert.equal(log.entries.filter((e) => /cannot create OS pipes for the workers \(.*mkfifo.*\)/.test(e.msg)).length, 1);
    } finally {
      await pool.destroy();
    }
  } finally {
    process.env.PATH = savedPath;
    rmSync(empty, { recursive: true, force: true });
  }
});
