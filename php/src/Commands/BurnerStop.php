<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\Server;
use CodeIgniter\CLI\BaseCommand;
use CodeIgniter\CLI\CLI;

/**
 * php spark burner:stop (runs `vendor/bin/rr stop` against the app's .rr.yaml)
 */
class BurnerStop extends BaseCommand
{
    protected $group = 'Burner';
    protected $name = 'burner:stop';
    protected $description = 'Stops the Burner server started with burner:start --daemon.';
    protected $usage = 'burner:stop [--force]';
    protected $options = ['--force' => 'Force the stop (a second SIGTERM after 1 s).'];

    public function run(array $params)
    {
        $force = array_key_exists('force', $params) || CLI::getOption('force') !== null;

        return Server::runForSpark($force ? ['stop', '-f'] : ['stop']);
    }
}
