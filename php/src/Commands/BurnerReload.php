<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\Server;
use CodeIgniter\CLI\BaseCommand;

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
        return Server::runForSpark(['reset']);
    }
}
