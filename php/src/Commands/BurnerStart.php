<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\Options;
use Burner\CodeIgniter\Cli\Server;
use Burner\CodeIgniter\Cli\StartOptions;
use CodeIgniter\CLI\BaseCommand;
use CodeIgniter\CLI\CLI;

/**
 * php spark burner:start [--daemon] [--host <ip>] [--port <port>] [--workers <n>] [--max-requests <n>] [--watch]
 */
class BurnerStart extends BaseCommand
{
    protected $group = 'Burner';
    protected $name = 'burner:start';
    protected $description = 'Starts the Burner server with this application (foreground, or --daemon).';
    protected $usage = 'burner:start [--daemon] [--host <ip>] [--port <port>] [--workers <n>] [--max-requests <n>] [--watch]';
    protected $options = [
        '--daemon' => 'Run in the background (writes .pid; stop with burner:stop). Output goes to writable/logs/burner-server.log.',
        '--host' => 'Listen on this address instead of the one in .rr.yaml (http.address), e.g. 127.0.0.1.',
        '--port' => 'Listen on this port instead of the one in .rr.yaml (http.address).',
        '--workers' => 'Number of PHP workers (http.pool.num_workers).',
        '--max-requests' => 'Requests a worker serves before it is replaced; 0 = no limit (http.pool.max_jobs).',
        '--watch' => 'Development: restart the workers when a .php file under app/ or .env changes (the reload plugin).',
    ];

    public function run(array $params)
    {
        $server = Server::forApp();
        if (($problem = $server->problem()) !== null) {
            CLI::error($problem);

            return 1;
        }
        $yaml = (string) file_get_contents($server->configPath());
        try {
            $start = StartOptions::from(Options::fromGlobals(['daemon', 'watch']), StartOptions::configuredAddress($yaml));
        } catch (\InvalidArgumentException $e) {
            CLI::error($e->getMessage());

            return 1;
        }
        if ($start->watch) {
            $start = $start->watching(ROOTPATH, $yaml);
            CLI::write(StartOptions::hasReloadSection($yaml)
                ? 'Watching as the reload section of ' . basename($server->configPath()) . ' says.'
                : 'Watching app/ and .env: the workers restart when they change.');
        }
        $args = $start->arguments();

        if ($start->daemon) {
            $log = WRITEPATH . 'logs/burner-server.log';
            $pid = $server->startDaemon($args, $log);
            if ($pid === null) {
                CLI::error('The server did not start; see ' . $log);

                return 1;
            }
            CLI::write("Burner server running in the background (pid {$pid}); log: {$log}", 'green');
            CLI::write('Stop it with: php spark burner:stop');

            return null; // success: CI 4.1 turns any returned number into exit status 400
        }

        CLI::write('Starting the Burner server (Ctrl-C stops it)...', 'green');

        $code = $server->exec(['serve', ...$args]);

        return $code === 0 ? null : $code;
    }
}
