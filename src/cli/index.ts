/**
 * The `rr` command line (roadrunner-protocol.md §5.3): `serve`, `reset`, `workers`, `stop`, with RoadRunner's
 * global flags -c, -w, -o (repeatable), --dotenv, -s, -p.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { createLogger } from '../log/index.js';
import { startApp, type App } from '../app.js';
import { BURNER_VERSION, RR_VERSION } from '../version.js';
import { CliError } from './errors.js';
import { resetCommand, workersCommand } from './rpc-commands.js';
import { childPids, killProcesses } from './children.js';

export { CliError };

export interface GlobalOptions {
  config: string;
  WorkDir?: string;
  override: string[];
  dotenv?: string;
  silent?: boolean;
  pid?: boolean;
  debug?: boolean;
}

const PID_FILE = '.pid';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Resolves the config path, changes into the working directory as RoadRunner does, loads the config. */
export function loadForCommand(opts: GlobalOptions): LoadedConfig {
  const file = path.resolve(opts.config);
  const workDir = path.resolve(opts.WorkDir ?? path.dirname(file));
  try {
    process.chdir(workDir);
  } catch (err) {
    throw new CliError(`cannot change into working directory ${workDir}: ${(err as Error).message}`);
  }
  try {
    return loadConfig({ file, overrides: opts.override, dotenv: opts.dotenv, workDir });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}

async function serve(opts: GlobalOptions): Promise<void> {
  const loaded = loadForCommand(opts);
  const log = createLogger(loaded.config.logs, { silent: opts.silent });
  const pidFile = path.resolve(PID_FILE);
  let app: App | undefined;
  let signals = 0;
  /** Workers seen when the stop began: the pool may stop listing them before they are gone. */
  let seenWorkers: number[] = [];

  const forceExit = async () => {
    process.stderr.write('exit forced: killing the workers\n');
    const current = app ? await Promise.race([app.workerPids(), new Promise<number[]>((r) => setTimeout(() => r([]), 1000))]) : [];
    killProcesses([...seenWorkers, ...current, ...childPids()]);
    log.flush();
    process.exit(1);
  };
  const stopApp = (running: App) => {
    void running.workerPids().then((pids) => (seenWorkers = pids));
    running
      .stop()
      .then(() => {
        log.info('stopped');
        if (opts.pid && existsSync(pidFile)) unlinkSync(pidFile);
        log.flush();
        setImmediate(() => process.exit(0));
      })
      .catch((err: unknown) => {
        log.error({ err }, 'error while stopping');
        log.flush();
        setImmediate(() => process.exit(1));
      });
  };
  // Installed before the start, so a signal while workers boot is a graceful stop (once started) and not an exit that
  // leaves them behind.
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      void forceExit();
      return;
    }
    log.info({ signal }, 'stopping: draining, then finishing in-flight requests (a second signal kills the workers and exits)');
    if (app) stopApp(app);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGABRT'] as const) process.on(s, onSignal);

  try {
    app = await startApp(loaded, log);
  } catch (err) {
    log.flush();
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw new CliError(`failed to start: ${(err as Error).message}`);
  }
  if (opts.pid) writeFileSync(pidFile, String(process.pid));
  if (signals > 0) stopApp(app);
}

async function stop(opts: GlobalOptions, force: boolean): Promise<void> {
  const file = path.resolve(opts.config);
  const workDir = path.resolve(opts.WorkDir ?? path.dirname(file));
  const pidFile = path.join(workDir, PID_FILE);
  if (!existsSync(pidFile)) throw new CliError(`${pidFile} not found: start the server with \`rr serve -p\` to let \`rr stop\` find it`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new CliError(`${pidFile}: invalid pid`);
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    throw new CliError(`cannot signal server process ${pid}: ${(err as Error).message}`);
  }
  if (force) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

export function buildProgram(): Command {
  const program = new Command('rr')
    .description('Burner: a RoadRunner-compatible PHP application server')
    .version(
      `rr version ${RR_VERSION} (burner ${BURNER_VERSION}, node ${process.version}), OS: ${process.platform}, arch: ${process.arch}`,
      '-v, --version',
    )
    .option('-c, --config <file>', 'config file', '.rr.yaml')
    .option('-w, --WorkDir <dir>', 'working directory (default: the config file directory)')
    .option('-o, --override <key=value>', 'override a config value (repeatable)', collect, [] as string[])
    .addOption(new Option('--dotenv <file>', 'load a dotenv file before reading the config').env('DOTENV_PATH'))
    .option('-s, --silent', 'no startup or CLI messages')
    .option('-p, --pid', 'write a .pid file in the working directory')
    .option('-d, --debug', 'accepted for compatibility (no pprof in Burner)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('start the server')
    .action(async (_o, cmd: Command) => serve(cmd.optsWithGlobals<GlobalOptions>()));

  program
    .command('reset')
    .description('restart the workers of the given plugins (all when none is given) without losing requests')
    .argument('[plugins...]', 'plugin names, e.g. http')
    .action(async (plugins: string[], _o, cmd: Command) => resetCommand(loadForCommand(cmd.optsWithGlobals<GlobalOptions>()), plugins));

  program
    .command('workers')
    .description('show the worker table of the given plugins (all when none is given)')
    .argument('[plugins...]', 'plugin names, e.g. http')
    .option('-i, --interactive', 'refresh every second until Ctrl-C')
    .action(async (plugins: string[], o: { interactive?: boolean }, cmd: Command) =>
      workersCommand(loadForCommand(cmd.optsWithGlobals<GlobalOptions>()), plugins, Boolean(o.interactive)),
    );

  program
    .command('stop')
    .description('stop a server started with `rr serve -p` (SIGTERM; graceful)')
    .option('-f, --force', 'force the stop (a second SIGTERM after 1 s)')
    .action(async (o: { force?: boolean }, cmd: Command) => stop(cmd.optsWithGlobals<GlobalOptions>(), Boolean(o.force)));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exit(e.exitCode ?? 1);
    }
    if (err instanceof CliError) {
      process.stderr.write(`rr: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
