/**
 * `server.on_init` (roadrunner-protocol.md §6.2): a command run once before the worker pools start. Its output is
 * logged; a failure (non-zero exit or `exec_timeout`) is only logged unless `exit_on_error` is set.
 */
import { spawn } from 'node:child_process';
import type { Config } from './config/schema.js';
import type { Logger } from './log/index.js';
import { splitLines } from './pool/output.js';

type OnInit = NonNullable<Config['server']['on_init']>;

export async function runOnInit(onInit: OnInit, baseEnv: Record<string, string>, cwd: string, log: Logger): Promise<void> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...baseEnv };
  for (const [k, v] of Object.entries(onInit.env ?? {})) env[k.toUpperCase()] = v;
  const [cmd, ...args] = onInit.command;
  const started = Date.now();
  const outcome = await new Promise<{ code: number | null; error?: string }>((resolve) => {
    const child = spawn(cmd!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      resolve({ code: null, error: `did not finish within exec_timeout (${onInit.exec_timeout} ms)` });
    }, onInit.exec_timeout);
    const command = onInit.command.join(' ');
    const logLine = (line: string): void => {
      if (line.trim() !== '') log.info({ command }, line);
    };
    // spawn() failing for lack of descriptors gives no stdio; 'error' reports it.
    if (child.stdout) splitLines(child.stdout, logLine);
    if (child.stderr) splitLines(child.stderr, logLine);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, error: err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
  const failed = outcome.error !== undefined || outcome.code !== 0;
  if (!failed) {
    log.info({ elapsed: `${Date.now() - started}ms` }, 'server.on_init finished');
    return;
  }
  const message = `server.on_init command "${onInit.command.join(' ')}" failed: ${outcome.error ?? `exit code ${outcome.code}`}`;
  if (onInit.exit_on_error) throw new Error(message);
  log.error(message);
}
