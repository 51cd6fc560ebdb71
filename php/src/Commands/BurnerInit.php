<?php

declare(strict_types=1);

namespace Burner\Commands;

use Burner\CodeIgniter\Cli\InstallFailed;
use Burner\CodeIgniter\Cli\Installer;
use Burner\CodeIgniter\Cli\Options;
use CodeIgniter\CLI\BaseCommand;
use CodeIgniter\CLI\CLI;
use Throwable;

/**
 * php spark burner:init RoadRunner [--server=<tarball|directory>]
 */
class BurnerInit extends BaseCommand
{
    protected $group = 'Burner';
    protected $name = 'burner:init';
    protected $description = 'Installs the Burner server (vendor/bin/rr) and writes app/Config/Burner.php and .rr.yaml.';
    protected $usage = 'burner:init [RoadRunner] [--server=<burner-server tarball or directory>]';
    protected $arguments = ['driver' => 'The server driver: RoadRunner (the default and only one).'];
    protected $options = [
        '--server' => 'Install the server from this `npm pack` tarball or package directory instead of the npm registry (no network needed).',
    ];

    public function run(array $params)
    {
        $options = Options::fromGlobals();
        $driver = $options->arguments[0] ?? 'RoadRunner';
        if (strcasecmp($driver, 'RoadRunner') !== 0) {
            CLI::error("Unknown driver '{$driver}': Burner provides the RoadRunner driver (php spark burner:init RoadRunner).");

            return 1;
        }
        try {
            $source = $options->value('server');
        } catch (\InvalidArgumentException $e) {
            CLI::error($e->getMessage());

            return 1;
        }
        $node = Installer::nodeVersion();
        if ($node === null || ! Installer::nodeSupported($node)) {
            CLI::error('Node.js (>= 20.15) is required: the Burner server runs on Node.js, and '
                . ($node === null ? '`node` was not found in PATH.' : "`node --version` says {$node}."));
            CLI::write('Install it (https://nodejs.org or your package manager), then run this command again.');

            return 1;
        }

        $installer = new Installer(ROOTPATH, dirname(__DIR__, 2), static fn (string $line) => CLI::write('  ' . $line));
        try {
            $installer->installServer($source);
            $installer->writeConfig('RoadRunner');
            $installer->writeServerConfig();
        } catch (InstallFailed $e) {
            CLI::error('burner:init failed: ' . $e->what);
            if ($e->kept !== '') {
                CLI::write($e->kept);
            }
            CLI::write('What to do: ' . $e->todo);

            return 1;
        } catch (Throwable $e) {
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
