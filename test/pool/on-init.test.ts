import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOnInit } from '../../src/on-init.js';
import type { Logger } from '../../src/log/index.js';
import { MemoryLog } from './helpers.js';

test('on_init: a line written in two pieces is logged as one line; stdout and stderr keep their own partial lines', async () => {
  const log = new MemoryLog();
  // Each piece is a separate write (and a separate read on our side, thanks to the pauses).
  const script =
    'printf "first hal"; sleep 0.2; printf "f\\nsecond\\n"; printf "err " >&2; sleep 0.2; printf "line\\n" >&2; printf "no newline"';
  await runOnInit(
    { command: ['sh', '-c', script], exec_timeout: 30000, exit_on_error: true } as never,
    {},
    process.cwd(),
    log as unknown as Logger,
  );
  const lines = log.entries.filter((e) => e.level === 'info' && (e.obj as { command?: string }).command).map((e) => e.msg);
  assert.deepEqual(lines.sort(), ['err line', 'first half', 'no newline', 'second']);
  assert.ok(log.entries.some((e) => e.msg === 'server.on_init finished'));
});
