<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\Server;
use CodeIgniter\CLI\BaseCommand;
use CodeIgniter\CLI\CLI;

/**
 * php spark burner:reload (runs `vendor/bin/rr reset` against the app's .rr.yaml)
 */
class BurnerReload extends BaseCommand
{
    protected $group = 'Burner';
    protected $name = 'burner:reload';
    protected $description = "Restarts all workers without dropping requests (the server's reset).";
    protected $usage = 'burner:reload';

    public function run(array $params)
    {
        $server = Server::forApp();
        if (($problem = $server->problem()) !== null) {
            CLI::error($problem);

            return 1;
        }
        $args = ['reset'];
        $code = $server->run($args);
        if ($code !== 0) {
            CLI::error('vendor/bin/rr reset failed (exit code ' . $code . ')');
        }

        return $code === 0 ? null : $code; // CI 4.1 turns any returned number into exit status 400
    }
}
