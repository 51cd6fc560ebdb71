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
        $server = Server::forApp();
        if (($problem = $server->problem()) !== null) {
            CLI::error($problem);

            return 1;
        }
        $args = ['stop'];
        if (array_key_exists('force', $params) || CLI::getOption('force') !== null) {
            $args[] = '-f';
        }
        $code = $server->run($args);
        if ($code !== 0) {
            CLI::error('vendor/bin/rr start --daemon.:stop failed (exit code ' . $code . ')');
        }

        return $code === 0 ? null : $code; // CI 4.1 turns any returned number into exit status 400
    }
}
