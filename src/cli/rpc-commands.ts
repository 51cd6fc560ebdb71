/** `rr reset` and `rr workers`: RPC clients of a running server, found through the same config (-c, -o). */
import { RpcClient } from '../rpc/client.js';
import type { WorkerInfo } from '../pool/types.js';
import type { LoadedConfig } from '../config/load.js';
import { CliError } from './errors.js';

function rpcAddress(loaded: LoadedConfig): string {
  if (!loaded.config.rpc)
    throw new CliError(`${loaded.file}: no rpc section: add "rpc: { listen: tcp://127.0.0.1:6001 }" to use this command`);
  return loaded.config.rpc.listen;
}

export async function resetCommand(loaded: LoadedConfig, plugins: string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const client = await RpcClient.connect(rpcAddress(loaded)).catch((e: Error) => Promise.reject(new CliError(e.message)));
  try {
    const names = plugins.length > 0 ? plugins : await client.call<string[]>('resetter.List', true);
    const failures: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        out.write(`resetting plugin: [${name}]\n`);
        try {
          await client.call('resetter.Reset', name);
          out.write(`plugin reset: [${name}]\n`);
        } catch (err) {
          failures.push(`${name}: ${(err as Error).message}`);
        }
      }),
    );
    if (failures.length > 0) throw new CliError(`reset failed: ${failures.join('; ')}`);
  } finally {
    client.close();
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

function ago(createdNs: number): string {
  const s = Math.max(0, Math.round((Date.now() - createdNs / 1e6) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s ago`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m ago`;
}

export function workersTable(plugin: string, workers: WorkerInfo[] | null): string {
  const rows = [['PID', 'STATUS', 'EXECS', 'MEMORY', 'CPU%', 'CREATED']];
  for (const w of workers ?? []) {
    rows.push([String(w.pid), w.statusStr, String(w.numExecs), formatBytes(w.memoryUsage), w.CPUPercent.toFixed(2), ago(w.created)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const sep = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [`Workers of [${plugin}]:`, sep, line(rows[0]!), sep, ...rows.slice(1).map(line), sep, ''].join('\n');
}

export async function workersCommand(
  loaded: LoadedConfig,
  plugins: string[],
  interactive: boolean,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const client = await RpcClient.connect(rpcAddress(loaded)).catch((e: Error) => Promise.reject(new CliError(e.message)));
  const render = async () => {
    const names = plugins.length > 0 ? plugins : await client.call<string[]>('informer.List', true);
    let text = '';
    for (const name of names) {
      const r = await client.call<{ workers: WorkerInfo[] | null }>('informer.Workers', name);
      text += workersTable(name, r.workers);
    }
    return text;
  };
  try {
    if (!interactive) {
      out.write(await render());
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const tick = () =>
        render()
          .then((text) => out.write(`\x1b[2J\x1b[H${text}`))
          .catch((err: unknown) => {
            clearInterval(timer);
            reject(err instanceof Error ? new CliError(err.message) : err);
          });
      const timer = setInterval(tick, 1000);
      void tick();
      process.once('SIGINT', () => {
        clearInterval(timer);
        resolve();
      });
    });
  } finally {
    client.close();
  }
}
