<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\Installer;
use CodeIgniter\CLI\BaseCommand;
use CodeIgniter\CLI\CLI;
use Throwable;

/**
 * php spark burner:init RoadRunner
 */
class BurnerInit extends BaseCommand
{
    protected $group = 'Burner';
    protected $name = 'burner:init';
    protected $description = 'Installs the Burner server (vendor/bin/rr) and writes app/Config/Burner.php and .rr.yaml.';
    protected $usage = 'burner:init [RoadRunner]';
    protected $arguments = ['driver' => 'The server driver: RoadRunner (the default and only one).'];

    public function run(array $params)
    {
        $driver = $params[0] ?? 'RoadRunner';
        if (strcasecmp($driver, 'RoadRunner') !== 0) {
            CLI::error("Unknown driver '{$driver}': Burner provides the RoadRunner driver (php spark burner:init RoadRunner).");

            return 1;
        }
        $node = Installer::nodeVersion();
        if ($node === null) {
            CLI::error('Node.js (>= 20.15) is required: the Burner server runs on Node.js, and `node` was not found in PATH.');
            CLI::write('Install it (https://nodejs.org or your package manager), then run this command again.');

            return 1;
        }

        $installer = new Installer(ROOTPATH, dirname(__DIR__, 2));
        try {
            $installer->installServer();
            $installer->writeConfig('RoadRunner');
            $installer->writeServerConfig();
        } catch (Throwable $e) {
            foreach ($installer->log as $line) {
                CLI::write('  ' . $line);
            }
            CLI::error('burner:init failed: ' . $e->getMessage());

            return 1;
        }

        CLI::write('Burner is set up (Node.js ' . $node . '):', 'green');
        foreach ($installer->log as $line) {
            CLI::write('  - ' . $line);
        }
        CLI::write('Start the server with: php spark burner:start   (then open http://localhost:8080)');

        return null; // success: CI 4.1 turns any returned number into exit status 400
    }
}
