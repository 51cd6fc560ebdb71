<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\Server;
use CodeIgniter\CLI\BaseCommand;
use CodeIgniter\CLI\CLI;

/**
 * php spark burner:workers (runs `vendor/bin/rr workers` against the app's .rr.yaml)
 */
class BurnerWorkers extends BaseCommand
{
    protected $group = 'Burner';
    protected $name = 'burner:workers';
    protected $description = "Shows the worker table of the running Burner server.";
    protected $usage = 'burner:workers [-i]';
    protected $options = ['-i' => 'Refresh the table every second until Ctrl-C.'];

    public function run(array $params)
    {
        $server = Server::forApp();
        if (($problem = $server->problem()) !== null) {
            CLI::error($problem);

            return 1;
        }
        $args = ['workers'];
        if (array_key_exists('i', $params) || CLI::getOption('i') !== null) {
            $args[] = '-i';
        }
        $code = $server->run($args);
        if ($code !== 0) {
            CLI::error('vendor/bin/rr workers failed (exit code ' . $code . ')');
        }

        return $code === 0 ? null : $code; // CI 4.1 turns any returned number into exit status 400
    }
}
