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
        $interactive = array_key_exists('i', $params) || CLI::getOption('i') !== null;

        return Server::runForSpark($interactive ? ['workers', '-i'] : ['workers']);
    }
}
