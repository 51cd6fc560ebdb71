<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\Server;
use CodeIgniter\CLI\BaseCommand;
use CodeIgniter\CLI\CLI;

/**
 * php spark burner:start [--daemon] [--port 8080]
 */
class BurnerStart extends BaseCommand
{
    protected $group = 'Burner';
    protected $name = 'burner:start';
    protected $description = 'Starts the Burner server with this application (foreground, or --daemon).';
    protected $usage = 'burner:start [--daemon] [--port <port>]';
    protected $options = [
        '--daemon' => 'Run in the background (writes .pid; stop with burner:stop). Output goes to writable/logs/burner-server.log.',
        '--port' => 'Listen on this port instead of the one in .rr.yaml.',
    ];

    public function run(array $params)
    {
        $server = Server::forApp();
        if (($problem = $server->problem()) !== null) {
            CLI::error($problem);

            return 1;
        }
        $args = [];
        $port = $params['port'] ?? CLI::getOption('port');
        if ($port !== null && $port !== true) {
            if (! ctype_digit((string) $port) || (int) $port < 1 || (int) $port > 65535) {
                CLI::error("--port must be a port number, got '{$port}'");

                return 1;
            }
            $args[] = '-o';
            $args[] = 'http.address=0.0.0.0:' . (int) $port;
        }

        $daemon = array_key_exists('daemon', $params) || CLI::getOption('daemon') !== null;
        if ($daemon) {
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
